/**
 * A Global Batch deployment's Files and Batches APIs through the official `openai` SDK: `AzureOpenAI`
 * with the deployment's endpoint (Entra ID token or, for the local simulator, a key). Retries are the
 * sweep's (it runs again in a minute), so the SDK's own are off.
 */
import { AzureOpenAI, toFile } from 'openai';
import type { GlobalBatchDeployment } from '../model/settings.js';
import type { GlobalBatchProvider, ProviderBatch } from './ports.js';

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
    async submit(jsonl) {
      const file = await client.files.create({
        file: await toFile(Buffer.from(jsonl), `${deployment.name}.jsonl`),
        purpose: 'batch',
      });
      const batch = await client.batches.create({
        input_file_id: file.id,
        // Azure's path for Global Batch lines; the SDK's type names OpenAI's.
        endpoint: '/chat/completions' as '/v1/chat/completions',
        completion_window: '24h',
      });
      return { fileId: file.id, batchId: batch.id };
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
