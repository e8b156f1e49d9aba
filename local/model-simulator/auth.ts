/**
 * The credential check. Azure OpenAI takes a key in `api-key` or an Entra ID token in
 * `Authorization: Bearer`; the simulator accepts the configured key in either header and the configured
 * bearer tokens, and with neither configured lets everything in. Every credential presented is recorded
 * so tests can see which one the client under test actually sent (key or managed identity token).
 */
import type { IncomingMessage } from 'node:http';
import { header } from './http.js';

export interface CredentialOptions {
  readonly apiKey?: string;
  readonly acceptBearerTokens?: readonly string[];
}

const SEEN_LIMIT = 1000;

export class CredentialCheck {
  /**
   * The last keys and tokens seen, in arrival order. Bounded like the traceparents: the stack's dashboard
   * reads the simulator's stats every second, and a soak makes hundreds of thousands of requests.
   */
  readonly seen: string[] = [];

  constructor(private readonly options: CredentialOptions) {}

  authorized(req: IncomingMessage): boolean {
    const apiKey = header(req, 'api-key');
    const bearer = /^Bearer (.+)$/i.exec(header(req, 'authorization') ?? '')?.[1];
    const presented = apiKey ?? bearer;
    if (presented !== undefined) {
      this.seen.push(presented);
      if (this.seen.length > SEEN_LIMIT) this.seen.shift();
    }
    if (this.options.apiKey === undefined && this.options.acceptBearerTokens === undefined) return true;
    if (this.options.apiKey !== undefined && presented === this.options.apiKey) return true;
    return bearer !== undefined && (this.options.acceptBearerTokens ?? []).includes(bearer);
  }
}
