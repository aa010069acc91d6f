// ESLint for the whole monorepo (typescript-eslint's recommended rules; formatting is Prettier's).
'use strict';
const js = require('@eslint/js');
const tseslint = require('typescript-eslint');

module.exports = tseslint.config(
  {
    ignores: [
      '**/dist/**',
      '**/build/**',
      '**/node_modules/**',
      'work-demo/**',
      'bench/fused/build/**',
      'bench/out/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'commonjs',
      globals: {
        require: 'readonly',
        module: 'writable',
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        __dirname: 'readonly',
        __filename: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        setImmediate: 'readonly',
        SharedArrayBuffer: 'readonly',
        Atomics: 'readonly',
        URL: 'readonly',
        TextDecoder: 'readonly',
        TextEncoder: 'readonly',
        exports: 'writable',
        AbortController: 'readonly',
        queueMicrotask: 'readonly',
        performance: 'readonly',
        BigInt: 'readonly',
      },
    },
    rules: {
      // Unused arguments are part of interface signatures (FileSystem methods); prefix them with _.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
    },
  },
  {
    // In tests, runs of spaces in a pattern are YAML or report indentation, written as they appear.
    files: ['**/test/**/*.ts'],
    rules: { 'no-regex-spaces': 'off' },
  },
  {
    // The CLI tests load the built libfamfs on purpose: the same code their child processes run.
    files: ['packages/famfs-cli/test/**/*.ts'],
    rules: { '@typescript-eslint/no-require-imports': 'off', '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // Plain Node scripts (bins, benches, build helpers) load modules with require().
    files: ['**/*.js'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
