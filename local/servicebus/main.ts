/** `npm run emulator:servicebus`: the emulator as its own process, queues from infra/definitions/queues.json. */
import { startServiceBusEmulator } from './index.js';

const port = Number(process.env.SERVICEBUS_EMULATOR_PORT ?? 5672);
const statsPortText = process.env.SERVICEBUS_EMULATOR_STATS_PORT;
const statsPort = statsPortText === undefined ? 5673 : Number(statsPortText);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(
    `SERVICEBUS_EMULATOR_PORT must be a port number, got '${process.env.SERVICEBUS_EMULATOR_PORT}'`,
  );
  process.exit(1);
}

const emulator = await startServiceBusEmulator({
  port,
  host: process.env.SERVICEBUS_EMULATOR_HOST ?? '127.0.0.1',
  statsPort,
});
console.log(`Service Bus emulator listening on port ${emulator.port}`);
console.log(`Connection string: ${emulator.connectionString}`);
if (emulator.statsUrl) console.log(`Stats: ${emulator.statsUrl}`);
console.log(`Queues: ${Object.keys(emulator.stats()).join(', ')}`);

let stopping = false;
const stop = (signal: string): void => {
  if (stopping) return;
  stopping = true;
  console.log(`${signal}: shutting down`);
  emulator.close().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
};
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));
