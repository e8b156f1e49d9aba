/**
 * Request/response links. The SDK puts its SAS token on `$cbs` before attaching to an entity, and
 * sends lock renewal, scheduling, peek and the like to `<entity>/$management`; each request is
 * accepted as a transfer and answered on the reply link its `reply_to` names, with the request's
 * message id as correlation id. CBS answers use `status-code`; management answers use camelCase
 * `statusCode` (see management.ts).
 */
import type { Delivery, EventContext, Message } from 'rhea';
import type { ConnectionState } from './connections.js';
import type { Entity } from './entity.js';
import { handleManagement } from './management.js';
import type { Namespace } from './namespace.js';
import { messageUtil } from './rhea.js';
import { checkSasToken } from './sas.js';

export interface SasKey {
  readonly keyName: string;
  readonly key: string;
}

/** A CBS put-token: a valid token for an existing entity (or the namespace) authorizes its path. */
export function answerCbs(ctx: EventContext, st: ConnectionState, namespace: Namespace, sas: SasKey): void {
  const request = decodeRequest(ctx);
  if (!request) return;
  const props = request.application_properties ?? {};
  const respond = (code: number, description: string): void =>
    reply(st, request, {
      body: undefined,
      application_properties: { 'status-code': code, 'status-description': description },
    });
  if (props.operation !== 'put-token')
    return respond(400, `Unsupported operation '${String(props.operation)}'.`);
  const check = checkSasToken(String(request.body ?? ''), sas.keyName, sas.key, Date.now());
  if (!check.ok || check.path === undefined)
    return respond(401, `Unauthorized: ${check.reason ?? 'invalid token'}`);
  const path = check.path.replace(/\/\$management$/, '');
  if (path !== '' && !namespace.entity(path)) return respond(404, namespace.notFound(path).description);
  st.authorized.add(check.path);
  respond(202, 'Accepted');
}

/** A `$management` operation on the entity; a malformed request answers 400 with the reason. */
export function answerManagement(ctx: EventContext, st: ConnectionState, entity: Entity): void {
  const request = decodeRequest(ctx);
  if (!request) return;
  const operation = String(request.application_properties?.operation ?? '');
  let response;
  try {
    const body = (request.body ?? {}) as Record<string, unknown>;
    response = handleManagement(entity, operation, body);
  } catch (err) {
    response = {
      statusCode: 400,
      condition: 'amqp:invalid-field',
      description: `Bad ${operation} request: ${(err as Error).message}`,
      body: undefined,
    };
  }
  const application_properties: Record<string, unknown> = {
    statusCode: response.statusCode,
    statusDescription: response.description,
  };
  if (response.condition) application_properties['error-condition'] = response.condition;
  const message: Message = { body: undefined, application_properties };
  if (response.body) message.body = response.body;
  reply(st, request, message);
}

/** Accepts the request transfer; an undecodable request is accepted and left unanswered. */
function decodeRequest(ctx: EventContext): Message | undefined {
  const delivery = ctx.delivery as Delivery;
  delivery.update(true, messageUtil.accepted().described());
  try {
    return messageUtil.decode(ctx.message as unknown as Buffer);
  } catch {
    return undefined;
  }
}

function reply(st: ConnectionState, request: Message, message: Message): void {
  const to = request.reply_to;
  const link = to ? st.replyLinks.get(to) : undefined;
  if (!link) return;
  link.send({ ...message, correlation_id: request.message_id, to });
}
