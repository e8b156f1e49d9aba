// Key Vault in RBAC mode for the webhook key-encryption key (KEK). Webhook signing secrets are stored in
// Cosmos DB encrypted under a per-secret data key, and only the data key, wrapped by the KEK, is kept
// beside it (envelope encryption, shared/webhooks/key-wrapper.ts): a reader of the database alone cannot
// use them.
//
// The KEK is an RSA key created here (`webhookKekKeyName`) that never leaves the vault: the app wraps and
// unwraps data keys with it through its identity (@azure/keyvault-keys CryptographyClient, RSA-OAEP-256),
// with the versionless key id in the app setting WEBHOOK_KEK_KEY_ID. The rotation policy makes a new key
// version every year; older versions stay enabled for unwrapping what they wrapped.
//
// Migration: environments created before the key kept a 32-byte secret (`legacyWebhookKekSecretName`)
// read through a Key Vault reference (WEBHOOK_KEK_BASE64). It stays readable so data keys wrapped with it
// can still be unwrapped; set the parameter to '' only when none are left (docs/deploy.md, Rotation).
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

@description('Name of the RSA key that wraps webhook data keys.')
param webhookKekKeyName string = 'webhook-kek-rsa'

@description('Name of the legacy secret that held a 32-byte KEK before the RSA key existed; empty when no environment data depends on it.')
param legacyWebhookKekSecretName string = 'webhook-kek'

@description('Also let the app read secrets (the legacy KEK secret, API_KEY_PEPPER).')
param grantSecretsUser bool = true

// Key Vault Crypto Service Encryption User: read key metadata, wrap and unwrap; no encrypt/decrypt/sign of
// arbitrary data and no key management. Narrower than Key Vault Crypto User, and scoped to the one key.
var cryptoServiceEncryptionUserRoleId = 'e147488a-f6f5-4113-8e2d-b22465e65bf6'

// Key Vault Secrets User: read secret values only. The secrets (legacy KEK, API key pepper) are made by an
// operator after the deployment, so the vault is the narrowest scope that exists before they do.
var secretsUserRoleId = '4633458b-17de-408a-b874-0445c86b69e6'

resource vault 'Microsoft.KeyVault/vaults@2026-05-15' = {
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

resource webhookKek 'Microsoft.KeyVault/vaults/keys@2026-05-15' = {
  parent: vault
  name: webhookKekKeyName
  tags: tags
  properties: {
    kty: 'RSA'
    keySize: 3072
    keyOps: [
      'wrapKey'
      'unwrapKey'
    ]
    attributes: {
      enabled: true
      exportable: false
    }
    rotationPolicy: {
      attributes: {
        expiryTime: 'P2Y'
      }
      lifetimeActions: [
        {
          trigger: {
            timeAfterCreate: 'P1Y'
          }
          action: {
            type: 'rotate'
          }
        }
        {
          trigger: {
            timeBeforeExpiry: 'P30D'
          }
          action: {
            type: 'notify'
          }
        }
      ]
    }
  }
}

resource kekUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(webhookKek.id, principalId, cryptoServiceEncryptionUserRoleId)
  scope: webhookKek
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', cryptoServiceEncryptionUserRoleId)
  }
}

resource secretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (grantSecretsUser) {
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
output webhookKekName string = webhookKek.name
@description('App setting WEBHOOK_KEK_KEY_ID: the versionless key id https://<vault>.vault.azure.net/keys/<name>, so wrapping always uses the newest version.')
output webhookKekKeyId string = webhookKek.properties.keyUri
@description('App setting WEBHOOK_KEK_BASE64 for environments that still have the legacy secret: a versionless Key Vault reference; empty when there is none.')
output legacyWebhookKekReference string = empty(legacyWebhookKekSecretName)
  ? ''
  : '@Microsoft.KeyVault(VaultName=${vault.name};SecretName=${legacyWebhookKekSecretName})'
