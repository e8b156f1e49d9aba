/**
 * House rules for the Bicep templates, checked on the tree-sitter syntax tree. Each rule returns the
 * violations it finds (file, line, message); the tests run every rule on every template and on small bad
 * snippets, to prove each rule can fail.
 */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Parser from 'tree-sitter';
import {
  bicepLanguage,
  calledFunction,
  descendants,
  lineOf,
  modules,
  objectProperties,
  propertyKey,
  resources,
  stringLiteral,
  valueAt,
  type BicepFile,
  type SyntaxNode,
} from './bicep-tree.js';

export interface Violation {
  readonly rule: string;
  readonly file: string;
  readonly line: number;
  readonly message: string;
}

export type Rule = (file: BicepFile) => Violation[];

function violation(rule: string, file: BicepFile, node: SyntaxNode, message: string): Violation {
  return { rule, file: file.name, line: lineOf(node), message };
}

// Any `list*` resource function hands out keys or SAS tokens (listKeys, listConnectionStrings,
// listAccountSas, listSecrets, list...). Matched with a tree-sitter query on the callee.
const listCallQuery = new Parser.Query(
  bicepLanguage,
  `(call_expression function: (identifier) @callee (#match? @callee "^list"))
   (call_expression function: (member_expression property: (property_identifier) @callee) (#match? @callee "^list"))`,
);

export const noKeyListing: Rule = (file) =>
  listCallQuery
    .captures(file.root)
    .map((capture) =>
      violation('no-key-listing', file, capture.node, `${capture.node.text}() lists keys or secrets`),
    );

// Shapes of credentials in text: connection strings with keys, SAS, storage keys, instrumentation keys.
const CREDENTIAL_TEXT =
  /AccountKey=|SharedAccessKey|SharedAccessSignature|primaryMasterKey|primaryKey|secondaryKey|InstrumentationKey/i;

export const noSecretOutputs: Rule = (file) => {
  const found: Violation[] = [];
  for (const output of descendants(file.root, 'output_declaration')) {
    const name = output.namedChildren[0]?.text ?? '';
    const value = output.namedChildren.at(-1)?.text ?? '';
    if (/connection_?string|key$|keys$|secretValue|sas|password/i.test(name)) {
      found.push(violation('no-secret-outputs', file, output, `output '${name}' looks like a credential`));
    } else if (CREDENTIAL_TEXT.test(value) || /connectionstring/i.test(value)) {
      found.push(violation('no-secret-outputs', file, output, `output '${name}' exposes ${value}`));
    }
  }
  return found;
};

export const noCredentialText: Rule = (file) =>
  descendants(file.root, 'string')
    .filter((node) => CREDENTIAL_TEXT.test(node.text))
    .map((node) => violation('no-credential-text', file, node, `credential-shaped text ${node.text}`));

// SAS authorization rules on Service Bus / Event Hubs, or keys on Cosmos DB, are key-based access.
export const noSasRules: Rule = (file) =>
  resources(file)
    .filter((resource) => /\/authorizationRules$|\/AuthorizationRules$/i.test(resource.type))
    .map((resource) =>
      violation('no-sas-rules', file, resource.node, `${resource.type} declares a SAS rule`),
    );

const LOCAL_AUTH_PROPERTY: Readonly<Record<string, string>> = {
  'Microsoft.ServiceBus/namespaces': 'properties.disableLocalAuth',
  'Microsoft.EventHub/namespaces': 'properties.disableLocalAuth',
  'Microsoft.DocumentDB/databaseAccounts': 'properties.disableLocalAuth',
  'Microsoft.CognitiveServices/accounts': 'properties.disableLocalAuth',
  'Microsoft.Insights/components': 'properties.DisableLocalAuth',
};

/** Every data service this template creates turns key (local) auth off with a literal `true`. */
export const localAuthDisabled: Rule = (file) => {
  const found: Violation[] = [];
  for (const resource of resources(file)) {
    const path = LOCAL_AUTH_PROPERTY[resource.type];
    if (!path || resource.existing) continue;
    const value = valueAt(resource.body, path);
    if (value?.type !== 'boolean' || value.text !== 'true') {
      found.push(
        violation(
          'local-auth-disabled',
          file,
          resource.node,
          `${resource.symbol} (${resource.type}) must set ${path}: true`,
        ),
      );
    }
  }
  return found;
};

export const sharedKeyAccessOff: Rule = (file) =>
  resources(file)
    .filter((resource) => resource.type === 'Microsoft.Storage/storageAccounts' && !resource.existing)
    .filter((resource) => {
      const value = valueAt(resource.body, 'properties.allowSharedKeyAccess');
      return value?.type !== 'boolean' || value.text !== 'false';
    })
    .map((resource) =>
      violation(
        'shared-key-access-off',
        file,
        resource.node,
        `${resource.symbol} must set properties.allowSharedKeyAccess: false`,
      ),
    );

/**
 * Settings Flex Consumption rejects or ignores (it manages runtime and package itself), and settings that
 * would carry a key instead of an identity.
 */
