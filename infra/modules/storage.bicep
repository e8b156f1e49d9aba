// Host storage for the Functions runtime and the Flex Consumption deployment container. Shared keys are
// off: the runtime (AzureWebJobsStorage__*) and the deployment (functionAppConfig.deployment.storage) both
// authenticate with the user-assigned identity.
@description('Storage account name: 3-24 lowercase letters and digits.')
@minLength(3)
@maxLength(24)
param name string

param location string
param tags object

@description('Blob container that holds the Flex Consumption deployment package.')
param deploymentContainerName string

@description('Principal id of the app identity.')
param principalId string

@description('Days after which uploaded and produced files (containers batch, batch-output) are deleted.')
@minValue(1)
param filesRetentionDays int = 30

@description('Days after which claim-check bodies (container claim-checks) are deleted: past the 14-day time-to-live of the queue messages.')
@minValue(15)
param claimCheckRetentionDays int = 15

@allowed([
  'Standard_LRS'
  'Standard_ZRS'
])
param skuName string = 'Standard_LRS'

// Storage Blob Data Owner: the host keeps leases and keys in blobs and the deployment reads the package.
// Queue and Table roles are not granted: no function uses storage queues, tables or Durable Functions.
var blobDataOwnerRoleId = 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'

// Storage Blob Data Contributor on the Files API's and the claim checks' containers only: read, write and
// delete blobs there. The host's Data Owner above covers them too today; this grant states what the app
// needs on its own, and keeps working if host storage moves to an account of its own.
var blobDataContributorRoleId = 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'

// One container per file purpose (shared/files/file.ts: FILE_CONTAINERS); `_` is not allowed in names.
var fileContainerNames = [
  'batch'
  'batch-output'
]

// Message bodies over the claim-check threshold (shared/blob/payload-store.ts: CLAIM_CHECK_CONTAINER).
var claimCheckContainerName = 'claim-checks'

var appContainerNames = concat(fileContainerNames, [claimCheckContainerName])

resource account 'Microsoft.Storage/storageAccounts@2026-09-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: skuName
  }
  properties: {
    allowSharedKeyAccess: false
    allowBlobPublicAccess: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled'
    accessTier: 'Hot'
  }

  resource blobService 'blobServices' = {
    name: 'default'
    properties: {
      deleteRetentionPolicy: {
        enabled: true
        days: 7
      }
    }

    resource deploymentContainer 'containers' = {
      name: deploymentContainerName
      properties: {
        publicAccess: 'None'
      }
    }
  }

  // Files expire: batch inputs and outputs are working data, not an archive (docs/batches.md).
  resource lifecycle 'managementPolicies' = {
    name: 'default'
    properties: {
      policy: {
        rules: [
          {
            name: 'expire-files'
            enabled: true
            type: 'Lifecycle'
            definition: {
              filters: {
                blobTypes: [
                  'blockBlob'
                ]
                prefixMatch: [for container in fileContainerNames: '${container}/']
              }
              actions: {
                baseBlob: {
                  delete: {
                    daysAfterCreationGreaterThan: filesRetentionDays
                  }
                }
              }
            }
          }
          {
            // A body is read while its message lives (14 days at most); after that nothing refers to it.
            name: 'expire-claim-checks'
            enabled: true
            type: 'Lifecycle'
            definition: {
              filters: {
                blobTypes: [
                  'blockBlob'
                ]
                prefixMatch: [
                  '${claimCheckContainerName}/'
                ]
              }
              actions: {
                baseBlob: {
                  delete: {
                    daysAfterCreationGreaterThan: claimCheckRetentionDays
                  }
                }
              }
            }
          }
        ]
      }
    }
  }
}

resource appContainers 'Microsoft.Storage/storageAccounts/blobServices/containers@2026-09-01' = [
  for container in appContainerNames: {
    parent: account::blobService
    name: container
    properties: {
      publicAccess: 'None'
    }
  }
]

resource appContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (container, index) in appContainerNames: {
    name: guid(appContainers[index].id, principalId, blobDataContributorRoleId)
    scope: appContainers[index]
    properties: {
      principalId: principalId
      principalType: 'ServicePrincipal'
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', blobDataContributorRoleId)
    }
  }
]

resource blobOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(account.id, principalId, blobDataOwnerRoleId)
  scope: account
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', blobDataOwnerRoleId)
  }
}

output id string = account.id
output name string = account.name
output blobEndpoint string = account.properties.primaryEndpoints.blob
output deploymentContainerUrl string = '${account.properties.primaryEndpoints.blob}${deploymentContainerName}'
