/**
 * Offline Bicep reading: the Bicep compiler is not obtainable without internet, so templates are parsed
 * with tree-sitter-bicep and checked on the syntax tree. These helpers turn the tree into what the rules
 * need (resources, modules, parameters, object properties) without evaluating any expression.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import Parser from 'tree-sitter';
import Bicep from 'tree-sitter-bicep';

export type SyntaxNode = Parser.SyntaxNode;

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const infraDir = join(repoRoot, 'infra');

const parser = new Parser();
parser.setLanguage(Bicep as unknown as Parser.Language);

export const bicepLanguage = Bicep as unknown as Parser.Language;

export interface BicepFile {
  readonly path: string;
  /** Path relative to the repository root, for messages. */
  readonly name: string;
  readonly source: string;
  readonly root: SyntaxNode;
}

export function parseBicep(source: string, path = '<inline>'): BicepFile {
  const tree = parser.parse(source);
  return {
    path,
    name: path.startsWith(repoRoot) ? relative(repoRoot, path) : path,
    source,
    root: tree.rootNode,
  };
}

export function readBicep(path: string): BicepFile {
  return parseBicep(readFileSync(path, 'utf8'), path);
}

/** Every file under `dir` ending in `extension`, recursively, sorted. */
export function listFiles(dir: string, extension: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...listFiles(path, extension));
    else if (entry.name.endsWith(extension)) found.push(path);
  }
  return found.sort();
}

export function lineOf(node: SyntaxNode): number {
  return node.startPosition.row + 1;
}

/** Error and missing nodes, with their positions: what makes `hasError` true. */
export function syntaxErrors(file: BicepFile): string[] {
  const errors: string[] = [];
  const visit = (node: SyntaxNode): void => {
    if (node.type === 'ERROR' || node.isMissing) {
      errors.push(
        `${file.name}:${lineOf(node)}: ${node.isMissing ? 'missing' : 'unexpected'} ${JSON.stringify(node.text.slice(0, 60))}`,
      );
    }
    for (const child of node.children) visit(child);
  };
  visit(file.root);
  return errors;
}

export function descendants(node: SyntaxNode, type: string): SyntaxNode[] {
  return node.descendantsOfType(type);
}

/** The literal value of a plain string node (no interpolation), else undefined. */
export function stringLiteral(node: SyntaxNode | undefined): string | undefined {
  if (node?.type !== 'string') return undefined;
  const parts = node.namedChildren;
  if (parts.some((part) => part.type !== 'string_content' && part.type !== 'escape_sequence'))
    return undefined;
  return parts.map((part) => part.text).join('');
}

/** The key of an object property: an identifier or a quoted string. */
export function propertyKey(property: SyntaxNode): string | undefined {
  const key = property.namedChildren[0];
  if (!key) return undefined;
  if (key.type === 'identifier') return key.text;
  return stringLiteral(key);
}

/** The value node of an object property (the named child after the key). */
export function propertyValue(property: SyntaxNode): SyntaxNode | undefined {
  return property.namedChildren[1];
}

/** Direct properties of an object node, as key → value node. */
export function objectProperties(object: SyntaxNode | undefined): Map<string, SyntaxNode> {
  const properties = new Map<string, SyntaxNode>();
  if (object?.type !== 'object') return properties;
  for (const child of object.namedChildren) {
    if (child.type !== 'object_property') continue;
    const key = propertyKey(child);
    const value = propertyValue(child);
    if (key !== undefined && value) properties.set(key, value);
  }
  return properties;
}

/** Follow a dotted path of object keys (`properties.disableLocalAuth`). */
export function valueAt(object: SyntaxNode | undefined, path: string): SyntaxNode | undefined {
  let current = object;
  for (const key of path.split('.')) {
    current = objectProperties(current).get(key);
    if (!current) return undefined;
  }
  return current;
}

export interface ResourceDeclaration {
  readonly symbol: string;
  /** `Microsoft.ServiceBus/namespaces`, or the full type for a nested child (`parent/child`). */
  readonly type: string;
  readonly apiVersion: string;
  readonly existing: boolean;
  /** The resource body (for loops: the loop body; conditions: the guarded body). */
  readonly body: SyntaxNode | undefined;
  readonly node: SyntaxNode;
}

/** The object a declaration deploys, looking through `if (...)` and `[for ...: {...}]`. */
export function declarationBody(node: SyntaxNode): SyntaxNode | undefined {
  for (const child of node.namedChildren) {
    if (child.type === 'object') return child;
    if (child.type === 'if_statement') return declarationBody(child);
    if (child.type === 'for_statement') return child.childForFieldName('body') ?? declarationBody(child);
    if (child.type === 'array') return declarationBody(child);
  }
  return undefined;
}