export const FORBIDDEN_SETTINGS: readonly string[] = [
  'FUNCTIONS_WORKER_RUNTIME',
  'FUNCTIONS_EXTENSION_VERSION',
  'WEBSITE_RUN_FROM_PACKAGE',
  'WEBSITE_CONTENTSHARE',
  'WEBSITE_CONTENTAZUREFILECONNECTIONSTRING',
  'WEBSITE_NODE_DEFAULT_VERSION',
  'SCM_DO_BUILD_DURING_DEPLOYMENT',
  'ENABLE_ORYX_BUILD',
  'AzureWebJobsStorage',
  'ServiceBusConnection',
  'DEPLOYMENT_STORAGE_CONNECTION_STRING',
  'COSMOS_KEY',
  'MODEL_API_KEY',
  'APPINSIGHTS_INSTRUMENTATIONKEY',
];

/** No forbidden name as an object key or as a whole string (`{ name: 'X', value: ... }` arrays). */
export const noForbiddenSettings: Rule = (file) => {
  const found: Violation[] = [];
  for (const property of descendants(file.root, 'object_property')) {
    const key = propertyKey(property);
    if (key && FORBIDDEN_SETTINGS.includes(key)) {
      found.push(
        violation(
          'no-forbidden-settings',
          file,
          property,
          `setting ${key} must not be set (Flex Consumption / keyless)`,
        ),
      );
    }
  }
  for (const node of descendants(file.root, 'string')) {
    const text = stringLiteral(node);
    if (text && FORBIDDEN_SETTINGS.includes(text)) {
      found.push(
        violation(
          'no-forbidden-settings',
          file,
          node,
          `setting ${text} must not be set (Flex Consumption / keyless)`,
        ),
      );
    }
  }
  return found;
};

/**
 * Azure role assignments are named with guid() (deterministic, so redeploying is idempotent) and say
 * principalType 'ServicePrincipal' (no PrincipalNotFound while a new identity replicates). Cosmos DB
 * data-plane assignments are named with guid() too.
 */
export const roleAssignmentsWellFormed: Rule = (file) => {
  const found: Violation[] = [];
  for (const resource of resources(file)) {
    const isAzureRbac = resource.type === 'Microsoft.Authorization/roleAssignments';
    const isCosmosRbac = resource.type === 'Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments';
    if ((!isAzureRbac && !isCosmosRbac) || resource.existing) continue;
    const name = objectProperties(resource.body).get('name');
    if (name?.type !== 'call_expression' || calledFunction(name) !== 'guid') {
      found.push(
        violation(
          'role-assignment-guid',
          file,
          resource.node,
          `${resource.symbol} must be named with guid(...)`,
        ),
      );
    }
    if (
      isAzureRbac &&
      stringLiteral(valueAt(resource.body, 'properties.principalType')) !== 'ServicePrincipal'
    ) {
      found.push(
        violation(
          'role-assignment-principal-type',
          file,
          resource.node,
          `${resource.symbol} must set properties.principalType: 'ServicePrincipal'`,
        ),
      );
    }
  }
  return found;
};

/** Every resource that has a location (a top-level Azure resource) carries tags. */
export const taggedResources: Rule = (file) =>
  resources(file)
    .filter((resource) => !resource.existing)
    .filter((resource) => {
      const properties = objectProperties(resource.body);
      return properties.has('location') && !properties.has('tags');
    })
    .map((resource) =>
      violation(
        'tags',
        file,
        resource.node,
        `${resource.symbol} (${resource.type}) has a location but no tags`,
      ),
    );

/** Every module path points at a file that exists. */
export const modulesExist: Rule = (file) =>
  modules(file)
    .filter((module) => !existsSync(resolve(dirname(file.path), module.path)))
    .map((module) =>
      violation(
        'module-exists',
        file,
        module.node,
        `module ${module.symbol} references missing ${module.path}`,
      ),
    );

const LOAD_FUNCTIONS = new Set(['loadJsonContent', 'loadTextContent', 'loadYamlContent', 'loadFileAsBase64']);

/** Every file a template loads at compile time (loadJsonContent, loadTextContent, ...) exists. */
export const loadedFilesExist: Rule = (file) =>
  descendants(file.root, 'call_expression')
    .filter((call) => LOAD_FUNCTIONS.has(calledFunction(call)))
    .flatMap((call) => {
      const path = stringLiteral(call.childForFieldName('arguments')?.namedChildren[0] ?? undefined);
      if (path === undefined)
        return [violation('loaded-file-exists', file, call, `${calledFunction(call)} needs a literal path`)];
      return existsSync(resolve(dirname(file.path), path))
        ? []
        : [violation('loaded-file-exists', file, call, `${calledFunction(call)} loads missing ${path}`)];
    });

export const ALL_RULES: Readonly<Record<string, Rule>> = {
  noKeyListing,
  noSecretOutputs,
  noCredentialText,
  noSasRules,
  localAuthDisabled,
  sharedKeyAccessOff,
  noForbiddenSettings,
  roleAssignmentsWellFormed,
  taggedResources,
  modulesExist,
  loadedFilesExist,
};

export function checkAll(file: BicepFile): Violation[] {
  return Object.values(ALL_RULES).flatMap((rule) => rule(file));
}
