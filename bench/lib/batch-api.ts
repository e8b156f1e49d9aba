/**
 * The Batches API as a client drives it, for the routing benchmark and its end-to-end test: a batch of
 * `count` short chat lines created with the `openai` SDK, and the jobs of a finished batch read back
 * (each output or error line's `request_id` is its job).
 */
import type OpenAI from 'openai';
import { toFile } from 'openai';
import type { JobView } from '../../functions/http/job-view.js';

export async function createChatBatch(
  client: OpenAI,
  prefix: string,
  count: number,
  window: string,
): Promise<string> {
  const lines = Array.from({ length: count }, (_, i) =>
    JSON.stringify({
      custom_id: `${prefix}-${i}`,
      method: 'POST',
      url: '/v1/chat/completions',
      body: {
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: `${prefix} request ${i}` }],
        max_tokens: 32,
      },
    }),
  );
  const file = await client.files.create({
    file: await toFile(Buffer.from(`${lines.join('\n')}\n`), `${prefix}.jsonl`),
    purpose: 'batch',
  });
  // Windows other than OpenAI's `24h` are the platform's test setting (BATCH_MIN_WINDOW_SECONDS).
  const batch = await client.batches.create({
    input_file_id: file.id,
    endpoint: '/v1/chat/completions',
    completion_window: window as '24h',
  });
  return batch.id;
}

/** The line jobs of a finished batch (`request_id` of its output and error lines). */
export async function lineJobIds(client: OpenAI, batchId: string): Promise<string[]> {
  const batch = await client.batches.retrieve(batchId);
  const ids: string[] = [];
  for (const fileId of [batch.output_file_id, batch.error_file_id]) {
    if (!fileId) continue;
    for (const text of (await (await client.files.content(fileId)).text()).trim().split('\n')) {
      const line = JSON.parse(text) as { response: { request_id: string } | null };
      if (line.response) ids.push(line.response.request_id);
    }
  }
  return ids;
}

export async function readJob(apiUrl: string, apiKey: string, id: string): Promise<JobView> {
  const response = await fetch(`${apiUrl}/v1/jobs/${id}`, { headers: { 'api-key': apiKey } });
  return (await response.json()) as JobView;
}
