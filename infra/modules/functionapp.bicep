// Function app on Flex Consumption (Linux, Node.js 22) running as the user-assigned identity. Every setting
// is identity-based: no connection string with a key, no SAS, no storage key. Flex manages the runtime
// and the package itself, so FUNCTIONS_WORKER_RUNTIME, FUNCTIONS_EXTENSION_VERSION, WEBSITE_RUN_FROM_PACKAGE,
// WEBSITE_CONTENT* and build settings must not be set (they are rejected or ignored on Flex).
@description('Function app name: 2-60 letters, digits and hyphens; also the default host name.')
@minLength(2)
@maxLength(60)
param name string

@description('Flex Consumption plan name.')
param planName string

param location string
param tags object

@description('Resource id of the user-assigned identity the app runs as.')
param identityId string

@description('Client id of that identity: the credential every identity-based connection uses.')
param identityClientId string

param storageAccountName string

@description('https://<account>.blob.core.windows.net/<container>: where Flex keeps the deployment package.')
param deploymentContainerUrl string

param appInsightsName string

@description('<namespace>.servicebus.windows.net')
param serviceBusFullyQualifiedNamespace string

param cosmosEndpoint string
param cosmosDatabaseName string

@description('Platform settings computed by main.bicep (model endpoint and deployments, webhook key, ...).')
param platformSettings object

@description('Extra settings for optional features (e.g. ENTRA_* for Entra ID callers). Never secrets: the app reads secrets through its identity.')
param extraAppSettings object = {}

@description('Public base URL of the HTTP API; empty means https://<default host name>.')
param publicBaseUrl string = ''

@allowed([
  'debug'
  'info'
  'warn'
  'error'
])
param logLevel string = 'info'

@minValue(40)
@maxValue(1000)
@description('Upper bound on instances: bounds the load the app can put on Cosmos DB, the model quota and webhook receivers.')
param maximumInstanceCount int = 100

@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Always-ready entries for Flex: [{ name: "function:<name>" | "http", instanceCount }].')
param alwaysReady array = []

// Host storage through the identity: the runtime needs blob access only (see storage.bicep).
var hostStorageSettings = {
  AzureWebJobsStorage__accountName: storageAccountName
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
}

// The Service Bus extension resolves the binding connection `ServiceBusConnection` from these three.
var serviceBusSettings = {
  ServiceBusConnection__fullyQualifiedNamespace: serviceBusFullyQualifiedNamespace
  ServiceBusConnection__credential: 'managedidentity'
  ServiceBusConnection__clientId: identityClientId
}

// The host refuses request bodies over this before the worker sees them (default 100 MB). Uploads reach
// 200 MB files (docs/batches.md): the file plus 1 MB for the multipart boundaries and fields.
var hostLimitSettings = {
  FUNCTIONS_REQUEST_BODY_SIZE_LIMIT: string(201 * 1024 * 1024)
}

// Local auth is off on the component: the host must authenticate its telemetry with the identity.
var telemetrySettings = {
  APPLICATIONINSIGHTS_CONNECTION_STRING: appInsights.properties.ConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
}

var pipelineSettings = {
  PIPELINE_ENVIRONMENT: 'azure'
  LOG_LEVEL: logLevel
  // DefaultAzureCredential in shared/ picks the user-assigned identity from this.
  AZURE_CLIENT_ID: identityClientId
  COSMOS_ENDPOINT: cosmosEndpoint
  COSMOS_DATABASE: cosmosDatabaseName
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

resource plan 'Microsoft.Web/serverfarms@2025-03-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

resource site 'Microsoft.Web/sites@2025-03-01' = {
  name: name
  location: location
  tags: tags
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    // Key Vault references in app settings (WEBHOOK_KEK_BASE64) resolve with the user-assigned identity.
    keyVaultReferenceIdentity: identityId
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: deploymentContainerUrl
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
        alwaysReady: alwaysReady
      }
      runtime: {
        name: 'node'
        version: '22'
      }
    }
  }

  // Publishing goes through Entra ID (az CLI / Core Tools with a token), never basic credentials.
  resource scmBasicAuth 'basicPublishingCredentialsPolicies' = {
    name: 'scm'
    properties: {
      allow: false
    }
  }

  resource ftpBasicAuth 'basicPublishingCredentialsPolicies' = {
    name: 'ftp'
    properties: {
      allow: false
    }
  }
}

resource appSettings 'Microsoft.Web/sites/config@2025-03-01' = {
  parent: site
  name: 'appsettings'
  properties: union(
    extraAppSettings,
    platformSettings,
    hostStorageSettings,
    hostLimitSettings,
    serviceBusSettings,
    telemetrySettings,
    pipelineSettings,
    {
      PUBLIC_BASE_URL: empty(publicBaseUrl) ? 'https://${site.properties.defaultHostName}' : publicBaseUrl
    }
  )
}

output id string = site.id
output name string = site.name
output defaultHostName string = site.properties.defaultHostName
output url string = empty(publicBaseUrl) ? 'https://${site.properties.defaultHostName}' : publicBaseUrl
