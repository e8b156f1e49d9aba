// prompt-pipeline: the whole platform in one subscription-scope deployment.
//   az deployment sub create -l <region> -f infra/main.bicep -p infra/<env>.bicepparam
// It creates the resource group and, inside it, one user-assigned identity that every service trusts
// through Entra ID role assignments: no keys, SAS rules or connection strings with secrets anywhere.
// Queues and containers come from infra/definitions/*.json, which the local emulators read too.
targetScope = 'subscription'

import { modelDeployment, tenantMapping } from 'types.bicep'

@description('Environment name; part of resource names and tags.')
@allowed([
  'dev'
  'test'
  'prod'
])
param environmentName string

@description('Region for every resource (Flex Consumption must be available there: az functionapp list-flexconsumption-locations).')
param location string = deployment().location

@description('Short workload name used in resource names: lowercase letters and digits.')
@minLength(2)
@maxLength(8)
param workloadName string = 'pp'

@description('Tags added to every resource (environment and workload tags are always set).')
param tags object = {}

@description('Resource group name; empty for rg-<workload>-<environment>.')
param resourceGroupName string = ''

@description('azd environment name (AZURE_ENV_NAME) when deployed with `azd up`: tags the resource group for azd and keeps two azd environments of the same environmentName apart. Empty for az deployment.')
param azdEnvironmentName string = ''

// ── Service Bus ────────────────────────────────────────────────────────────────────────────────────
@allowed([
  'Standard'
  'Premium'
])
param serviceBusSku string = 'Standard'

@minValue(1)
@maxValue(16)
param serviceBusPremiumMessagingUnits int = 1

@description('Data Owner on the namespace enables target-based scaling of the Service Bus trigger; false grants only Data Sender + Data Receiver.')
param serviceBusTargetBasedScaling bool = true

// ── Cosmos DB ──────────────────────────────────────────────────────────────────────────────────────
@allowed([
  'serverless'
  'autoscale'
])
param cosmosCapacityMode string = 'serverless'

@minValue(1000)
@maxValue(1000000)
param cosmosAutoscaleMaxThroughput int = 4000

param cosmosZoneRedundant bool = false

// ── Azure OpenAI ───────────────────────────────────────────────────────────────────────────────────
@allowed([
  'create'
  'existing'
])
@description('create: a new Azure OpenAI account with `openAiDeployments`; existing: use `existingOpenAiEndpoint`, whose deployments `openAiDeployments` describes.')
param openAiMode string = 'create'

@description('Region of a new Azure OpenAI account (model availability differs by region).')
param openAiLocation string = location

@description('Model deployments: [{ alias, name, model, version, skuName, capacity }]. `alias` is what jobs ask for (MODEL_POOLS key); capacity is in thousands of tokens per minute.')
param openAiDeployments modelDeployment[] = [
  {
    alias: 'gpt-4o-mini'
    name: 'gpt-4o-mini'
    model: 'gpt-4o-mini'
    version: '2024-07-18'
    skuName: 'GlobalStandard'
    capacity: 30
  }
]

@description('Endpoint of an existing Azure OpenAI account (openAiMode = existing), e.g. https://<name>.openai.azure.com/.')
param existingOpenAiEndpoint string = ''

@description('Resource id of that existing account, to grant the app Cognitive Services OpenAI User on it; empty if granted elsewhere.')
param existingOpenAiResourceId string = ''

@description('MODEL_POOLS JSON to use verbatim instead of the one built from openAiDeployments (e.g. several regions).')
param modelPoolsJson string = ''

@description('MODEL_INSTANCE_SHARE: the most one instance may lease of a deployment quota; instances share each quota through leases in Cosmos DB (see docs/model-layer.md).')
param modelInstanceShare string = '1'

// ── Function app (Flex Consumption) ───────────────────────────────────────────────────────────────
@minValue(40)
@maxValue(1000)
param functionMaximumInstanceCount int = 100

@allowed([
  512
  2048
  4096
])
param functionInstanceMemoryMB int = 2048

@description('Queue-triggered functions kept warm: a scaled-to-zero Flex app can take about two minutes to notice a Service Bus message.')
param alwaysReadyFunctions array = [
  'acceptQueue'
  'invoke'
  'postprocess'
  'persist'
  'deliver'
]

@minValue(0)
@description('Always-ready instances per function in alwaysReadyFunctions; 0 lets them scale to zero.')
param alwaysReadyInstanceCount int = 1

@minValue(0)
@description('Always-ready instances for the HTTP functions (the `http` group); 0 lets them scale to zero.')
param alwaysReadyHttpInstanceCount int = 0

