/**
 * A `Response` whose body is already in memory. `new Response(bytes)` builds a WHATWG ReadableStream at
 * once and `json()` reads the bytes back through it: for a model call that is a measurable share of the
 * transport's main-thread CPU, spent on bytes we already hold. Here `text()`, `json()`, `arrayBuffer()`,
 * `bytes()` and `blob()` read the bytes directly, and the stream is made only if someone asks for
 * `body`. Status, headers, `ok` and the rest are the platform's own; the body is single-use, as in fetch.
 */
const UTF8_BOM = [0xef, 0xbb, 0xbf] as const;

export class BufferedResponse extends Response {
  readonly #bytes: Buffer | null;
  #stream: ReadableStream<Uint8Array> | undefined;
  #used = false;
  readonly #url: string;
  readonly #init: ResponseInit;

  /** `bytes` is null for a null body (204, 304, HEAD): `body` is then null, as in fetch. */
  constructor(bytes: Buffer | null, init: ResponseInit, url: string) {
    super(null, init);
    this.#bytes = bytes;
    this.#url = url;
    this.#init = init;
  }

  static {
    // The platform declares these as readonly properties, so they are replaced on the prototype rather
    // than overridden in the class body (which TypeScript refuses for accessors over properties).
    const methods: Record<string, (this: BufferedResponse) => unknown> = {
      async arrayBuffer(this: BufferedResponse) {
        const bytes = await this.#consume();
        return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
      },
      async bytes(this: BufferedResponse) {
        return new Uint8Array(await this.#consume());
      },
      async text(this: BufferedResponse) {
        return decodeUtf8(await this.#consume());
      },
      async json(this: BufferedResponse) {
        return JSON.parse(decodeUtf8(await this.#consume())) as unknown;
      },
      async blob(this: BufferedResponse) {
        const bytes = await this.#consume();
        return new Blob([bytes], { type: this.headers.get('content-type') ?? '' });
      },
      async formData(this: BufferedResponse) {
        // Rare for a model API; the platform parses multipart and urlencoded bodies.
        const bytes = await this.#consume();
        return new Response(bytes, { headers: this.headers }).formData();
      },
      clone(this: BufferedResponse) {
        if (this.bodyUsed || this.#stream?.locked)
          throw new TypeError('Response.clone: Body has already been consumed.');
        // The bytes are never written to, so the clone may share them.
        return new BufferedResponse(this.#bytes, this.#init, this.#url);
      },
    };
    for (const [name, value] of Object.entries(methods)) {
      Object.defineProperty(BufferedResponse.prototype, name, { value, writable: true, configurable: true });
    }
    Object.defineProperties(BufferedResponse.prototype, {
      url: {
        configurable: true,
        get(this: BufferedResponse) {
          return this.#url;
        },
      },
      body: {
        configurable: true,
        get(this: BufferedResponse) {
          const bytes = this.#bytes;
          if (bytes === null) return null;
          // highWaterMark 0: nothing is pulled until someone reads, so a read or a cancel is what marks
          // the body used, as a disturbed stream does in fetch.
          this.#stream ??= new ReadableStream<Uint8Array>(
            {
              pull: (controller) => {
                this.#used = true;
                if (bytes.byteLength > 0) controller.enqueue(new Uint8Array(bytes));
                controller.close();
              },
              cancel: () => {
                this.#used = true;
              },
            },
            { highWaterMark: 0 },
          );
          return this.#stream;
        },
      },
      bodyUsed: {
        configurable: true,
        get(this: BufferedResponse) {
          return this.#used;
        },
      },
    });
  }

  async #consume(): Promise<Buffer> {
    if (this.bodyUsed || this.#stream?.locked)
      throw new TypeError('Body is unusable: Body has already been read');
    const stream = this.#stream;
    // Someone took `body` but has not read it: read through the stream, so it ends up disturbed too.
    if (stream) return Buffer.from(await new Response(stream).arrayBuffer());
    this.#used = true;
    return this.#bytes ?? Buffer.alloc(0);
  }
}

/** Fetch's "UTF-8 decode": a leading BOM is dropped, invalid sequences become U+FFFD. */
function decodeUtf8(bytes: Buffer): string {
  const bom = bytes[0] === UTF8_BOM[0] && bytes[1] === UTF8_BOM[1] && bytes[2] === UTF8_BOM[2];
  return bytes.toString('utf8', bom ? 3 : 0);
}
