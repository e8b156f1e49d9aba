/**
 * Runs the Azure OpenAI simulator on its own:
 *   node dist/local/model-simulator/main.js
 * Environment (local tooling may read it directly): MODEL_SIMULATOR_PORT (7075), MODEL_SIMULATOR_HOST,
 * MODEL_SIMULATOR_API_KEY, MODEL_SIMULATOR_DEPLOYMENTS (JSON array of { name, model?, tpm, rpm? }),
 * MODEL_SIMULATOR_WINDOW_MS.
 */
import { startModelSimulator, type SimulatedDeployment } from './index.js';

const env = process.env;
const deployments = env['MODEL_SIMULATOR_DEPLOYMENTS']
  ? (JSON.parse(env['MODEL_SIMULATOR_DEPLOYMENTS']) as SimulatedDeployment[])
  : undefined;

const simulator = await startModelSimulator({
  port: Number(env['MODEL_SIMULATOR_PORT'] ?? 7075),
  host: env['MODEL_SIMULATOR_HOST'] ?? '127.0.0.1',
  ...(env['MODEL_SIMULATOR_API_KEY'] ? { apiKey: env['MODEL_SIMULATOR_API_KEY'] } : {}),
  ...(deployments ? { deployments } : {}),
  ...(env['MODEL_SIMULATOR_WINDOW_MS'] ? { windowMs: Number(env['MODEL_SIMULATOR_WINDOW_MS']) } : {}),
});
console.log(`Azure OpenAI simulator (simulated output) listening on ${simulator.url}`);

const shutdown = (): void => {
  void simulator.close().then(() => process.exit(0));
};
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