@description('Public base URL of the HTTP API (custom domain or gateway); empty for the function app host name.')
param publicBaseUrl string = ''

@allowed([
  'debug'
  'info'
  'warn'
  'error'
])
param logLevel string = 'info'

// ── Access: admins and producers ──────────────────────────────────────────────────────────────────
@description('Entra audience(s) of the API: its App ID URI and/or client id, comma-separated (ENTRA_AUDIENCE). Empty leaves Entra sign-in off: callers use API keys only, and adminPrincipalIds has no effect.')
param entraAudience string = ''

@description('Object ids of the Entra users or service principals who administer the platform. Each is mapped to the platform tenant `adminPlatformTenantId` in ENTRA_TENANT_MAP; the admin API also needs the Platform.Admin app role on the API app registration (docs/deploy.md).')
param adminPrincipalIds string[] = []

@description('Platform tenant the admins act as (the admin API needs a tenant mapping like every Entra caller).')
@minLength(1)
param adminPlatformTenantId string = 'platform-ops'

@description('More ENTRA_TENANT_MAP entries for producer apps or principals: [{ tid, appId | oid, tenantId }] (docs/security.md).')
param entraTenantMap tenantMapping[] = []

@description('Object ids of producer identities (managed identities or app service principals) that send jobs straight to the `intake` queue: each gets Azure Service Bus Data Sender on that queue only.')
param producerPrincipalIds string[] = []

@description('More app settings for optional features, e.g. { ENTRA_TENANT_ID: "...", ENTRA_AUDIENCE: "api://..." }. No secrets.')
param extraAppSettings object = {}

// ── Key Vault ──────────────────────────────────────────────────────────────────────────────────────
param keyVaultPurgeProtection bool = true

@description('Name of a Key Vault secret holding the API key pepper (API_KEY_PEPPER, at least 32 characters); empty for none. Create the secret before setting this and before issuing keys: a new pepper invalidates every issued key.')
param apiKeyPepperSecretName string = ''

@description('Legacy secret holding a 32-byte webhook KEK (WEBHOOK_KEK_BASE64) from before the RSA key; keep it while webhook secrets wrapped with it exist, empty for a new environment whose code reads WEBHOOK_KEK_KEY_ID.')
param legacyWebhookKekSecretName string = 'webhook-kek'

// ── Monitoring and alerts ──────────────────────────────────────────────────────────────────────────
@minValue(30)
@maxValue(730)
param logRetentionDays int = 30

@description('Resource id of the action group alerts notify; empty for none.')
param actionGroupId string = ''

@minValue(1)
param alertBacklogThreshold int = 1000

@minValue(0)
param alertFailedExecutionsThreshold int = 5

@minValue(1)
@maxValue(100)
param alertModelThrottlePercent int = 5

@minValue(5)
param alertJobWaitMinutes int = 30

// ── Names ──────────────────────────────────────────────────────────────────────────────────────────
// uniqueString is 13 characters; with the abbreviations below every name stays within its limit
// (storage 24, key vault 24, function app 32, Cosmos DB 44, Service Bus 50, Azure OpenAI 64);
// test/infra/names.test.ts checks the longest possible value of each.
var workload = toLower(workloadName)
var token = toLower(empty(azdEnvironmentName)
  ? uniqueString(subscription().id, workloadName, environmentName, location)
  : uniqueString(subscription().id, workloadName, environmentName, location, azdEnvironmentName))
var names = {
  resourceGroup: empty(resourceGroupName) ? 'rg-${workload}-${environmentName}' : resourceGroupName
  identity: 'id-${workload}-${environmentName}-${token}'
  storage: 'st${take(replace(workload, '-', ''), 6)}${token}'
  logAnalytics: 'log-${workload}-${environmentName}-${token}'
  appInsights: 'appi-${workload}-${environmentName}-${token}'
  plan: 'asp-${workload}-${environmentName}-${token}'
  functionApp: 'func-${workload}-${environmentName}-${token}'
  serviceBus: 'sbns-${workload}-${environmentName}-${token}'
  cosmos: 'cosno-${workload}-${environmentName}-${token}'
  openAi: 'oai-${workload}-${environmentName}-${token}'
  keyVault: 'kv-${take(replace(workload, '-', ''), 4)}-${token}'
  alertPrefix: '${workload}-${environmentName}'
}
var deploymentContainerName = 'app-package'

var allTags = union(tags, {
  environment: environmentName
  workload: workloadName
  'managed-by': 'bicep'
})

// One source of truth for queues and containers, shared with the local emulators.
var queueDefinitions = loadJsonContent('definitions/queues.json')
var cosmosDefinition = loadJsonContent('definitions/cosmos.json')

