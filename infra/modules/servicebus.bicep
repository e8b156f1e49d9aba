// Service Bus namespace with every queue from infra/definitions/queues.json (loaded by main.bicep with
// loadJsonContent, the same file the local emulator reads). Local (SAS) auth is off and no authorization
// rules are declared: the only way in is Entra ID.
@description('Namespace name: 6-50 letters, digits and hyphens.')
@minLength(6)
@maxLength(50)
param name string

param location string
param tags object

@allowed([
  'Standard'
  'Premium'
])
@description('Standard caps messages at 256 KB (the claim-check threshold assumes it); Premium allows up to 100 MB, private endpoints and predictable throughput.')
param skuName string = 'Standard'

@minValue(1)
@maxValue(16)
@description('Messaging units, Premium only.')
param premiumMessagingUnits int = 1

@description('Queue definitions: the `queues` array of infra/definitions/queues.json.')
param queues array

@description('Principal id of the app identity.')
param principalId string

@description('Grant Data Owner (needed for target-based scaling of the Service Bus trigger, which reads queue runtime properties) instead of Data Sender + Data Receiver (least privilege, incremental scaling only).')
param targetBasedScaling bool = true

@description('The queue producers send jobs to.')
param intakeQueueName string = 'intake'

@description('Object ids of producer identities: each gets Azure Service Bus Data Sender on the intake queue only.')
param intakeSenderPrincipalIds string[] = []

var isPremium = skuName == 'Premium'

var dataOwnerRoleId = '090c5cfd-751d-490a-894a-3ce6f1109419'
var dataReceiverRoleId = '4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0'
var dataSenderRoleId = '69a216fc-b8fb-44d8-bc22-1f3c2cd27a39'
var grantedRoleIds = targetBasedScaling ? [dataOwnerRoleId] : [dataReceiverRoleId, dataSenderRoleId]

resource namespace 'Microsoft.ServiceBus/namespaces@2026-01-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: skuName
    tier: skuName
    capacity: isPremium ? premiumMessagingUnits : null
  }
  properties: {
    disableLocalAuth: true
    minimumTlsVersion: '1.2'
    publicNetworkAccess: 'Enabled'
    zoneRedundant: isPremium
  }
}

// Sessions and duplicate detection are fixed when a queue is created: changing them in queues.json for an
// existing queue needs the queue deleted first (see docs/deploy.md).
resource queue 'Microsoft.ServiceBus/namespaces/queues@2026-01-01' = [
  for q in queues: {
    parent: namespace
    name: q.name
    properties: {
      lockDuration: q.lockDuration
      maxDeliveryCount: q.maxDeliveryCount
      requiresDuplicateDetection: q.requiresDuplicateDetection
      duplicateDetectionHistoryTimeWindow: q.duplicateDetectionHistoryTimeWindow
      requiresSession: q.requiresSession
      defaultMessageTimeToLive: q.defaultMessageTimeToLive
      deadLetteringOnMessageExpiration: q.deadLetteringOnMessageExpiration
      maxSizeInMegabytes: q.maxSizeInMegabytes
      // Only Premium accepts a per-queue message size; Standard is fixed at 256 KB.
      maxMessageSizeInKilobytes: isPremium ? q.maxMessageSizeInKilobytes : null
      enablePartitioning: false
    }
  }
]

resource dataRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for roleId in grantedRoleIds: {
    name: guid(namespace.id, principalId, roleId)
    scope: namespace
    properties: {
      principalId: principalId
      principalType: 'ServicePrincipal'
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
    }
  }
]

resource intakeQueue 'Microsoft.ServiceBus/namespaces/queues@2026-01-01' existing = {
  parent: namespace
  name: intakeQueueName
}

// Producers can send to `intake` and nothing else: no receive, no other queue, no management.
resource intakeSender 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for producer in intakeSenderPrincipalIds: {
    name: guid(intakeQueue.id, producer, dataSenderRoleId)
    scope: intakeQueue
    properties: {
      principalId: producer
      principalType: 'ServicePrincipal'
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', dataSenderRoleId)
    }
    dependsOn: [
      queue
    ]
  }
]

output id string = namespace.id
output name string = namespace.name
// serviceBusEndpoint is https://<namespace>.servicebus.windows.net:443/ in the public cloud: the host part is
// what the SDK and the trigger want, and reading it keeps sovereign clouds right.
output fullyQualifiedNamespace string = split(split(namespace.properties.serviceBusEndpoint, '/')[2], ':')[0]
output queueNames array = [for (q, i) in queues: queue[i].name]
