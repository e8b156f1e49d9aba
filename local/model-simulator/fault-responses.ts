/**
 * What each injected fault looks like on the wire: Azure's 500/503, content filter and context length
 * bodies, a 401, a reset connection, or no answer at all, so the client's handling of every failure
 * the service produces can be exercised (faults.ts decides which request gets which fault).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { contentFiltered, serverError, unauthorized } from './azure-errors.js';
import type { DeploymentState } from './deployments.js';
import type { FaultKind } from './faults.js';
import { send } from './http.js';
import { contextTooLong, type QuotaRequest } from './quota.js';

export function respondWithFault(
  fault: FaultKind,
  req: IncomingMessage,
  res: ServerResponse,
  rateHeaders: Record<string, string>,
  deployment: DeploymentState,
  request: QuotaRequest,
): void {
  switch (fault) {
    case 'http500':
      return send(res, serverError(500), rateHeaders);
    case 'http503':
      return send(res, serverError(503), rateHeaders);
    case 'content_filter':
      return send(res, contentFiltered(), rateHeaders);
    case 'context_length':
      return send(res, contextTooLong(deployment, request));
    case 'unauthorized':
      return send(res, unauthorized());
    case 'reset':
      req.socket.destroy();
      return;
    case 'hang':
      // Never answer; the socket is destroyed when the client gives up or the simulator closes.
      return;
  }
}