var alwaysReady = concat(
  alwaysReadyInstanceCount > 0
    ? map(alwaysReadyFunctions, f => { name: 'function:${f}', instanceCount: alwaysReadyInstanceCount })
    : [],
  alwaysReadyHttpInstanceCount > 0 ? [{ name: 'http', instanceCount: alwaysReadyHttpInstanceCount }] : []
)

resource rg 'Microsoft.Resources/resourceGroups@2025-04-01' = {
  name: names.resourceGroup
  location: location
  tags: empty(azdEnvironmentName) ? allTags : union(allTags, { 'azd-env-name': azdEnvironmentName })
}

module identity 'modules/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: names.identity
    location: location
    tags: allTags
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: names.logAnalytics
    appInsightsName: names.appInsights
    location: location
    tags: allTags
    principalId: identity.outputs.principalId
    retentionInDays: logRetentionDays
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: names.storage
    location: location
    tags: allTags
    deploymentContainerName: deploymentContainerName
    principalId: identity.outputs.principalId
    skuName: environmentName == 'prod' ? 'Standard_ZRS' : 'Standard_LRS'
  }
}

module serviceBus 'modules/servicebus.bicep' = {
  name: 'servicebus'
  scope: rg
  params: {
    name: names.serviceBus
    location: location
    tags: allTags
    skuName: serviceBusSku
    premiumMessagingUnits: serviceBusPremiumMessagingUnits
    queues: queueDefinitions.queues
    principalId: identity.outputs.principalId
    targetBasedScaling: serviceBusTargetBasedScaling
    intakeQueueName: 'intake'
    intakeSenderPrincipalIds: producerPrincipalIds
  }
}

module cosmos 'modules/cosmos.bicep' = {
  name: 'cosmos'
  scope: rg
  params: {
    name: names.cosmos
    location: location
    tags: allTags
    definition: cosmosDefinition
    capacityMode: cosmosCapacityMode
    autoscaleMaxThroughput: cosmosAutoscaleMaxThroughput
    zoneRedundant: cosmosZoneRedundant
    principalId: identity.outputs.principalId
  }
}

module openAi 'modules/openai.bicep' = if (openAiMode == 'create') {
  name: 'openai'
  scope: rg
  params: {
    name: names.openAi
    location: openAiLocation
    tags: allTags
    deployments: openAiDeployments
    principalId: identity.outputs.principalId
  }
}

// An existing account lives in its own resource group (maybe another subscription): grant access there.
// ARM may evaluate a skipped module's scope, so an empty id must still split into a valid one.
var existingOpenAiIdParts = split(
  empty(existingOpenAiResourceId)
    ? '/subscriptions/${subscription().subscriptionId}/resourceGroups/${names.resourceGroup}/providers/Microsoft.CognitiveServices/accounts/none'
    : existingOpenAiResourceId,
  '/'
)

