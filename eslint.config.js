// @ts-check
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

/** Workflow code must stay deterministic: no Node built-ins, no I/O libraries, no service code. */
const notInWorkflows = [
  ...builtinModules.flatMap((m) => [m, `node:${m}`]),
  'undici',
  'express',
  '@temporalio/activity',
  '@temporalio/client',
  '@temporalio/worker',
  '@temporalio/testing',
];

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.data/', 'coverage/', 'test/contract/generated/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-floating-promises': 'error',
    },
  },
  {
    // Tests read JSON answers as `any` and assert on their shape.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    files: ['workflows/**/*.ts', 'domain/**/*.ts', 'test/fixtures/workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: notInWorkflows.map((name) => ({
            name,
            message: 'Workflow code must be deterministic: no Node built-ins or I/O. Use an activity.',
          })),
          patterns: [
            {
              group: ['**/src/**', '**/activities/**', '**/partners/**'],
              message: 'Workflows and the domain import only domain/ and the Temporal SDK (types included).',
            },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'process', message: 'No environment in workflow code: pass settings as workflow input.' },
        { name: 'fetch', message: 'No I/O in workflow code: use an activity.' },
        { name: 'require', message: 'Use ESM imports.' },
      ],
    },
  },
  {
    // Partner requests leave only through http.ts's call(), which takes each one's rate-limit lane.
    files: ['activities/**/*.ts', 'partners/**/*.ts'],
    ignores: ['activities/partners/http.ts', 'partners/http.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            ...['node:http', 'node:https', 'http', 'https', 'node:net', 'net'].map((name) => ({
              name,
              message: 'Partner requests go through call() in the partners http.ts (rate-limit lanes).',
            })),
            {
              name: 'undici',
              importNames: ['request', 'fetch', 'stream', 'pipeline', 'connect', 'upgrade', 'Client', 'Pool'],
              message: 'Partner requests go through call() in the partners http.ts (rate-limit lanes).',
            },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'fetch', message: 'Partner requests go through call() in the partners http.ts (rate-limit lanes).' },
      ],
    },
  },
  {
    // The page's build config runs on Node: its own tsconfig keeps Node types out of the browser code.
    files: ['ui/vite.config.ts'],
    languageOptions: {
      parserOptions: {
        projectService: false,
        project: './ui/tsconfig.node.json',
        tsconfigRootDir: import.meta.dirname,
      },
    },
  },
  { files: ['**/*.js'], ...tseslint.configs.disableTypeChecked },
  prettier,
);
