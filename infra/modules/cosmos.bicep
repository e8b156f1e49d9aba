// Cosmos DB (NoSQL) account, database and every container from infra/definitions/cosmos.json (loaded by
// main.bicep with loadJsonContent, the same file the local stack reads). Keys are off (disableLocalAuth) and
// data-plane RBAC cannot create databases or containers, so they are all declared here.
@description('Account name: 3-44 lowercase letters, digits and hyphens.')
@minLength(3)
@maxLength(44)
param name string

param location string
param tags object

@description('The parsed infra/definitions/cosmos.json: { database, containers[] }.')
param definition object

@allowed([
  'serverless'
  'autoscale'
])
@description('Serverless bills per request (good for spiky or small load); autoscale provisions shared database throughput between 10% and 100% of the maximum.')
param capacityMode string = 'serverless'

@minValue(1000)
@maxValue(1000000)
@description('Autoscale maximum RU/s shared by the database, in steps of 1000 (autoscale mode only).')
param autoscaleMaxThroughput int = 4000

@description('Principal id of the app identity.')
param principalId string

@description('Spread the account over availability zones in its region (not available for serverless everywhere).')
param zoneRedundant bool = false

var isServerless = capacityMode == 'serverless'

// Cosmos DB Built-in Data Contributor (data plane): read/write items and query; no control-plane rights.
var dataContributorRoleDefinitionId = '00000000-0000-0000-0000-000000000002'

resource account 'Microsoft.DocumentDB/databaseAccounts@2026-03-15' = {
  name: name
  location: location
  tags: tags
  kind: 'GlobalDocumentDB'
  properties: {
    databaseAccountOfferType: 'Standard'
    disableLocalAuth: true
    // Keys could otherwise still change containers through the metadata path.
    disableKeyBasedMetadataWriteAccess: true
    minimalTlsVersion: 'Tls12'
    publicNetworkAccess: 'Enabled'
    consistencyPolicy: {
      defaultConsistencyLevel: 'Session'
    }
    locations: [
      {
        locationName: location
        failoverPriority: 0
        isZoneRedundant: zoneRedundant
      }
    ]
    capabilities: isServerless ? [{ name: 'EnableServerless' }] : []
  }
}

resource database 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases@2026-03-15' = {
  parent: account
  name: definition.database
  properties: {
    resource: {
      id: definition.database
    }
    options: isServerless ? {} : { autoscaleSettings: { maxThroughput: autoscaleMaxThroughput } }
  }
}

// Partition keys cannot change after creation; more than one path means a hierarchical (MultiHash) key.
resource container 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers@2026-03-15' = [
  for c in definition.containers: {
    parent: database
    name: c.name
    properties: {
      resource: {
        id: c.name
        partitionKey: {
          paths: c.partitionKeyPaths
          kind: length(c.partitionKeyPaths) > 1 ? 'MultiHash' : 'Hash'
          version: 2
        }
        indexingPolicy: c.indexingPolicy
        defaultTtl: c.defaultTtl
      }
    }
  }
]

resource dataContributor 'Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments@2026-03-15' = {
  parent: account
  name: guid(account.id, principalId, dataContributorRoleDefinitionId)
  properties: {
    principalId: principalId
    roleDefinitionId: '${account.id}/sqlRoleDefinitions/${dataContributorRoleDefinitionId}'
    // Scoped to the platform's database, not the whole account.
    scope: '${account.id}/dbs/${definition.database}'
  }
  dependsOn: [
    database
  ]
}

output id string = account.id
output name string = account.name
output endpoint string = account.properties.documentEndpoint
output databaseName string = database.name
output containerNames array = [for (c, i) in definition.containers: container[i].name]
