/** Input hardening: body limits before parsing, header limits, safe JSON, log redaction. */
import { describe, expect, test } from 'vitest';
import { REDACTED, redact, redactString } from '../../shared/auth/redact.js';
import { PayloadTooLargeError, ValidationError } from '../../shared/errors/index.js';
import { decodeUtf8, readBodyWithLimit } from '../../functions/http/body.js';
import { checkHeaderLimits } from '../../functions/http/headers.js';
import { parseJsonSafely } from '../../functions/http/safe-json.js';

function streamOf(chunks: Uint8Array[], onPull?: () => void): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        onPull?.();
        const chunk = chunks[i++];
        if (chunk) controller.enqueue(chunk);
        else controller.close();
      },
      // No eager pull: a pull count of 0 then really means "nothing was read".
    },
    { highWaterMark: 0 },
  );
}

describe('readBodyWithLimit', () => {
  test('reads a body within the limit', async () => {
    const body = await readBodyWithLimit(streamOf([Buffer.from('{"a":'), Buffer.from('1}')]), '7', 100);
    expect(body.toString()).toBe('{"a":1}');
  });

  test('refuses a declared Content-Length over the limit without reading', async () => {
    let pulls = 0;
    const stream = streamOf([Buffer.alloc(10)], () => (pulls += 1));
    await expect(readBodyWithLimit(stream, '101', 100)).rejects.toBeInstanceOf(PayloadTooLargeError);
    expect(pulls).toBe(0);
  });

  test('stops reading a chunked body at the first chunk past the limit', async () => {
    let pulls = 0;
    const chunks = Array.from({ length: 1000 }, () => Buffer.alloc(64));
    const error = await readBodyWithLimit(
      streamOf(chunks, () => (pulls += 1)),
      null,
      1000,
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PayloadTooLargeError);
    expect((error as PayloadTooLargeError).limitBytes).toBe(1000);
    expect(pulls).toBeLessThan(20);
  });

  test('a Content-Length that lies small is still caught while reading', async () => {
    await expect(
      readBodyWithLimit(streamOf([Buffer.alloc(80), Buffer.alloc(80)]), '10', 100),
    ).rejects.toBeInstanceOf(PayloadTooLargeError);
  });

  test('a malformed Content-Length is a 400', async () => {
    for (const value of ['-1', 'abc', '1e3', '']) {
      await expect(readBodyWithLimit(null, value, 100)).rejects.toBeInstanceOf(ValidationError);
    }
  });

  test('invalid UTF-8 is refused', () => {
    expect(decodeUtf8(Buffer.from('héllo'))).toBe('héllo');
    expect(() => decodeUtf8(Buffer.from([0xff, 0xfe, 0x41]))).toThrow(ValidationError);
  });
});

describe('checkHeaderLimits', () => {
  test('counts and sizes headers', () => {
    const limits = { maxCount: 3, maxBytes: 100 };
    expect(() =>
      checkHeaderLimits(
        [
          ['a', '1'],
          ['b', '2'],
        ],
        limits,
      ),
    ).not.toThrow();
    expect(() =>
      checkHeaderLimits(
        [
          ['a', '1'],
          ['b', '2'],
          ['c', '3'],
          ['d', '4'],
        ],
        limits,
      ),
    ).toThrow(PayloadTooLargeError);
    expect(() => checkHeaderLimits([['a', 'x'.repeat(97)]], limits)).toThrow(PayloadTooLargeError);
  });
});

describe('parseJsonSafely', () => {
  test('parses ordinary JSON', () => {
    expect(parseJsonSafely('{"model":"m","messages":[{"role":"user","content":"hi"}]}')).toEqual({
      model: 'm',
      messages: [{ role: 'user', content: 'hi' }],
    });
  });

  test('refuses __proto__, constructor and prototype keys at any depth', () => {
    for (const text of [
      '{"__proto__":{"polluted":true}}',
      '{"a":[{"b":{"__proto__":{"polluted":true}}}]}',
      '{"constructor":{"prototype":{"polluted":true}}}',
      '{"x":{"prototype":1}}',
      '{"\\u005f_proto__":{"polluted":true}}',
    ]) {
      expect(() => parseJsonSafely(text)).toThrow(ValidationError);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  test('strings that merely contain the words are fine', () => {
    expect(parseJsonSafely('{"content":"__proto__ constructor prototype"}')).toEqual({
      content: '__proto__ constructor prototype',
    });
  });

  test('bounds nesting depth, ignoring brackets inside strings', () => {
    expect(() => parseJsonSafely(`${'['.repeat(65)}${']'.repeat(65)}`)).toThrow(/deeper than 64/);
    expect(parseJsonSafely(`{"s":"${'['.repeat(500)}"}`)).toEqual({ s: '['.repeat(500) });
    expect(() => parseJsonSafely('{"a":1')).toThrow(ValidationError);
    expect(() => parseJsonSafely('')).toThrow(ValidationError);
  });
});

describe('redaction', () => {
  const key = `pp_live_${'a1'.repeat(12)}_${'S'.repeat(43)}`;

  test('masks sensitive keys and credential-shaped strings, keeps ids and counts', () => {
    const out = redact({
      jobId: 'job-1',
      tenantId: 'team-a',
      attempts: 2,
      headers: { authorization: 'Bearer eyJhbGciOi.eyJzdWIiOi.sig', 'api-key': key },
      request: { messages: [{ role: 'user', content: 'my secret diagnosis' }] },
      note: `client sent ${key} in the model field`,
      error: new Error(`bad token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abc`),
    });
    const text = JSON.stringify(out);
    expect(text).not.toContain('SSSSSSSSSS');
    expect(text).not.toContain('diagnosis');
    expect(text).not.toContain('eyJzdWIiOi');
    expect(text).toContain('job-1');
    expect(text).toContain('a1a1a1a1a1a1a1a1a1a1a1a1'); // key id kept: it names the key without revealing it
    expect(out).toMatchObject({ attempts: 2, headers: { authorization: REDACTED, 'api-key': REDACTED } });
  });

  test('connection strings and webhook secrets are masked', () => {
    expect(redactString('Endpoint=sb://x/;SharedAccessKeyName=k;SharedAccessKey=abc123=')).not.toContain(
      'abc123',
    );
    expect(redactString('secret whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw')).not.toContain('MfKQ9r8G');
  });

  test('hostile objects: __proto__ keys stay data, depth and size are bounded', () => {
    const hostile = JSON.parse('{"__proto__":{"polluted":true},"a":1}') as object;
    const out = redact(hostile) as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    let deep: Record<string, unknown> = {};
    const root = deep;
    for (let i = 0; i < 100; i += 1) deep = deep.next = {};
    expect(JSON.stringify(redact(root))).toContain('[truncated]');
  });
});
