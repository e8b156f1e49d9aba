// Type-aware linting: the rules that catch lost promises and unhandled union members matter most in
// message handlers, where a forgotten await silently completes a message whose work never finished.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  // .dependency-cruiser.cjs is the import-rule config that `npm run lint` runs (a CommonJS file of data).
  {
    ignores: ['dist/', 'node_modules/', 'coverage/', '.package/', 'infra/.build/', '.dependency-cruiser.cjs'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['*.js'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Read configuration through shared/config only.' },
      ],
    },
  },
  {
    // The config module is the one place that reads the environment; local tooling and benches set it.
    files: ['shared/config/**', 'local/**', 'bench/**', 'test/**', '**/*.test.ts'],
    rules: { 'no-restricted-properties': 'off' },
  },
  {
    // One job per module: product code stays readable in one sitting (tests and tooling are exempt).
    files: ['functions/**/*.ts', 'shared/**/*.ts'],
    rules: { 'max-lines': ['error', { max: 300, skipBlankLines: false, skipComments: false }] },
  },
  {
    files: ['**/*.test.ts', 'test/**'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
);
