/**
 * Import rules for the product code, run by `npm run lint` (dependency-cruiser):
 * - no import cycle among the files of functions/ and shared/ (type-only imports included: a cycle of
 *   types still ties two modules together for a reader);
 * - shared/ is the domain and its adapters: it never imports the Functions host library or local/;
 * - functions/ never imports local/ (the dev host runs the functions, not the other way round).
 */
module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      severity: 'error',
      from: { path: '^(functions|shared)/' },
      to: { circular: true },
    },
    {
      name: 'shared-without-host',
      severity: 'error',
      from: { path: '^shared/' },
      to: { path: '^(node_modules/@azure/functions/|local/|functions/)' },
    },
    {
      name: 'functions-without-local',
      severity: 'error',
      from: { path: '^functions/' },
      to: { path: '^local/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '(^|/)(dist|coverage)/' },
  },
};
