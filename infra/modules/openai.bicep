// Azure OpenAI account and its model deployments. Key auth is off: the app calls with Entra ID tokens
// (scope https://cognitiveservices.azure.com/.default) from its managed identity.
import { modelDeployment } from '../types.bicep'

@description('Account name, also the custom subdomain of the endpoint: 2-64 letters, digits and hyphens.')
@minLength(2)
@maxLength(64)
param name string

param location string
param tags object

@description('Model deployments: [{ name, model, version, skuName (GlobalStandard | Standard | DataZoneStandard | ProvisionedManaged), capacity (thousands of TPM, or PTUs) }].')
param deployments modelDeployment[]

@description('Principal id of the app identity.')
param principalId string

resource account 'Microsoft.CognitiveServices/accounts@2026-09-01' = {
  name: name
  location: location
  tags: tags
  kind: 'OpenAI'
  sku: {
    name: 'S0'
  }
  properties: {
    customSubDomainName: name
    disableLocalAuth: true
    publicNetworkAccess: 'Enabled'
  }
}

// One at a time: the service rejects concurrent deployment changes on one account.
@batchSize(1)
resource deployment 'Microsoft.CognitiveServices/accounts/deployments@2026-09-01' = [
  for d in deployments: {
    parent: account
    name: d.name
    sku: {
      name: d.skuName
      capacity: d.capacity
    }
    properties: {
      model: {
        format: 'OpenAI'
        name: d.model
        version: d.version
      }
      versionUpgradeOption: 'NoAutoUpgrade'
    }
  }
]

module access 'openai-access.bicep' = {
  name: 'openai-access-${uniqueString(account.id)}'
  params: {
    accountName: account.name
    principalId: principalId
  }
}

output id string = account.id
output name string = account.name
output endpoint string = account.properties.endpoint
output deploymentNames array = [for (d, i) in deployments: deployment[i].name]
