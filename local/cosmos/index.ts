export { EMULATOR_KEY, startEmbeddedCosmos } from './server.js';
export type { EmbeddedCosmos, EmbeddedCosmosOptions } from './server.js';
export { defaultCosmosDefinitions, ensureCosmosResources, toContainerRequest } from './resources.js';
export type { ContainerDefinition, CosmosDefinitions } from './resources.js';
export type { SnapshotCounts } from './snapshot.js';