/** Every resource declaration, nested children included, with fully qualified types. */
export function resources(file: BicepFile): ResourceDeclaration[] {
  const found: ResourceDeclaration[] = [];
  for (const node of descendants(file.root, 'resource_declaration')) {
    const symbol = node.namedChildren[0]?.text ?? '?';
    const typeString = stringLiteral(node.namedChildren[1]) ?? '';
    const [rawType = '', apiVersion = ''] = typeString.split('@');
    found.push({
      symbol,
      type: qualifiedType(node, rawType),
      apiVersion,
      existing: node.children.some((child) => child.type === 'existing'),
      body: declarationBody(node),
      node,
    });
  }
  return found;
}

// A nested `resource q 'queues' = ...` inside a namespace resource is `Microsoft.ServiceBus/namespaces/queues`.
function qualifiedType(node: SyntaxNode, rawType: string): string {
  if (rawType.includes('/')) return rawType;
  let parent = node.parent;
  while (parent && parent.type !== 'resource_declaration') parent = parent.parent;
  if (!parent) return rawType;
  const parentType = stringLiteral(parent.namedChildren[1])?.split('@')[0] ?? '';
  return `${qualifiedType(parent, parentType)}/${rawType}`;
}

export interface ModuleDeclaration {
  readonly symbol: string;
  readonly path: string;
  readonly body: SyntaxNode | undefined;
  readonly node: SyntaxNode;
}

export function modules(file: BicepFile): ModuleDeclaration[] {
  return descendants(file.root, 'module_declaration').map((node) => ({
    symbol: node.namedChildren[0]?.text ?? '?',
    path: stringLiteral(node.namedChildren[1]) ?? '',
    body: declarationBody(node),
    node,
  }));
}

export interface ParameterDeclaration {
  readonly name: string;
  readonly hasDefault: boolean;
  /** String literals of an `@allowed([...])` decorator, when it lists only strings. */
  readonly allowed: readonly string[] | undefined;
  readonly type: string;
}

export function parameters(file: BicepFile): ParameterDeclaration[] {
  const declared: ParameterDeclaration[] = [];
  for (const node of file.root.namedChildren) {
    if (node.type !== 'parameter_declaration') continue;
    const name = node.namedChildren.find((child) => child.type === 'identifier')?.text ?? '?';
    const type = node.namedChildren.find((child) => child.type === 'type')?.text ?? '?';
    // `param x string = 'a'`: a default shows up as a named child after the type.
    const typeIndex = node.namedChildren.findIndex((child) => child.type === 'type');
    const hasDefault = typeIndex >= 0 && node.namedChildren.length > typeIndex + 1;
    declared.push({ name, type, hasDefault, allowed: allowedValues(node) });
  }
  return declared;
}

function allowedValues(parameter: SyntaxNode): string[] | undefined {
  // Decorators precede the declaration as siblings inside a `decorators` node.
  const decorators =
    parameter.previousNamedSibling?.type === 'decorators' ? parameter.previousNamedSibling : undefined;
  const candidates = [
    ...(decorators ? descendants(decorators, 'call_expression') : []),
    ...descendants(parameter, 'call_expression'),
  ];
  for (const call of candidates) {
    if (call.childForFieldName('function')?.text !== 'allowed') continue;
    const array = descendants(call, 'array')[0];
    if (!array) return undefined;
    const values = array.namedChildren.map((item) => stringLiteral(item));
    return values.every((value): value is string => value !== undefined) ? values : undefined;
  }
  return undefined;
}

/** Variables declared at the top of a file, name → value node. */
export function variables(file: BicepFile): Map<string, SyntaxNode> {
  const found = new Map<string, SyntaxNode>();
  for (const node of file.root.namedChildren) {
    if (node.type !== 'variable_declaration') continue;
    const name = node.namedChildren[0]?.text;
    const value = node.namedChildren.at(-1);
    if (name && value) found.set(name, value);
  }
  return found;
}

/** Name of the function a call expression calls (`guid`, `listKeys`, `stg.listKeys` → `listKeys`). */
export function calledFunction(call: SyntaxNode): string {
  const callee = call.childForFieldName('function') ?? call.namedChildren[0];
  if (!callee) return '';
  if (callee.type === 'member_expression') return callee.childForFieldName('property')?.text ?? callee.text;
  return callee.text;
}