module existingOpenAiAccess 'modules/openai-access.bicep' = if (openAiMode == 'existing' && !empty(existingOpenAiResourceId)) {
  name: 'openai-access-existing'
  scope: resourceGroup(existingOpenAiIdParts[2], existingOpenAiIdParts[4])
  params: {
    accountName: last(existingOpenAiIdParts)
    principalId: identity.outputs.principalId
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  scope: rg
  params: {
    name: names.keyVault
    location: location
    tags: allTags
    principalId: identity.outputs.principalId
    enablePurgeProtection: keyVaultPurgeProtection
    legacyWebhookKekSecretName: legacyWebhookKekSecretName
    grantSecretsUser: !empty(legacyWebhookKekSecretName) || !empty(apiKeyPepperSecretName)
  }
}

// The module exists exactly when openAiMode is 'create', so the assertion holds where it is evaluated.
var openAiEndpoint = openAiMode == 'create' ? openAi!.outputs.endpoint : existingOpenAiEndpoint

// MODEL_POOLS (shared/model/settings.ts): alias → deployments, Entra auth, quota from the capacity. A
// GlobalBatch deployment becomes kind `globalBatch` (routing by deadline, shared/capacity): its capacity is
// the enqueued-token quota. groupBy/mapValues need Bicep 0.29 or later.
var generatedModelPools = mapValues(
  groupBy(openAiDeployments, d => d.alias),
  pool =>
    map(
      pool,
      d =>
        d.skuName == 'GlobalBatch'
          ? {
              name: d.name
              kind: 'globalBatch'
              endpoint: openAiEndpoint
              deployment: d.name
              model: d.model
              auth: 'entra'
              enqueuedTokens: d.capacity * 1000
            }
          : {
              name: d.name
              kind: 'azure'
              endpoint: openAiEndpoint
              deployment: d.name
              model: d.model
              auth: 'entra'
              tpm: d.capacity * 1000
            }
    )
)

// Entra sign-in (shared/auth/entra-config.ts): the directory is this deployment's tenant; every admin is
// mapped to the admin platform tenant, after the mappings given for producers.
var adminTenantMap = map(adminPrincipalIds, oid => {
  tid: tenant().tenantId
  oid: oid
  tenantId: adminPlatformTenantId
})
var entraSettings = empty(entraAudience)
  ? {}
  : {
      ENTRA_TENANT_ID: tenant().tenantId
      ENTRA_AUDIENCE: entraAudience
      ENTRA_TENANT_MAP: string(concat(entraTenantMap, adminTenantMap))
    }

module functionApp 'modules/functionapp.bicep' = {
  name: 'functionapp'
  scope: rg
  params: {
    name: names.functionApp
    planName: names.plan
    location: location
    // azd deploys the `api` service of azure.yaml to the resource with this tag.
    tags: union(allTags, { 'azd-service-name': 'api' })
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    deploymentContainerUrl: storage.outputs.deploymentContainerUrl
    appInsightsName: monitoring.outputs.appInsightsName
    serviceBusFullyQualifiedNamespace: serviceBus.outputs.fullyQualifiedNamespace
    cosmosEndpoint: cosmos.outputs.endpoint
    cosmosDatabaseName: cosmos.outputs.databaseName
    platformSettings: {
      MODEL_POOLS: empty(modelPoolsJson) ? string(generatedModelPools) : modelPoolsJson
      MODEL_INSTANCE_SHARE: modelInstanceShare
      WEBHOOK_KEK_KEY_ID: keyVault.outputs.webhookKekKeyId
      // Files API: Blob Storage with the identity (no key; the account refuses shared keys).
      STORAGE_BLOB_ENDPOINT: storage.outputs.blobEndpoint
      ...entraSettings
      ...(empty(legacyWebhookKekSecretName) ? {} : { WEBHOOK_KEK_BASE64: keyVault.outputs.legacyWebhookKekReference })
      ...(empty(apiKeyPepperSecretName)
        ? {}
        : { API_KEY_PEPPER: '@Microsoft.KeyVault(VaultName=${keyVault.outputs.name};SecretName=${apiKeyPepperSecretName})' })
    }
    extraAppSettings: extraAppSettings
    publicBaseUrl: publicBaseUrl
    logLevel: logLevel
    maximumInstanceCount: functionMaximumInstanceCount
    instanceMemoryMB: functionInstanceMemoryMB
    alwaysReady: alwaysReady
  }
}

module alerts 'modules/alerts.bicep' = {
  name: 'alerts'
  scope: rg
  params: {
    namePrefix: names.alertPrefix
    location: location
    tags: allTags
    actionGroupId: actionGroupId
    serviceBusNamespaceId: serviceBus.outputs.id
    appInsightsId: monitoring.outputs.appInsightsId
    backlogQueues: [
      'intake'
      'invoke'
    ]
    backlogThreshold: alertBacklogThreshold
    failedExecutionsThreshold: alertFailedExecutionsThreshold
    modelThrottlePercentThreshold: alertModelThrottlePercent
    jobWaitMinutes: alertJobWaitMinutes
  }
}

module workbook 'modules/workbook.bicep' = {
  name: 'workbook'
  scope: rg
  params: {
    name: guid(rg.id, 'prompt-pipeline-operations')
    displayName: 'prompt-pipeline operations (${environmentName})'
    location: location
    tags: allTags
    appInsightsId: monitoring.outputs.appInsightsId
    serviceBusNamespaceId: serviceBus.outputs.id
  }
}

// Names and endpoints only: nothing here is a credential.
output resourceGroupName string = rg.name
@description('For azd: the resource group it deploys the services into.')
output AZURE_RESOURCE_GROUP string = rg.name
output functionAppName string = functionApp.outputs.name
output apiBaseUrl string = functionApp.outputs.url
output identityClientId string = identity.outputs.clientId
output serviceBusNamespace string = serviceBus.outputs.fullyQualifiedNamespace
output cosmosEndpoint string = cosmos.outputs.endpoint
output cosmosDatabase string = cosmos.outputs.databaseName
output openAiEndpoint string = openAiEndpoint
output keyVaultName string = keyVault.outputs.name
output webhookKekName string = keyVault.outputs.webhookKekName
output webhookKekKeyId string = keyVault.outputs.webhookKekKeyId
output storageAccountName string = storage.outputs.name
output appInsightsName string = monitoring.outputs.appInsightsName
