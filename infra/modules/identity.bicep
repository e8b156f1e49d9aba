// The one user-assigned managed identity the function app runs as. Every data-plane grant (Service Bus,
// Cosmos DB, Storage, Azure OpenAI, Key Vault, Application Insights) targets this principal, so rotating
// the app or redeploying it never invalidates a grant, and no service holds a key for it.
@description('Identity name, e.g. id-<token>.')
@minLength(3)
@maxLength(128)
param name string

param location string
param tags object

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' = {
  name: name
  location: location
  tags: tags
}

output id string = identity.id
output name string = identity.name
output principalId string = identity.properties.principalId
output clientId string = identity.properties.clientId
