// Grants the app identity Cognitive Services OpenAI User on one Azure OpenAI account: call deployments,
// nothing else (no keys, no deployment changes). Used for the account main.bicep creates and, deployed
// into the other account's resource group, for an existing account named by parameter.
param accountName string

@description('Principal id of the app identity.')
param principalId string

var openAiUserRoleId = '5e0bd9bd-7b93-4f28-af87-19fc36ad61bd'

resource account 'Microsoft.CognitiveServices/accounts@2026-09-01' existing = {
  name: accountName
}

resource openAiUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(account.id, principalId, openAiUserRoleId)
  scope: account
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', openAiUserRoleId)
  }
}
