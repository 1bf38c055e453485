// Lint for the whole repository: typescript-eslint's type-checked rules (floating
// and misused promises above all), with formatting left to Prettier.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'data/',
      'dist/',
      'web/dist/',
      'test-artifacts/',
      'bench/results/',
      'server/store/ferretdb/',
      'media/worker-build/',
    ],
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
      '@typescript-eslint/no-misused-promises': 'error',
      // An async function without await is often an interface's shape (a handler that may await later).
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    // Tests and benchmarks read untyped JSON answers all the time; the unsafe-any rules
    // would only add casts there. Promise rules stay on everywhere.
    files: ['test/**', 'bench/**'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    // The protocol's index re-exports every schema, luxon's zone checks included: a page
    // that imports it carries all of them (it once put 260 kB of luxon into the watch page).
    files: ['web/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ regex: '/server/protocol(/index)?$', message: 'Import the protocol file you need, not its index.' }] },
      ],
    },
  },
  {
    files: ['**/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
  prettier,
);
