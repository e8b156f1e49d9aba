// Development: smallest footprint. Serverless Cosmos DB, Standard Service Bus, no always-ready instances
// (queue triggers may take up to ~2 minutes to wake a scaled-to-zero app), no purge protection so the
// environment can be torn down and recreated with the same names.
using './main.bicep'

param environmentName = 'dev'
param location = 'swedencentral'
param workloadName = 'pp'
param tags = {
  owner: 'platform-team'
  costCenter: 'dev'
}

param serviceBusSku = 'Standard'
param cosmosCapacityMode = 'serverless'

param openAiMode = 'create'
param openAiDeployments = [
  {
    alias: 'gpt-4o-mini'
    name: 'gpt-4o-mini'
    model: 'gpt-4o-mini'
    version: '2024-07-18'
    skuName: 'GlobalStandard'
    capacity: 10
  }
]

param functionMaximumInstanceCount = 40
param functionInstanceMemoryMB = 2048
param alwaysReadyInstanceCount = 0
param alwaysReadyHttpInstanceCount = 0
param logLevel = 'debug'

param keyVaultPurgeProtection = false
param logRetentionDays = 30
param actionGroupId = ''
