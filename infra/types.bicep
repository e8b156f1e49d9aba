// Shapes shared by main.bicep and its modules: the compiler checks parameter files and module arguments
// against them (a misspelt field or a SKU Azure OpenAI does not offer fails `npm run infra:build`).

@export()
@description('One Azure OpenAI model deployment and the alias jobs ask for (its MODEL_POOLS key).')
type modelDeployment = {
  @description('What jobs ask for: the MODEL_POOLS key; several deployments may share one alias.')
  alias: string
  @description('Deployment name on the account.')
  name: string
  model: string
  version: string
  skuName: 'GlobalStandard' | 'Standard' | 'DataZoneStandard' | 'ProvisionedManaged' | 'GlobalBatch'
  @description('Thousands of tokens per minute (PTUs for ProvisionedManaged; for GlobalBatch, thousands of enqueued tokens).')
  @minValue(1)
  capacity: int
}

@export()
@description('One ENTRA_TENANT_MAP entry (shared/auth/entra-config.ts): a caller, by app id or object id, mapped to a platform tenant.')
type tenantMapping = {
  @description('Entra directory (tenant) id of the caller.')
  tid: string
  @description('Client id of a calling app; set exactly one of appId and oid.')
  appId: string?
  @description('Object id of one service principal or user; set exactly one of appId and oid.')
  oid: string?
  @description('Platform tenant the caller acts as.')
  tenantId: string
}
