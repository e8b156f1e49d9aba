/** BufferedResponse must read like a platform Response over the same bytes, single use included. */
import { describe, expect, it } from 'vitest';
import { BufferedResponse } from '../../../shared/model/buffered-response.js';

const init = {
  status: 200,
  statusText: 'OK',
  headers: { 'content-type': 'application/json; charset=utf-8' },
};
const make = (text: string, bytes = Buffer.from(text)) => new BufferedResponse(bytes, init, 'http://h/p');

describe('BufferedResponse', () => {
  it('is a Response with the platform status, headers and the given url', () => {
    const response = make('{}');
    expect(response).toBeInstanceOf(Response);
    expect(response.status).toBe(200);
    expect(response.ok).toBe(true);
    expect(response.statusText).toBe('OK');
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(response.url).toBe('http://h/p');
  });

  it('reads text, json, bytes and blob exactly as a platform Response over the same bytes', async () => {
    const withBom = Buffer.concat([
      Buffer.from([0xef, 0xbb, 0xbf]),
      Buffer.from('{"a":"é"}'),
      Buffer.from([0xff]),
    ]);
    const platform = () => new Response(withBom, init);
    const ours = () => make('', withBom);
    expect(await ours().text()).toBe(await platform().text());
    expect(await make('{"a":[1,"é"]}').json()).toEqual({ a: [1, 'é'] });
    expect(new Uint8Array(await ours().arrayBuffer())).toEqual(
      new Uint8Array(await platform().arrayBuffer()),
    );
    // `bytes()` exists in Node 20's Response but not in its type definitions.
    const bytesOf = (r: Response) => (r as Response & { bytes(): Promise<Uint8Array> }).bytes();
    expect(await bytesOf(ours())).toEqual(await bytesOf(platform()));
    const blob = await ours().blob();
    expect(blob.type).toBe('application/json; charset=utf-8');
    expect(blob.size).toBe(withBom.byteLength);
  });

  it('hands out an ArrayBuffer of its own, not the shared pool memory behind a Buffer', async () => {
    const pooled = Buffer.from('abc'); // small Buffers live in a shared pool
    const buffer = await new BufferedResponse(pooled, init, '').arrayBuffer();
    expect(buffer.byteLength).toBe(3);
    new Uint8Array(buffer)[0] = 0x7a;
    expect(pooled.toString()).toBe('abc');
  });

  it('is single use: a second read rejects and bodyUsed tells', async () => {
    const response = make('{"x":1}');
    expect(response.bodyUsed).toBe(false);
    await response.json();
    expect(response.bodyUsed).toBe(true);
    await expect(response.text()).rejects.toThrow(TypeError);
    expect(() => response.clone()).toThrow(TypeError);
  });

  it('gives a stream only when asked; reading it uses the body up', async () => {
    const response = make('streamed');
    const body = response.body!;
    expect(response.bodyUsed).toBe(false);
    expect(await new Response(body).text()).toBe('streamed');
    expect(response.bodyUsed).toBe(true);
    await expect(response.text()).rejects.toThrow(TypeError);

    // Taken but never read: the methods still work, through the stream.
    const untouched = make('still here');
    expect(untouched.body).not.toBeNull();
    expect(await untouched.text()).toBe('still here');
  });

  it('clones before use into an independent response', async () => {
    const response = make('{"n":2}');
    const copy = response.clone();
    expect(await copy.json()).toEqual({ n: 2 });
    expect(await response.json()).toEqual({ n: 2 });
  });

  it('has a null body for a null-body status, and reads as empty', async () => {
    const response = new BufferedResponse(null, { status: 204 }, '');
    expect(response.body).toBeNull();
    expect(await response.text()).toBe('');
  });

  it('parses form bodies through the platform', async () => {
    const response = new BufferedResponse(
      Buffer.from('a=1&b=two'),
      { status: 200, headers: { 'content-type': 'application/x-www-form-urlencoded' } },
      '',
    );
    expect(Object.fromEntries(await response.formData())).toEqual({ a: '1', b: 'two' });
  });
});
