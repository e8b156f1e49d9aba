// Azure Monitor workbook for operators: jobs per minute by status, stage latency, tokens and cost, queue
// depths and dead letters. Log panels query the app's OpenTelemetry metrics (infra/workbooks/*.kql); queue
// panels read Service Bus platform metrics, which need no diagnostic settings.
param name string
param displayName string
param location string
param tags object

param appInsightsId string
param serviceBusNamespaceId string

var metrics = loadTextContent('../workbooks/metrics.kql')

var timeRangeParameter = {
  type: 9
  name: 'parameters'
  content: {
    version: 'KqlParameterItem/1.0'
    parameters: [
      {
        id: 'time-range'
        version: 'KqlParameterItem/1.0'
        name: 'TimeRange'
        type: 4
        isRequired: true
        value: {
          durationMs: 14400000
        }
        typeSettings: {
          allowCustom: true
          selectableValues: [
            { durationMs: 3600000 }
            { durationMs: 14400000 }
            { durationMs: 86400000 }
            { durationMs: 604800000 }
          ]
        }
      }
    ]
  }
}

var logPanels = [
  {
    name: 'jobs-per-minute'
    title: 'Jobs per minute by status'
    query: loadTextContent('../workbooks/jobs-per-minute.kql')
    visualization: 'timechart'
  }
  {
    name: 'stage-latency'
    title: 'Stage latency (ms): mean and slowest per stage'
    query: loadTextContent('../workbooks/stage-latency.kql')
    visualization: 'table'
  }
  {
    name: 'tokens-cost'
    title: 'Tokens and cost (USD) per hour by tenant'
    query: loadTextContent('../workbooks/tokens-cost.kql')
    visualization: 'table'
  }
  {
    name: 'dead-letter-counts'
    title: 'Messages dead-lettered by the stages, by queue and reason'
    query: loadTextContent('../workbooks/dead-letters.kql')
    visualization: 'table'
  }
]

var logItems = [
  for p in logPanels: {
    type: 3
    name: p.name
    content: {
      version: 'KqlItem/1.0'
      title: p.title
      query: '${metrics}\n${p.query}'
      size: 0
      queryType: 0
      resourceType: 'microsoft.insights/components'
      crossComponentResources: [
        appInsightsId
      ]
      timeContextFromParameter: 'TimeRange'
      visualization: p.visualization
    }
  }
]

// Aggregation codes of workbook metric items: 3 = maximum, 4 = average.
var metricPanels = [
  {
    name: 'queue-depths'
    title: 'Queue depth: active messages by queue'
    metric: 'ActiveMessages'
    aggregation: 4
  }
  {
    name: 'scheduled-messages'
    title: 'Scheduled messages by queue (retries and backoffs waiting)'
    metric: 'ScheduledMessages'
    aggregation: 4
  }
  {
    name: 'dead-letters'
    title: 'Dead-lettered messages by queue'
    metric: 'DeadletteredMessages'
    aggregation: 3
  }
]

var metricItems = [
  for m in metricPanels: {
    type: 10
    name: m.name
    content: {
      chartId: 'workbook-${m.name}'
      version: 'MetricsItem/2.0'
      size: 0
      chartType: 2
      resourceType: 'microsoft.servicebus/namespaces'
      metricScope: 0
      resourceIds: [
        serviceBusNamespaceId
      ]
      timeContextFromParameter: 'TimeRange'
      timeContext: {
        durationMs: 14400000
      }
      metrics: [
        {
          namespace: 'microsoft.servicebus/namespaces'
          metric: 'microsoft.servicebus/namespaces--${m.metric}'
          aggregation: m.aggregation
          splitBy: 'EntityName'
        }
      ]
      title: m.title
    }
  }
]

var content = {
  version: 'Notebook/1.0'
  items: concat([timeRangeParameter], logItems, metricItems)
  isLocked: false
  fallbackResourceIds: [
    appInsightsId
  ]
}

resource workbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  name: name
  location: location
  tags: tags
  kind: 'shared'
  properties: {
    displayName: displayName
    category: 'workbook'
    sourceId: appInsightsId
    serializedData: string(content)
  }
}

output id string = workbook.id
