/**
 * Handlers that load on first use (createHandlerLoader in functions/registry.ts): one import per group however many calls
 * race for it, the implementation called with the invocation's own arguments, a failed import surfaced to
 * the caller and retried on the next call (not remembered), and a preload that reports failures instead of
 * rejecting, so a worker whose preload failed keeps running.
 */
import { describe, expect, it } from 'vitest';
import { HttpRequest, InvocationContext } from '../../functions/azure-functions.js';
import type {
  HttpFunctionDefinition,
  QueueFunctionDefinition,
  QueueMessage,
} from '../../functions/definitions.js';
import { createHandlerLoader, type HandlerModule } from '../../functions/registry.js';

type Group = 'a' | 'b';

/** A group import that counts its calls and can be made to fail the next n times. */
function countingImport(module: HandlerModule) {
  const state = { calls: 0, failNext: 0 };
  const load = async (): Promise<HandlerModule> => {
    state.calls += 1;
    await new Promise((resolve) => setImmediate(resolve));
    if (state.failNext > 0) {
      state.failNext -= 1;
      throw new SyntaxError('Unexpected token in handler module');
    }
    return module;
  };
  return { state, load };
}

const echo: HttpFunctionDefinition['handler'] = async (request, context) =>
  Promise.resolve({ status: 200, jsonBody: { url: request.url, invocationId: context.invocationId } });
const complete: QueueFunctionDefinition['handler'] = async (message) =>
  Promise.resolve(
    message.deliveryCount > 0
      ? { settle: 'deadLetter', reason: 'Seen', description: message.messageId }
      : { settle: 'complete' },
  );

const httpEntry = { kind: 'http', name: 'echo', route: 'echo', methods: ['GET'], group: 'a' } as const;
const queueEntry = { kind: 'serviceBusQueue', name: 'complete', queueName: 'q', group: 'b' } as const;
const request = () => new HttpRequest({ method: 'GET', url: 'http://localhost/api/echo' });
const message = (deliveryCount: number): QueueMessage => ({
  body: {},
  messageId: 'm-1',
  deliveryCount,
  applicationProperties: {},
});

function setUp() {
  const a = countingImport({ echo });
  const b = countingImport({ complete });
  const loader = createHandlerLoader<Group>({ a: a.load, b: b.load });
  return { a, b, loader };
}

describe('lazy handlers', () => {
  it('import nothing until the first invocation, then import the group once for concurrent calls', async () => {
    const { a, b, loader } = setUp();
    const definition = loader.define(httpEntry) as HttpFunctionDefinition;
    expect(a.state.calls).toBe(0);
    const context = new InvocationContext({ invocationId: 'inv-1' });
    const responses = await Promise.all([1, 2, 3].map(async () => definition.handler(request(), context)));
    expect(responses).toEqual(
      Array(3).fill({ status: 200, jsonBody: { url: 'http://localhost/api/echo', invocationId: 'inv-1' } }),
    );
    await definition.handler(request(), context);
    expect(a.state.calls).toBe(1);
    expect(b.state.calls).toBe(0);
  });

  it('carry the trigger facts and pass queue messages through with their outcome', async () => {
    const { loader } = setUp();
    const definition = loader.define(queueEntry) as QueueFunctionDefinition;
    expect(definition).toMatchObject({ kind: 'serviceBusQueue', name: 'complete', queueName: 'q' });
    const context = new InvocationContext();
    await expect(definition.handler(message(0), context)).resolves.toEqual({ settle: 'complete' });
    await expect(definition.handler(message(2), context)).resolves.toEqual({
      settle: 'deadLetter',
      reason: 'Seen',
      description: 'm-1',
    });
  });

  it('surface a failed import to the invocation and import again on the next one', async () => {
    const { a, loader } = setUp();
    a.state.failNext = 1;
    const definition = loader.define(httpEntry) as HttpFunctionDefinition;
    const context = new InvocationContext();
    await expect(definition.handler(request(), context)).rejects.toThrow(
      'Unexpected token in handler module',
    );
    await expect(definition.handler(request(), context)).resolves.toMatchObject({ status: 200 });
    expect(a.state.calls).toBe(2);
  });

  it('preload every group without rejecting, report failures, and leave them to be retried on use', async () => {
    const { a, b, loader } = setUp();
    b.state.failNext = 2;
    const report = await loader.preload();
    expect(report.loaded).toEqual(['a']);
    expect(report.failed.map((failure) => failure.group)).toEqual(['b']);
    expect(String(report.failed[0]?.error)).toContain('Unexpected token');
    // The loaded group is not imported again; the failed one is, and its error reaches the caller.
    const echoDefinition = loader.define(httpEntry) as HttpFunctionDefinition;
    await echoDefinition.handler(request(), new InvocationContext());
    expect(a.state.calls).toBe(1);
    const queueDefinition = loader.define(queueEntry) as QueueFunctionDefinition;
    await expect(queueDefinition.handler(message(0), new InvocationContext())).rejects.toThrow(SyntaxError);
    await expect(queueDefinition.handler(message(0), new InvocationContext())).resolves.toEqual({
      settle: 'complete',
    });
    expect(b.state.calls).toBe(3);
  });

  it('report a real module that cannot be found, through the same path', async () => {
    const loader = createHandlerLoader<'missing'>({
      // A module that does not exist, imported for real: what a broken deployment package looks like.
      missing: () => import(`./no-such-handler-module-${Date.now()}.js`) as Promise<HandlerModule>,
    });
    const report = await loader.preload();
    expect(report.loaded).toEqual([]);
    expect(report.failed).toHaveLength(1);
    expect(String(report.failed[0]?.error)).toMatch(/no-such-handler-module/);
    await expect(loader.resolve({ name: 'x', group: 'missing' })).rejects.toThrow(/no-such-handler-module/);
  });

  it('refuse a name the module does not implement, inherited properties included', async () => {
    const { loader } = setUp();
    await expect(loader.resolve({ name: 'other', group: 'a' })).rejects.toThrow(
      'Handler module "a" has no handler named "other"',
    );
    await expect(loader.resolve({ name: 'toString', group: 'a' })).rejects.toThrow(
      'no handler named "toString"',
    );
  });
});
