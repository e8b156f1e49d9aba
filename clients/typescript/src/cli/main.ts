#!/usr/bin/env node
/**
 * `prompt-pipeline`: the command line of the prompt-pipeline API for producers and operators, on the
 * typed client (`@prompt-pipeline/client`). `prompt-pipeline --help` lists the commands.
 */
import { Command } from 'commander';
import { batchCommand } from './batch.js';
import { deadLetterCommands } from './dead-letters.js';
import { jobCommands } from './jobs.js';
import { DEFAULT_URL } from './settings.js';
import { webhookCommands } from './webhooks.js';

export function createProgram(): Command {
  const program = new Command('prompt-pipeline')
    .description('Submit and follow prompt-pipeline jobs and batches; operate webhooks and dead letters')
    .option('--url <url>', `API base URL with /api (env PROMPT_PIPELINE_URL, default ${DEFAULT_URL})`)
    .option('--api-key <key>', 'platform API key (env PROMPT_PIPELINE_API_KEY)')
    .option('--token <token>', 'Entra ID bearer token, for operators (env PROMPT_PIPELINE_TOKEN)')
    .option('--json', 'JSON on stdout, for scripts')
    .showHelpAfterError();
  jobCommands(program);
  batchCommand(program);
  webhookCommands(program);
  deadLetterCommands(program);
  return program;
}

await createProgram().parseAsync(process.argv);
