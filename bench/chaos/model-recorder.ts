/**
 * An HTTP pass-through in front of the model simulator that writes down every chat call the platform
 * makes: which chaos job it was for (the prompt carries `chaos-job:<key>`), how it ended, and the tokens
 * of each completion returned. The simulator counts calls per deployment only; the "at most one charge
 * per job attempt" check needs them per job. Faults stay the simulator's: a reset upstream is passed on
 * as a reset, a hang as a hang (the platform's timeout aborts it, and the abort is passed upstream).
 */
import { Agent, createServer, request as httpRequest, type IncomingMessage } from 'node:http';

export interface ModelCall {
  readonly jobKey: string | undefined;
  /** HTTP status, or how the call ended without one. */
  readonly outcome: number | 'reset' | 'aborted';
  /** When the call ended (epoch ms). */
  readonly at: number;
  /** Set when a completion came back (the call is charged). */
  readonly usage?: { readonly promptTokens: number; readonly completionTokens: number };
}

export interface ModelRecorder {
  readonly url: string;
  readonly calls: ModelCall[];
  /** Where calls go: the simulator's URL, known once the stack runs (before any job is submitted). */
  setTarget(url: string): void;
  close(): Promise<void>;
}

const JOB_TAG = /chaos-job:([A-Za-z0-9-]+)/;

export async function startModelRecorder(): Promise<ModelRecorder> {
  const calls: ModelCall[] = [];
  let target: URL | undefined;
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const jobKey = JOB_TAG.exec(body.toString('utf8'))?.[1];
      let recorded = false;
      const record = (call: Omit<ModelCall, 'at'>) => {
        if (recorded) return;
        recorded = true;
        calls.push({ ...call, at: Date.now() });
      };
      if (!target) {
        res.writeHead(503).end();
        return;
      }
      const upstream = httpRequest(
        new URL(req.url ?? '/', target),
        { method: req.method, headers: { ...req.headers, host: target.host }, agent },
        (answer: IncomingMessage) => {
          const parts: Buffer[] = [];
          answer.on('data', (chunk: Buffer) => parts.push(chunk));
          answer.on('error', () => {
            record({ jobKey, outcome: 'reset' });
            res.destroy();
          });
          answer.on('end', () => {
            const text = Buffer.concat(parts);
            const status = answer.statusCode ?? 0;
            record({ jobKey, outcome: status, ...(status === 200 ? { usage: usageOf(text) } : {}) });
            if (res.destroyed) return;
            res.writeHead(status, answer.headers);
            res.end(text);
          });
        },
      );
      upstream.on('error', () => {
        // The simulator destroyed the socket (its `reset` fault): so do we, towards the platform.
        record({ jobKey, outcome: 'reset' });
        res.destroy();
      });
      // The platform gave up (its timeout on a `hang`, or a cancel): stop the upstream call too.
      res.on('close', () => {
        if (!res.writableFinished) {
          record({ jobKey, outcome: 'aborted' });
          upstream.destroy();
        }
      });
      upstream.end(body);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('model recorder: no port');
  return {
    url: `http://127.0.0.1:${address.port}`,
    calls,
    setTarget: (url) => (target = new URL(url)),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        agent.destroy();
      }),
  };
}

function usageOf(body: Buffer): { promptTokens: number; completionTokens: number } {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as {
      usage?: { prompt_tokens?: number; completion_tokens?: number };
    };
    return {
      promptTokens: parsed.usage?.prompt_tokens ?? 0,
      completionTokens: parsed.usage?.completion_tokens ?? 0,
    };
  } catch {
    return { promptTokens: 0, completionTokens: 0 };
  }
}
