/**
 * `batch <file.jsonl>`: upload the file (a progress bar of bytes sent), create the batch, follow it to
 * the end (a bar of requests done), then download its output and error files beside the input.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { SingleBar, Presets } from 'cli-progress';
import type { Command } from 'commander';
import type { Batch, PromptPipelineClient } from '../index.js';
import { action, interactive, printJson, printRecord, type Output } from './output.js';
import { clientFrom, type GlobalOptions } from './settings.js';

function bar(output: Output, format: string): SingleBar | undefined {
  if (!interactive(output)) return undefined;
  return new SingleBar({ format, stream: process.stderr, hideCursor: true }, Presets.shades_classic);
}

async function upload(client: PromptPipelineClient, path: string, output: Output) {
  const { size } = await stat(path);
  const progress = bar(output, 'upload {bar} {percentage}% | {value}/{total} bytes');
  progress?.start(size, 0);
  try {
    const content = Readable.toWeb(createReadStream(path)) as unknown as ReadableStream<Uint8Array>;
    return await client.files.upload(
      { content, filename: basename(path), size },
      { onProgress: (sent) => progress?.update(sent) },
    );
  } finally {
    progress?.stop();
  }
}

async function follow(client: PromptPipelineClient, id: string, output: Output, intervalMs: number) {
  const progress = bar(output, 'batch  {bar} {percentage}% | {value}/{total} requests | {status}');
  let started = false;
  try {
    return await client.batches.wait(id, {
      intervalMs,
      onUpdate: (batch: Batch) => {
        const { total, completed, failed } = batch.request_counts;
        if (!started && total > 0) {
          progress?.start(total, 0, { status: batch.status });
          started = true;
        }
        if (started) progress?.update(completed + failed, { status: batch.status });
      },
    });
  } finally {
    progress?.stop();
  }
}

async function download(client: PromptPipelineClient, fileId: string, path: string): Promise<void> {
  const content = await client.files.content(fileId);
  // The DOM and node:stream/web typings of ReadableStream differ; the object is the same.
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
  await pipeline(Readable.fromWeb(content as NodeReadableStream<Uint8Array>), createWriteStream(path));
}

export function batchCommand(program: Command): void {
  program
    .command('batch')
    .description('Run a JSONL file of requests as a batch: upload, create, follow, download the results')
    .argument('<file>', 'JSONL, one OpenAI batch request per line')
    .option('--window <duration>', 'completion window', '24h')
    .option('-o, --output <path>', 'where the results go (default <file>.output.jsonl)')
    .option('--errors <path>', "where failed lines' errors go (default <file>.errors.jsonl)")
    .option('--no-follow', 'create the batch and return')
    .option('--interval <ms>', 'how often to read the batch while following', '2000')
    .action(
      action(async (file: string, _options: unknown, command: Command) => {
        const options = command.optsWithGlobals<
          GlobalOptions & Record<string, string | boolean | undefined>
        >();
        const output = { json: options.json === true };
        const client = clientFrom(options);
        const uploaded = await upload(client, file, output);
        const created = await client.batches.create({
          input_file_id: uploaded.id,
          endpoint: '/v1/chat/completions',
          completion_window: String(options.window),
        });
        if (!options.follow) {
          if (output.json) return printJson(created);
          return printRecord({ batch: created.id, status: created.status, input: uploaded.id });
        }
        const done = await follow(client, created.id, output, Number(options.interval));
        const stem = file.replace(/\.jsonl$/i, '');
        const files: Record<string, string> = {};
        if (done.output_file_id) {
          files.output = String(options.output ?? `${stem}.output.jsonl`);
          await download(client, done.output_file_id, files.output);
        }
        if (done.error_file_id) {
          files.errors = String(options.errors ?? `${stem}.errors.jsonl`);
          await download(client, done.error_file_id, files.errors);
        }
        if (output.json) printJson({ ...done, downloaded: files });
        else
          printRecord({
            batch: done.id,
            status: done.status,
            requests: `${done.request_counts.completed} completed, ${done.request_counts.failed} failed of ${done.request_counts.total}`,
            ...files,
          });
        if (done.status !== 'completed') process.exitCode = 1;
      }),
    );
}
