/**
 * `webhooks ...`: the tenant's endpoints (list, register, rotate the secret, enable), their delivery
 * attempts, and replays.
 */
import type { Command } from 'commander';
import type { WebhookEndpoint } from '../index.js';
import { action, printJson, printRecord, printTable } from './output.js';
import { clientFrom, type GlobalOptions } from './settings.js';

type Options = GlobalOptions & Record<string, string | string[] | boolean | undefined>;

function printEndpoints(endpoints: readonly WebhookEndpoint[]): void {
  printTable(
    ['id', 'url', 'events', 'enabled', 'last success'],
    endpoints.map((e) => [
      e.id,
      e.url,
      e.eventTypes.join(' '),
      e.enabled ? 'yes' : `no (${e.disabledReason ?? ''})`,
      e.lastSuccessAt,
    ]),
  );
}

export function webhookCommands(program: Command): void {
  const webhooks = program.command('webhooks').description('Webhook endpoints, rotation and replay');
  const run = (
    fn: (options: Options, ...args: string[]) => Promise<unknown>,
    print?: (value: never) => void,
  ) =>
    action(async (...args: unknown[]) => {
      const command = args.at(-1) as Command;
      const options = command.optsWithGlobals<Options>();
      const value = await fn(options, ...(args.slice(0, -2) as string[]));
      if (options.json || !print) printJson(value);
      else print(value as never);
    });

  webhooks
    .command('list')
    .description("The tenant's endpoints")
    .action(run((options) => clientFrom(options).webhooks.list(), printEndpoints));
  webhooks
    .command('register')
    .argument('<url>', 'https URL that receives the events')
    .option('--events <types...>', 'job.succeeded job.failed ... (default: all)')
    .option('--description <text>')
    .description('Register an endpoint; prints its signing secret once')
    .action(
      run(
        (options, url = '') =>
          clientFrom(options).webhooks.register({
            url,
            ...(options.events ? { eventTypes: options.events as never } : {}),
            ...(options.description ? { description: String(options.description) } : {}),
          }),
        (endpoint: { id: string; url: string; secret: string }) => printRecord(endpoint),
      ),
    );
  webhooks
    .command('rotate')
    .argument('<endpoint>')
    .option('--overlap <seconds>', 'how long the old secret still signs too')
    .description('Rotate the signing secret; prints the new one')
    .action(
      run(
        (options, id = '') =>
          clientFrom(options).webhooks.rotateSecret(
            id,
            options.overlap !== undefined ? { overlapSeconds: Number(options.overlap) } : {},
          ),
        (endpoint: { id: string; secret: string }) =>
          printRecord({ id: endpoint.id, secret: endpoint.secret }),
      ),
    );
  webhooks
    .command('enable')
    .argument('<endpoint>')
    .description('Enable an endpoint that was disabled')
    .action(run((options, id = '') => clientFrom(options).webhooks.enable(id), printRecord));
  webhooks
    .command('attempts')
    .argument('<endpoint>')
    .description('Recent delivery attempts')
    .action(
      run(
        (options, id = '') => clientFrom(options).webhooks.attempts(id),
        (
          attempts: Array<{
            at: string;
            jobId: string;
            attempt: number;
            outcome: string;
            status?: number;
            error?: string;
          }>,
        ) =>
          printTable(
            ['at', 'job', 'attempt', 'outcome', 'status', 'error'],
            attempts.map((a) => [a.at, a.jobId, a.attempt, a.outcome, a.status, a.error]),
          ),
      ),
    );
  webhooks
    .command('replay')
    .argument('<endpoint>')
    .requiredOption('--since <time>', 'ISO 8601: replay failed deliveries since then')
    .description("Replay an endpoint's failed deliveries")
    .action(
      run(
        (options, id = '') => clientFrom(options).webhooks.replayFailed(id, String(options.since)),
        printRecord,
      ),
    );
  webhooks
    .command('replay-job')
    .argument('<job>')
    .option('--endpoint <id>', 'only to this endpoint')
    .description("Send a finished job's event again")
    .action(
      run(
        (options, jobId = '') =>
          clientFrom(options).webhooks.replayJob(
            jobId,
            options.endpoint ? String(options.endpoint) : undefined,
          ),
        printRecord,
      ),
    );
}
