// Alerts that tell operators when jobs pile up or fail: dead letters, failed function executions, model
// throttling and jobs waiting too long. All notify the action group given by parameter (none: the alerts
// still fire and show in the portal, but page nobody).
param namePrefix string
param location string
param tags object

@description('Resource id of an existing action group; empty for no notifications.')
param actionGroupId string

param serviceBusNamespaceId string
param appInsightsId string

@description('Queues whose backlog means producers are waiting (intake, invoke).')
param backlogQueues array

@minValue(1)
@description('Active messages (scheduled retries excluded) averaged over 15 minutes above which a queue counts as backed up.')
param backlogThreshold int = 1000

@minValue(0)
@description('Failed function executions in 15 minutes above which to alert.')
param failedExecutionsThreshold int = 5

@minValue(1)
@maxValue(100)
@description('Percentage of model calls answered 429 over 15 minutes above which to alert; pacing should keep it near zero.')
param modelThrottlePercentThreshold int = 5

@minValue(5)
@description('A job accepted this many minutes ago with no terminal status is waiting too long.')
param jobWaitMinutes int = 30

var actions = empty(actionGroupId) ? [] : [{ actionGroupId: actionGroupId }]
var logActions = empty(actionGroupId) ? {} : { actionGroups: [actionGroupId] }
var metrics = loadTextContent('../workbooks/metrics.kql')

resource deadLetters 'Microsoft.Insights/metricAlerts@2026-01-01' = {
  name: '${namePrefix}-dead-letters'
  location: 'global'
  tags: tags
  properties: {
    description: 'A message was dead-lettered: it could not be tied to a job or was poison. Inspect the DeadLetterReason and redrive (docs/deploy.md).'
    severity: 2
    enabled: true
    scopes: [
      serviceBusNamespaceId
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT5M'
    criteria: {
      'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria'
      allOf: [
        {
          criterionType: 'StaticThresholdCriterion'
          name: 'DeadLetteredMessages'
          metricNamespace: 'Microsoft.ServiceBus/namespaces'
          metricName: 'DeadletteredMessages'
          dimensions: [
            {
              name: 'EntityName'
              operator: 'Include'
              values: [
                '*'
              ]
            }
          ]
          operator: 'GreaterThan'
          threshold: 0
          timeAggregation: 'Maximum'
        }
      ]
    }
    autoMitigate: true
    actions: actions
  }
}

resource backlog 'Microsoft.Insights/metricAlerts@2026-01-01' = {
  name: '${namePrefix}-queue-backlog'
  location: 'global'
  tags: tags
  properties: {
    description: 'Jobs are waiting too long: active messages on ${join(backlogQueues, ', ')} stayed above ${backlogThreshold} for 15 minutes (scale limit, model quota or a failing stage).'
    severity: 2
    enabled: true
    scopes: [
      serviceBusNamespaceId
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    criteria: {
      'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria'
      allOf: [
        {
          criterionType: 'StaticThresholdCriterion'
          name: 'ActiveMessages'
          metricNamespace: 'Microsoft.ServiceBus/namespaces'
          metricName: 'ActiveMessages'
          dimensions: [
            {
              name: 'EntityName'
              operator: 'Include'
              values: backlogQueues
            }
          ]
          operator: 'GreaterThan'
          threshold: backlogThreshold
          timeAggregation: 'Average'
        }
      ]
    }
    autoMitigate: true
    actions: actions
  }
}

resource failedExecutions 'Microsoft.Insights/scheduledQueryRules@2026-03-01' = {
  name: '${namePrefix}-failed-executions'
  location: location
  tags: tags
  properties: {
    displayName: '${namePrefix}: failed function executions'
    description: 'Function executions failed (exceptions escaping a trigger: the message is abandoned and retried).'
    severity: 2
    enabled: true
    scopes: [
      appInsightsId
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    criteria: {
      allOf: [
        {
          query: loadTextContent('../workbooks/failed-executions.kql')
          timeAggregation: 'Total'
          metricMeasureColumn: 'failures'
          operator: 'GreaterThan'
          threshold: failedExecutionsThreshold
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: true
    actions: logActions
  }
}

resource modelThrottling 'Microsoft.Insights/scheduledQueryRules@2026-03-01' = {
  name: '${namePrefix}-model-429-rate'
  location: location
  tags: tags
  properties: {
    displayName: '${namePrefix}: model 429 rate'
    description: 'More than ${modelThrottlePercentThreshold}% of model calls were answered 429: the pacing is off or the deployment quota (TPM/RPM) is too small.'
    severity: 3
    enabled: true
    scopes: [
      appInsightsId
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    criteria: {
      allOf: [
        {
          query: '${metrics}\n${loadTextContent('../workbooks/model-throttling.kql')}'
          timeAggregation: 'Maximum'
          metricMeasureColumn: 'throttledPercent'
          operator: 'GreaterThan'
          threshold: modelThrottlePercentThreshold
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: true
    actions: logActions
  }
}

resource stuckJobs 'Microsoft.Insights/scheduledQueryRules@2026-03-01' = {
  name: '${namePrefix}-jobs-waiting'
  location: location
  tags: tags
  properties: {
    displayName: '${namePrefix}: jobs waiting too long'
    description: 'Jobs accepted more than ${jobWaitMinutes} minutes ago have not reached a terminal status.'
    severity: 2
    enabled: true
    scopes: [
      appInsightsId
    ]
    evaluationFrequency: 'PT15M'
    windowSize: 'PT6H'
    criteria: {
      allOf: [
        {
          query: '${metrics}\n${replace(loadTextContent('../workbooks/stuck-jobs.kql'), '{waitMinutes}', string(jobWaitMinutes))}'
          timeAggregation: 'Maximum'
          metricMeasureColumn: 'stuckJobs'
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: true
    actions: logActions
  }
}

output alertIds array = [
  deadLetters.id
  backlog.id
  failedExecutions.id
  modelThrottling.id
  stuckJobs.id
]
