/**
 * The whole local stack (dev host, emulators, model simulator) for one end-to-end test file: started
 * before the file's tests on free ports, logging errors only unless the file gives its own logger, and
 * closed after them. Call it before the file's own afterAll hooks: vitest runs those in reverse order,
 * so what the file opens on the stack closes before the stack does.
 */
import { afterAll, beforeAll } from 'vitest';
import { startLocalStack, type LocalStack, type LocalStackOptions } from '../../local/stack.js';
import { createLogger } from '../../shared/telemetry/logger.js';

export function useLocalStack(
  options: Omit<LocalStackOptions, 'port'>,
  /** Runs once the stack is up, before any test: keep the stack, add tenants, open clients. */
  started: (stack: LocalStack) => void | Promise<void>,
  { timeoutMs = 60_000 }: { timeoutMs?: number } = {},
): void {
  let stack: LocalStack | undefined;
  beforeAll(async () => {
    stack = await startLocalStack({ port: 0, logger: createLogger({ level: 'error' }), ...options });
    await started(stack);
  }, timeoutMs);
  afterAll(async () => {
    await stack?.close();
  }, timeoutMs);
}
