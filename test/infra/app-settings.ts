/**
 * Reads the function app's settings out of the templates without evaluating them: the `appsettings`
 * config resource in modules/functionapp.bicep, following `union(...)`, ternaries, variables, module
 * parameters and the values main.bicep passes for them. Each setting maps to the source text of its value.
 */
import { join } from 'node:path';
import {
  calledFunction,
  infraDir,
  modules,
  objectProperties,
  parameters,
  readBicep,
  resources,
  stringLiteral,
  variables,
  type BicepFile,
  type SyntaxNode,
} from './bicep-tree.js';

export interface SettingSource {
  /** Source text of the value expression. */
  readonly value: string;
  /** The plain string literal, when the value is one. */
  readonly literal: string | undefined;
  /** Where the setting is written. */
  readonly file: string;
}

interface Scope {
  readonly file: BicepFile;
  /** Module parameter name → the expression the caller passes, in the caller's scope. */
  readonly arguments: ReadonlyMap<string, { node: SyntaxNode; scope: Scope }>;
}

function collect(
  node: SyntaxNode | undefined,
  scope: Scope,
  into: Map<string, SettingSource>,
  depth = 0,
): void {
  if (!node || depth > 20) return;
  switch (node.type) {
    case 'object':
      for (const [key, value] of objectProperties(node)) {
        into.set(key, { value: value.text, literal: stringLiteral(value), file: scope.file.name });
      }
      return;
    case 'call_expression':
      if (calledFunction(node) === 'union') {
        const args = node.childForFieldName('arguments')?.namedChildren ?? [];
        for (const arg of args) collect(arg, scope, into, depth + 1);
      }
      return;
    case 'ternary_expression':
      collect(node.childForFieldName('consequence') ?? undefined, scope, into, depth + 1);
      collect(node.childForFieldName('alternative') ?? undefined, scope, into, depth + 1);
      return;
    case 'parenthesized_expression':
      collect(node.namedChildren[0], scope, into, depth + 1);
      return;
    case 'identifier': {
      const variable = variables(scope.file).get(node.text);
      if (variable) return collect(variable, scope, into, depth + 1);
      const argument = scope.arguments.get(node.text);
      if (argument) return collect(argument.node, argument.scope, into, depth + 1);
      // An unassigned parameter: its default, if it is an object literal.
      const declaration = scope.file.root.namedChildren.find(
        (child) => child.type === 'parameter_declaration' && child.namedChildren[0]?.text === node.text,
      );
      const fallback = declaration?.namedChildren.at(-1);
      if (fallback?.type === 'object') collect(fallback, scope, into, depth + 1);
      return;
    }
    default:
      return;
  }
}

/** Settings of the `appsettings` config resource in `appFile`, with module arguments from `callerFile`. */
export function appSettingsFrom(
  appFile: BicepFile,
  callerFile: BicepFile,
  moduleSymbol: string,
): Map<string, SettingSource> {
  const callerScope: Scope = { file: callerFile, arguments: new Map() };
  const call = modules(callerFile).find((module) => module.symbol === moduleSymbol);
  const params = objectProperties(objectProperties(call?.body).get('params'));
  const declared = new Set(parameters(appFile).map((parameter) => parameter.name));
  const args = new Map<string, { node: SyntaxNode; scope: Scope }>();
  for (const [name, node] of params) if (declared.has(name)) args.set(name, { node, scope: callerScope });
  const appScope: Scope = { file: appFile, arguments: args };

  const settings = new Map<string, SettingSource>();
  for (const resource of resources(appFile)) {
    if (resource.type !== 'Microsoft.Web/sites/config') continue;
    const body = objectProperties(resource.body);
    if (stringLiteral(body.get('name')) !== 'appsettings') continue;
    collect(body.get('properties'), appScope, settings);
  }
  return settings;
}

/** The platform's settings as deployed by main.bicep. */
export function deployedAppSettings(): Map<string, SettingSource> {
  return appSettingsFrom(
    readBicep(join(infraDir, 'modules', 'functionapp.bicep')),
    readBicep(join(infraDir, 'main.bicep')),
    'functionApp',
  );
}
