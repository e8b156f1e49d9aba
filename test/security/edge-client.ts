/**
 * A small client for the edge tests: calls the harness API and asserts 400 problems that name a field.
 */
import { expect } from 'vitest';

export interface Reply {
  readonly status: number;
  readonly contentType: string | null;
  readonly body: Record<string, unknown>;
}

export type Call = (
  method: string,
  path: string,
  auth: Record<string, string>,
  body?: unknown,
) => Promise<Reply>;

export function apiCaller(apiUrl: () => string): Call {
  return async (method, path, auth, body) => {
    const response = await fetch(`${apiUrl()}${path}`, {
      method,
      headers: { ...auth, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    return {
      status: response.status,
      contentType: response.headers.get('content-type'),
      body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
    };
  };
}

export const as = (key: string) => ({ 'api-key': key });

const fields = (reply: Reply) => ((reply.body.errors ?? []) as { field: string }[]).map((e) => e.field);

/** A 400 problem+json whose errors name `field`. */
export function expectRefused(reply: Reply, field: string, label: string): void {
  expect(reply.status, `${label}: ${JSON.stringify(reply.body)}`).toBe(400);
  expect(reply.contentType, label).toBe('application/problem+json');
  expect(fields(reply), label).toContain(field);
}
