/**
 * Matches request paths against Azure Functions route templates (ASP.NET Core routing syntax):
 * literal segments (case-insensitive), `{name}`, optional `{name?}` (trailing segments only), catch-all
 * `{*name}`, and inline constraints `{name:int}` (int, long, alpha, bool, guid; others are ignored).
 * As in ASP.NET, the path picks the candidates and the method filters them: a path that matches only
 * other methods is a 405, not a 404; among candidates, literal segments win over parameters.
 */
import type { HttpFunctionDefinition } from '../../functions/definitions.js';

type Segment =
  | { readonly kind: 'literal'; readonly text: string }
  | {
      readonly kind: 'param';
      readonly name: string;
      readonly optional: boolean;
      readonly catchAll: boolean;
      readonly constraint?: RegExp;
    };

const CONSTRAINTS: Readonly<Record<string, RegExp>> = {
  int: /^-?\d+$/,
  long: /^-?\d+$/,
  alpha: /^[a-z]+$/i,
  bool: /^(true|false)$/i,
  guid: /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i,
};

const PARAM = /^\{(\*{1,2})?([A-Za-z_][A-Za-z0-9_]*)((?::[^:?}]+)*)(\?)?\}$/;

export function parseRouteTemplate(template: string): Segment[] {
  return template
    .split('/')
    .filter((part) => part !== '')
    .map((part): Segment => {
      const match = PARAM.exec(part);
      if (!match) {
        if (part.includes('{')) throw new Error(`Unsupported route segment '${part}' in '${template}'`);
        return { kind: 'literal', text: part.toLowerCase() };
      }
      const [, star, name = '', constraints = '', optional] = match;
      const constraint = constraints
        .split(':')
        .map((c) => CONSTRAINTS[c.replace(/\(.*\)$/, '')])
        .find((c) => c !== undefined);
      return {
        kind: 'param',
        name,
        optional: optional === '?',
        catchAll: star !== undefined,
        ...(constraint ? { constraint } : {}),
      };
    });
}

/** Route parameters of `path` (already split, still percent-encoded), or undefined when it does not match. */
function matchSegments(
  segments: readonly Segment[],
  parts: readonly string[],
): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i += 1) {
    const segment = segments[i]!;
    const part = parts[i];
    if (segment.kind === 'literal') {
      if (part === undefined || safeDecode(part)?.toLowerCase() !== segment.text) return undefined;
      continue;
    }
    if (segment.catchAll) {
      const rest = parts.slice(i).map(safeDecode);
      if (rest.includes(undefined)) return undefined;
      if (rest.length > 0) params[segment.name] = rest.join('/');
      return params;
    }
    if (part === undefined) {
      if (segment.optional) continue;
      return undefined;
    }
    const value = safeDecode(part);
    if (value === undefined || (segment.constraint && !segment.constraint.test(value))) return undefined;
    params[segment.name] = value;
  }
  return parts.length <= segments.length ? params : undefined;
}

function safeDecode(part: string): string | undefined {
  try {
    return decodeURIComponent(part);
  } catch {
    return undefined;
  }
}

/** Higher is more specific, compared segment by segment: literal > constrained > plain > optional > catch-all. */
function specificity(segments: readonly Segment[]): number[] {
  return segments.map((s) => {
    if (s.kind === 'literal') return 5;
    if (s.catchAll) return 1;
    if (s.optional) return 2;
    return s.constraint ? 4 : 3;
  });
}

function compareSpecificity(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i += 1) {
    const difference = (b[i] ?? 0) - (a[i] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}

export type RouteMatch =
  | {
      readonly kind: 'found';
      readonly definition: HttpFunctionDefinition;
      readonly params: Record<string, string>;
    }
  | { readonly kind: 'methodNotAllowed'; readonly allow: readonly string[] }
  | { readonly kind: 'notFound' };

export interface Router {
  match(method: string, pathname: string): RouteMatch;
}

/** The Functions runtime refuses two functions on the same route and method; so does the dev host. */
function assertNoDuplicateRoutes(definitions: readonly HttpFunctionDefinition[]): void {
  const seen = new Map<string, string>();
  for (const definition of definitions) {
    const route = definition.route.toLowerCase().replace(/^\/+|\/+$/g, '');
    for (const method of definition.methods) {
      const key = `${method} ${route}`;
      const other = seen.get(key);
      if (other) throw new Error(`Functions '${other}' and '${definition.name}' both serve ${key}`);
      seen.set(key, definition.name);
    }
  }
}

export function createRouter(definitions: readonly HttpFunctionDefinition[], routePrefix: string): Router {
  assertNoDuplicateRoutes(definitions);
  const prefix = parseRouteTemplate(routePrefix);
  const routes = definitions
    .map((definition) => {
      const segments = [...prefix, ...parseRouteTemplate(definition.route)];
      return { definition, segments, rank: specificity(segments) };
    })
    .sort((a, b) => compareSpecificity(a.rank, b.rank));

  return {
    match(method, pathname) {
      const parts = pathname.split('/').filter((part) => part !== '');
      const upper = method.toUpperCase();
      const allow = new Set<string>();
      for (const route of routes) {
        const params = matchSegments(route.segments, parts);
        if (!params) continue;
        if (route.definition.methods.some((m) => m === upper)) {
          return { kind: 'found', definition: route.definition, params };
        }
        route.definition.methods.forEach((m) => allow.add(m));
      }
      return allow.size > 0 ? { kind: 'methodNotAllowed', allow: [...allow].sort() } : { kind: 'notFound' };
    },
  };
}
