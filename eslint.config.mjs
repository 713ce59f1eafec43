import nx from '@nx/eslint-plugin';

// The domain is pure: it may import nothing of the framework, the store or the platform's I/O.
const bannedInDomain = [
  '@nestjs/*',
  '@eventstore/*',
  'better-sqlite3',
  'rxjs',
  'class-validator',
  'class-transformer',
  'node:*',
  'fs',
  'path',
  'http',
  'https',
  'net',
  'child_process',
];

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  ...nx.configs['flat/javascript'],
  { ignores: ['**/dist', '**/node_modules', 'tmp/**', 'data/**', 'coverage/**', '.nx/**'] },
  {
    files: ['**/*.ts', '**/*.js', '**/*.mjs'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: true,
          allow: [],
          depConstraints: [
            {
              sourceTag: 'type:domain',
              onlyDependOnLibsWithTags: ['type:domain'],
              bannedExternalImports: bannedInDomain,
            },
            {
              sourceTag: 'type:infrastructure',
              onlyDependOnLibsWithTags: ['type:domain', 'type:infrastructure'],
            },
            {
              sourceTag: 'type:feature',
              onlyDependOnLibsWithTags: ['type:domain', 'type:infrastructure', 'type:feature'],
            },
            {
              sourceTag: 'type:app',
              onlyDependOnLibsWithTags: ['type:domain', 'type:infrastructure', 'type:feature'],
            },
            {
              sourceTag: 'type:test',
              onlyDependOnLibsWithTags: ['type:domain', 'type:infrastructure', 'type:feature', 'type:app'],
            },
          ],
        },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // The Nx rule bans only packages it finds installed; this bans Node's built-ins and every
    // framework by name, installed or not.
    files: ['libs/domain/**/*.ts', 'libs/integration-events/src/**/*.ts'],
    ignores: ['libs/integration-events/src/**/*.spec.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: bannedInDomain,
              message: 'The domain is pure: no framework, no store, no I/O. Pass what it needs in as arguments.',
            },
          ],
        },
      ],
    },
  },
];
