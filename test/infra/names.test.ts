/**
 * Resource names stay within each resource type's limits for every allowed parameter value. The names are
 * built in main.bicep's `names` variable from uniqueString (13 characters), the workload name (bounded by
 * @maxLength) and the environment (bounded by @allowed); this computes each name's longest possible length
 * from the syntax tree and checks the characters its literal parts use.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  calledFunction,
  descendants,
  infraDir,
  objectProperties,
  parameters,
  parseBicep,
  readBicep,
  stringLiteral,
  variables,
  type BicepFile,
  type SyntaxNode,
} from './bicep-tree.js';

/** Longest length each parameter can have: @maxLength, or the longest @allowed value. */
function parameterBounds(file: BicepFile): Map<string, number> {
  const bounds = new Map<string, number>();
  for (const parameter of parameters(file)) {
    if (parameter.allowed)
      bounds.set(parameter.name, Math.max(...parameter.allowed.map((value) => value.length)));
  }
  for (const node of file.root.namedChildren) {
    if (node.type !== 'parameter_declaration') continue;
    const decorators =
      node.previousNamedSibling?.type === 'decorators' ? node.previousNamedSibling : undefined;
    for (const call of decorators ? descendants(decorators, 'call_expression') : []) {
      if (calledFunction(call) !== 'maxLength') continue;
      const limit = Number(call.childForFieldName('arguments')?.namedChildren[0]?.text);
      bounds.set(node.namedChildren[0]?.text ?? '?', limit);
    }
  }
  return bounds;
}

/** Upper bound of an expression's string length; Infinity when it cannot be bounded. */
function maxLength(node: SyntaxNode | undefined, file: BicepFile, bounds: Map<string, number>): number {
  if (!node) return Infinity;
  switch (node.type) {
    case 'string':
      return node.namedChildren.reduce((total, part) => {
        if (part.type === 'string_content' || part.type === 'escape_sequence')
          return total + part.text.length;
        return total + maxLength(part.namedChildren[0], file, bounds);
      }, 0);
    case 'identifier': {
      if (bounds.has(node.text)) return bounds.get(node.text) ?? Infinity;
      const variable = variables(file).get(node.text);
      return variable ? maxLength(variable, file, bounds) : Infinity;
    }
    case 'ternary_expression':
      return Math.max(
        maxLength(node.childForFieldName('consequence') ?? undefined, file, bounds),
        maxLength(node.childForFieldName('alternative') ?? undefined, file, bounds),
      );
    case 'call_expression': {
      const args = node.childForFieldName('arguments')?.namedChildren ?? [];
      switch (calledFunction(node)) {
        case 'uniqueString':
          return 13;
        case 'take':
          return Math.min(maxLength(args[0], file, bounds), Number(args[1]?.text));
        case 'toLower':
        case 'toUpper':
        case 'replace': // replace(x, '-', '') never grows x
          return maxLength(args[0], file, bounds);
        default:
          return Infinity;
      }
    }
    default:
      return Infinity;
  }
}

/** The literal characters of a name (interpolations left out). */
function literalText(node: SyntaxNode | undefined): string {
  return (node?.namedChildren ?? [])
    .filter((part) => part.type === 'string_content')
    .map((part) => part.text)
    .join('');
}

// Limits from the Azure naming rules (Microsoft.Web sites are held to 32: Flex Consumption app names and
// their host names are kept short so the default host name stays valid).
const LIMITS: Readonly<Record<string, { max: number; characters: RegExp }>> = {
  identity: { max: 128, characters: /^[a-zA-Z0-9_-]*$/ },
  storage: { max: 24, characters: /^[a-z0-9]*$/ },
  logAnalytics: { max: 63, characters: /^[a-zA-Z0-9-]*$/ },
  appInsights: { max: 260, characters: /^[a-zA-Z0-9_.()-]*$/ },
  plan: { max: 60, characters: /^[a-zA-Z0-9-]*$/ },
  functionApp: { max: 32, characters: /^[a-z0-9-]*$/ },
  serviceBus: { max: 50, characters: /^[a-zA-Z0-9-]*$/ },
  cosmos: { max: 44, characters: /^[a-z0-9-]*$/ },
  openAi: { max: 64, characters: /^[a-zA-Z0-9-]*$/ },
  keyVault: { max: 24, characters: /^[a-zA-Z0-9-]*$/ },
};

const main = readBicep(join(infraDir, 'main.bicep'));
const bounds = parameterBounds(main);
const names = objectProperties(variables(main).get('names'));

describe('resource names', () => {
  it('are bounded by the workload and environment parameters', () => {
    expect(bounds.get('workloadName')).toBe(8);
    expect(bounds.get('environmentName')).toBe(4);
  });

  it.each(Object.entries(LIMITS))('%s fits its length limit and character set', (name, limit) => {
    const value = names.get(name);
    expect(value, `names.${name}`).toBeDefined();
    const longest = maxLength(value, main, bounds);
    expect(longest, `names.${name} can be ${longest} characters`).toBeLessThanOrEqual(limit.max);
    expect(literalText(value)).toMatch(limit.characters);
  });

  it('the bound computation catches a name that can grow too long', () => {
    const file = parseBicep(
      [
        '@maxLength(30)',
        'param workload string',
        'var token = uniqueString(workload)',
        "var names = {\n  storage: 'st-${workload}${token}'\n}",
      ].join('\n'),
    );
    const value = objectProperties(variables(file).get('names')).get('storage');
    expect(maxLength(value, file, parameterBounds(file))).toBe(2 + 1 + 30 + 13);
    expect(literalText(value)).not.toMatch(LIMITS.storage!.characters);
    expect(stringLiteral(value)).toBeUndefined();
  });
});
