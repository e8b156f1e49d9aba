/**
 * Operator commands (platform admin role: `--token` or PROMPT_PIPELINE_TOKEN, an Entra ID token with
 * Platform.Admin): the dead letters of a queue, listed, redriven and purged (docs/operations.md).
 */
import type { Command } from 'commander';
import type { DeadLetterQueue } from '../index.js';
import { action, printJson, printRecord, printTable } from './output.js';
import { clientFrom, type GlobalOptions } from './settings.js';

type Options = GlobalOptions & Record<string, string | string[] | boolean | undefined>;

function selectorOf(options: Options) {
  const selector = {
    ...(options.seq ? { sequenceNumbers: options.seq as string[] } : {}),
    ...(options.reason ? { reason: String(options.reason) } : {}),
    ...(options.tenant ? { tenantId: String(options.tenant) } : {}),
    ...(options.all ? { all: true as const } : {}),
  };
  if (Object.keys(selector).length === 0)
    throw new Error('Select dead letters: --seq, --reason, --tenant or --all.');
  return selector;
}

function withSelector(command: Command): Command {
  return command
    .argument('<queue>', 'intake, invoke, postprocess, persist or deliver')
    .option('--seq <numbers...>', 'sequence numbers')
    .option('--reason <reason>', 'DeadLetterReason, e.g. MaxDeliveryCountExceeded')
    .option('--tenant <id>', 'messages of this tenant')
    .option('--all', 'every dead letter of the queue');
}

export function deadLetterCommands(program: Command): void {
  const deadLetters = program
    .command('dead-letters')
    .description('Operators: list, redrive and purge dead letters');
  deadLetters
    .command('list')
    .argument('<queue>', 'intake, invoke, postprocess, persist or deliver')
    .option('--limit <n>', 'page size', '25')
    .option('--from <sequence>', 'the next page, as the previous one printed it')
    .description('Peek at the dead letters (nothing is locked or changed)')
    .action(
      action(async (queue: string, _options: unknown, command: Command) => {
        const options = command.optsWithGlobals<Options>();
        const page = await clientFrom(options).admin.deadLetters.list(queue as DeadLetterQueue, {
          limit: Number(options.limit),
          ...(options.from ? { from: String(options.from) } : {}),
        });
        if (options.json) return printJson(page);
        printTable(
          ['sequence', 'reason', 'job', 'tenant', 'enqueued', 'state', 'redriven'],
          page.deadLetters.map((d) => [
            d.sequenceNumber,
            d.reason,
            d.jobId,
            d.tenantId,
            d.enqueuedAt,
            d.state,
            d.redriveCount,
          ]),
        );
        if (page.next) process.stdout.write(`next: --from ${page.next}\n`);
      }),
    );
  withSelector(deadLetters.command('redrive'))
    .description('Send the selected dead letters back to their queue')
    .action(
      action(async (queue: string, _options: unknown, command: Command) => {
        const options = command.optsWithGlobals<Options>();
        const result = await clientFrom(options).admin.deadLetters.redrive(
          queue as DeadLetterQueue,
          selectorOf(options),
        );
        if (options.json) printJson(result);
        else printRecord(result);
      }),
    );
  withSelector(deadLetters.command('purge'))
    .option('--yes', 'confirm: the selected dead letters are removed for good')
    .description('Remove the selected dead letters (needs --yes)')
    .action(
      action(async (queue: string, _options: unknown, command: Command) => {
        const options = command.optsWithGlobals<Options>();
        if (!options.yes) throw new Error('Purging removes messages for good: add --yes to confirm.');
        const result = await clientFrom(options).admin.deadLetters.purge(
          queue as DeadLetterQueue,
          selectorOf(options),
        );
        if (options.json) printJson(result);
        else printRecord(result);
      }),
    );
}
