/**
 * Where the command line finds the API and its credential: flags first, then the environment
 * (PROMPT_PIPELINE_URL, PROMPT_PIPELINE_API_KEY, PROMPT_PIPELINE_TOKEN for a Microsoft Entra ID bearer
 * token, which the operator commands need). A credential given by flag replaces the environment's.
 * Secrets are never printed.
 */
import { createClient, type PromptPipelineClient } from '../index.js';

export interface GlobalOptions {
  readonly url?: string;
  readonly apiKey?: string;
  readonly token?: string;
  readonly json?: boolean;
}

export const DEFAULT_URL = 'http://127.0.0.1:7071/api';

export function clientFrom(options: GlobalOptions): PromptPipelineClient {
  // eslint-disable-next-line no-restricted-properties -- a command line's own settings, not platform config.
  const env = process.env;
  // A credential given by flag replaces both of the environment's: `--token` alone sends no API key.
  const byFlag = options.apiKey !== undefined || options.token !== undefined;
  const apiKey = byFlag ? options.apiKey : env.PROMPT_PIPELINE_API_KEY;
  const token = byFlag ? options.token : env.PROMPT_PIPELINE_TOKEN;
  if (!apiKey && !token) {
    throw new Error(
      'No credential: pass --api-key (or --token), or set PROMPT_PIPELINE_API_KEY (or PROMPT_PIPELINE_TOKEN).',
    );
  }
  return createClient({
    baseUrl: options.url ?? env.PROMPT_PIPELINE_URL ?? DEFAULT_URL,
    ...(apiKey ? { apiKey } : {}),
    ...(token ? { token } : {}),
  });
}
