/**
 * A Global Batch input file checked as the service checks it while `validating`: JSONL, unique
 * `custom_id`s, `POST` to the batch's endpoint, and every line's `body.model` naming the same
 * GlobalBatch deployment. Any problem fails the whole batch with `errors.data[]` (code, message, line).
 */
import { parseChatBody, type ChatBody } from './chat-request.js';
import type { BatchDeployment } from './batch-jobs.js';

export interface BatchLine {
  readonly customId: string;
  readonly body: ChatBody;
}

export interface InputError {
  readonly code: string;
  readonly message: string;
  readonly line: number | null;
  readonly param: string | null;
}

const MAX_LINES = 100_000;

export function parseBatchInput(
  content: string,
  endpoint: string,
  deploymentNamed: (name: string) => BatchDeployment | undefined,
): { lines: BatchLine[]; deployment: BatchDeployment } | { errors: InputError[] } {
  const texts = content.split(/\r?\n/);
  if (texts.at(-1) === '') texts.pop();
  if (texts.length === 0) return refuse('empty_file', 'The input file is empty.', null, null);
  if (texts.length > MAX_LINES) {
    return refuse('too_many_tasks', `The input file has more than ${MAX_LINES} requests.`, null, null);
  }
  const seen = new Set<string>();
  const lines: BatchLine[] = [];
  let deployment: BatchDeployment | undefined;
  for (const [index, text] of texts.entries()) {
    const lineNo = index + 1;
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(text) as Record<string, unknown>;
      if (typeof parsed !== 'object' || parsed === null) throw new Error('not an object');
    } catch {
      return refuse('invalid_json_line', `Line ${lineNo} is not valid JSON.`, lineNo, null);
    }
    const customId = parsed['custom_id'];
    if (typeof customId !== 'string' || customId === '') {
      return refuse('invalid_request', 'Each line needs a custom_id.', lineNo, 'custom_id');
    }
    if (seen.has(customId)) {
      return refuse('duplicate_custom_id', `The custom_id ${customId} is duplicated.`, lineNo, 'custom_id');
    }
    seen.add(customId);
    if (parsed['method'] !== 'POST') {
      return refuse('invalid_method', 'The method must be POST.', lineNo, 'method');
    }
    if (!sameEndpoint(String(parsed['url']), endpoint)) {
      return refuse('mismatched_endpoint', `The url must be ${endpoint}.`, lineNo, 'url');
    }
    let body: ChatBody;
    try {
      body = parseChatBody(JSON.stringify(parsed['body']));
    } catch (error) {
      return refuse('invalid_request', error instanceof Error ? error.message : 'bad body', lineNo, 'body');
    }
    const named = deploymentNamed(body.model ?? '');
    if (!named) {
      return refuse(
        'model_not_found',
        `The model deployment '${body.model ?? ''}' does not exist or is not a GlobalBatch deployment.`,
        lineNo,
        'body.model',
      );
    }
    if (deployment && named.name !== deployment.name) {
      return refuse(
        'model_mismatch',
        'Every line of a batch must use the same deployment.',
        lineNo,
        'body.model',
      );
    }
    deployment = named;
    lines.push({ customId, body });
  }
  return { lines, deployment: deployment! };
}

/** `/chat/completions` and `/v1/chat/completions` name the same operation. */
function sameEndpoint(url: string, endpoint: string): boolean {
  const strip = (path: string) => path.replace(/^\/v1/, '');
  return strip(url) === strip(endpoint);
}

function refuse(code: string, message: string, line: number | null, param: string | null) {
  return { errors: [{ code, message, line, param }] };
}
