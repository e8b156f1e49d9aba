export { startDevHost } from './dev-host.js';
export type { DevHost, DevHostOptions } from './dev-host.js';
export { findHostJson, parseTimeSpanMs, readHostSettings, toHostSettings } from './host-settings.js';
export type { HostSettings, ServiceBusHostSettings } from './host-settings.js';
export { fromServiceBusReceivedMessage } from './queue-message.js';
export { consoleLogger } from './logger.js';
export type { DevHostLogFields, DevHostLogger } from './logger.js';
