// Key Vault in RBAC mode for the webhook key-encryption key (KEK). Webhook signing secrets are stored in
// Cosmos DB encrypted under a per-secret data key, and only the data key, wrapped by the KEK, is kept
// beside it (envelope encryption, shared/webhooks/key-wrapper.ts): a reader of the database alone cannot
// use them. The KEK (32 random bytes, base64) lives here as the secret `webhookKekSecretName`; the app
// reads it through a Key Vault reference resolved with its identity (WEBHOOK_KEK_BASE64). The operator
// creates the secret once with the az CLI (docs/deploy.md) so its value never passes through a template
// or the deployment history.
@description('Vault name: 3-24 letters, digits and hyphens.')
@minLength(3)
@maxLength(24)
param name string

param location string
param tags object

@description('Principal id of the app identity.')
param principalId string

@description('Purge protection cannot be turned off again; on for production.')
param enablePurgeProtection bool = true

@minValue(7)
@maxValue(90)
param softDeleteRetentionInDays int = 90

@description('Name of the secret that holds the webhook KEK.')
param webhookKekSecretName string = 'webhook-kek'

// Key Vault Secrets User: read secret values only; no keys, no management. The vault is dedicated to the
// platform (it holds only the KEK), so the vault is the narrowest scope that exists before the secret does.
var secretsUserRoleId = '4633458b-17de-408a-b874-0445c86b69e6'

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: softDeleteRetentionInDays
    // ARM rejects `false` here once it was true; leaving it out keeps purge protection off.
    enablePurgeProtection: enablePurgeProtection ? true : null
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Allow'
    }
  }
}

resource secretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, principalId, secretsUserRoleId)
  scope: vault
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', secretsUserRoleId)
  }
}

output id string = vault.id
output name string = vault.name
output uri string = vault.properties.vaultUri
output webhookKekName string = webhookKekSecretName
@description('App setting value: a versionless Key Vault reference, so a new secret version is picked up without a redeploy.')
output webhookKekReference string = '@Microsoft.KeyVault(VaultName=${vault.name};SecretName=${webhookKekSecretName})'
