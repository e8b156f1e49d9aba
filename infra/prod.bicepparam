// Production: Premium Service Bus (predictable throughput, 100 MB messages available), autoscale Cosmos DB,
// one always-ready instance for every queue-triggered stage and the HTTP group, purge protection on,
// alerts to the on-call action group named by the PP_ACTION_GROUP_ID environment variable.
using './main.bicep'

param environmentName = 'prod'
param location = 'swedencentral'
param workloadName = 'pp'
param tags = {
  owner: 'platform-team'
  costCenter: 'ai-platform'
  criticality: 'high'
}

param serviceBusSku = 'Premium'
param serviceBusPremiumMessagingUnits = 1
param serviceBusTargetBasedScaling = true

param cosmosCapacityMode = 'autoscale'
param cosmosAutoscaleMaxThroughput = 10000
param cosmosZoneRedundant = true

param openAiMode = 'create'
param openAiDeployments = [
  {
    alias: 'gpt-4o-mini'
    name: 'gpt-4o-mini'
    model: 'gpt-4o-mini'
    version: '2024-07-18'
    skuName: 'GlobalStandard'
    capacity: 200
  }
  {
    // Global Batch (half the price, 24 h target): work with a far deadline is routed here (docs/batches.md).
    alias: 'gpt-4o-mini'
    name: 'gpt-4o-mini-batch'
    model: 'gpt-4o-mini'
    version: '2024-07-18'
    skuName: 'GlobalBatch'
    capacity: 5000
  }
  {
    alias: 'gpt-4o'
    name: 'gpt-4o'
    model: 'gpt-4o'
    version: '2024-11-20'
    skuName: 'GlobalStandard'
    capacity: 100
  }
]
// Instances lease shares of each deployment's quota from Cosmos DB (MODEL_QUOTA_COORDINATION, on in
// Azure); this only caps what one instance may lease, so a fleet of any size can use the whole quota.
param modelInstanceShare = '1'

param functionMaximumInstanceCount = 100
param functionInstanceMemoryMB = 2048
param alwaysReadyInstanceCount = 1
param alwaysReadyHttpInstanceCount = 1
param logLevel = 'info'

param keyVaultPurgeProtection = true
param logRetentionDays = 90
// The on-call action group, e.g. /subscriptions/<id>/resourceGroups/rg-ops/providers/microsoft.insights/actionGroups/ag-oncall
param actionGroupId = readEnvironmentVariable('PP_ACTION_GROUP_ID', '')
param alertBacklogThreshold = 5000
param alertFailedExecutionsThreshold = 10
param alertModelThrottlePercent = 5
param alertJobWaitMinutes = 30
