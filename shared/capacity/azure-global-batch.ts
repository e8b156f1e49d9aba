/**
 * A Global Batch deployment's Files and Batches APIs through the official `openai` SDK: `AzureOpenAI`
 * with the deployment's endpoint (Entra ID token or, for the local simulator, a key). Retries are the
 * sweep's (it runs again in a minute), so the SDK's own are off.
 */
import { AzureOpenAI, toFile } from 'openai';
import type { GlobalBatchDeployment } from '../model/settings.js';
import type { GlobalBatchProvider, ProviderBatch } from './ports.js';

/** The batch's `metadata` key naming the group it was made for (shared/capacity/documents.ts). */
export const GROUP_METADATA_KEY = 'group_id';

/** The uploaded file's name: the group id, so a file uploaded before a crash is found again. */
export function fileNameOf(groupId: string): string {
  return `${groupId}.jsonl`;
}

/**
 * What an earlier submit of `groupId` left at the provider: its batch (among the batches created since
 * the group was, newest first: by the group id in its metadata, or by its input file), else its uploaded
 * file (by name). Matching the file too keeps this right where a service drops batch metadata. Bounded
 * by what the deployment's resource created since `since`: a page or two per resumed group.
 */
async function submittedBefore(
  client: AzureOpenAI,
  groupId: string,
  since: number,
): Promise<{ fileId: string; batchId?: string } | undefined> {
  // A minute's margin: the provider's clock is not ours.
  const from = Math.floor(since / 1000) - 60;
  const recent: Array<{ id: string; input_file_id: string }> = [];
  for await (const batch of client.batches.list({ limit: 100 })) {
    if (batch.created_at < from) break;
    if (batch.metadata?.[GROUP_METADATA_KEY] === groupId)
      return { fileId: batch.input_file_id, batchId: batch.id };
    recent.push(batch);
  }
  // Newest first, so the walk stops at the group's creation rather than paging through every batch file
  // the resource holds (each sweep resumes a group still forming while the provider is down). Were a
  // service to ignore the order, a missed file only means a second upload, never a second batch.
  for await (const file of client.files.list({ purpose: 'batch', order: 'desc' })) {
    if (file.created_at < from) break;
    if (file.filename !== fileNameOf(groupId)) continue;
    const batch = recent.find((each) => each.input_file_id === file.id);
    return { fileId: file.id, ...(batch ? { batchId: batch.id } : {}) };
  }
  return undefined;
}

export interface GlobalBatchAuth {
  readonly apiKey?: string;
  readonly tokenProvider?: () => Promise<string>;
}

export function azureGlobalBatch(
  deployment: GlobalBatchDeployment,
  auth: GlobalBatchAuth,
  options: { readonly apiVersion: string; readonly timeoutMs: number },
): GlobalBatchProvider {
  const client = new AzureOpenAI({
    endpoint: deployment.endpoint,
    apiVersion: options.apiVersion,
    ...(auth.tokenProvider ? { azureADTokenProvider: auth.tokenProvider } : { apiKey: auth.apiKey }),
    maxRetries: 0,
    timeout: options.timeoutMs,
  });
  return {
    async submit(jsonl, groupId, resume) {
      // A resumed group may have reached the provider before the crash that kept it `forming`: adopt
      // what that run made (the batch, else the uploaded file) instead of paying for the lines twice.
      const earlier = resume ? await submittedBefore(client, groupId, resume.since) : undefined;
      if (earlier?.batchId) return { fileId: earlier.fileId, batchId: earlier.batchId, adopted: true };
      const fileId =
        earlier?.fileId ??
        (
          await client.files.create({
            file: await toFile(Buffer.from(jsonl), fileNameOf(groupId)),
            purpose: 'batch',
          })
        ).id;
      const batch = await client.batches.create({
        input_file_id: fileId,
        // Azure's path for Global Batch lines; the SDK's type names OpenAI's.
        endpoint: '/chat/completions' as '/v1/chat/completions',
        completion_window: '24h',
        metadata: { [GROUP_METADATA_KEY]: groupId },
      });
      return { fileId, batchId: batch.id, adopted: earlier !== undefined };
    },
    async retrieve(batchId): Promise<ProviderBatch> {
      const batch = await client.batches.retrieve(batchId);
      return {
        id: batch.id,
        status: batch.status,
        outputFileId: batch.output_file_id ?? null,
        errorFileId: batch.error_file_id ?? null,
        errors: (batch.errors?.data ?? []).map((e) => ({
          ...(e.code ? { code: e.code } : {}),
          ...(e.message ? { message: e.message } : {}),
        })),
      };
    },
    async cancel(batchId) {
      await client.batches.cancel(batchId);
    },
    async *lines(fileId) {
      const response = await client.files.content(fileId);
      // Output files hold at most the 100,000 lines of one input file, read a line at a time.
      let rest = '';
      const decoder = new TextDecoder();
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        rest += decoder.decode(chunk, { stream: true });
        const parts = rest.split('\n');
        rest = parts.pop() ?? '';
        for (const part of parts) if (part.trim() !== '') yield part;
      }
      rest += decoder.decode();
      if (rest.trim() !== '') yield rest;
    },
    async deleteFile(fileId) {
      await client.files.delete(fileId);
    },
  };
}
