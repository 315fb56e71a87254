// Lint rules, including the dependency direction of STYLE.md §1: each folder may import only
// the contexts listed for it. An arrow "a ← b" there means b may import a.
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

const contexts = [
  'domain',
  'common',
  'store',
  'directory',
  'authz',
  'sts',
  'arm',
  'dataplane',
  'verify',
  'agent',
  'portal',
  'server',
  'cli',
]
const allowed = {
  domain: [],
  common: ['domain'],
  store: ['domain', 'common'],
  directory: ['domain', 'common', 'store'],
  authz: ['domain', 'common', 'store'],
  sts: ['domain', 'common', 'store', 'directory', 'authz'],
  arm: ['domain', 'common', 'store', 'directory', 'authz'],
  dataplane: ['domain', 'common', 'store', 'directory', 'authz'],
  verify: ['domain', 'common'],
  agent: ['domain', 'common'],
  portal: ['domain', 'common', 'store', 'directory', 'authz', 'sts', 'arm'],
  server: [
    'domain',
    'common',
    'store',
    'directory',
    'authz',
    'sts',
    'arm',
    'dataplane',
    'agent',
    'portal',
  ],
  cli: ['domain', 'common', 'server', 'agent'],
}

const boundaries = contexts.map((ctx) => ({
  files: [`src/${ctx}/**/*.ts`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: contexts
          .filter((other) => other !== ctx && !allowed[ctx].includes(other))
          .map((other) => ({
            group: [`**/${other}/*`, `**/${other}/**`],
            message: `${ctx}/ may not import ${other}/ (see STYLE.md, dependency direction)`,
          })),
      },
    ],
  },
}))

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      '.keyless/**',
      'bin/**',
      'reports/**',
      '.stryker-tmp/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/no-explicit-any': 'off',
      'no-console': 'error',
    },
  },
  {
    files: ['src/cli/**', 'scripts/**', 'bench/**', 'examples/**', 'test/**', 'src/**/*.test.ts'],
    rules: { 'no-console': 'off' },
  },
  {
    // The portal's page runs in the browser (bundled by scripts/build-portal.js).
    files: ['src/portal/ui/**/*.js'],
    languageOptions: {
      globals: {
        window: 'readonly',
        document: 'readonly',
        location: 'readonly',
        history: 'readonly',
        fetch: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        TextDecoder: 'readonly',
        URLSearchParams: 'readonly',
        AbortController: 'readonly',
        crypto: 'readonly',
        URL: 'readonly',
      },
    },
  },
  {
    files: ['src/domain/**/*.ts'],
    ignores: ['src/domain/**/*.test.ts'],
    rules: {
      'no-restricted-globals': [
        'error',
        { name: 'Date', message: 'domain/ takes time as input (inject the clock)' },
      ],
    },
  },
  ...boundaries,
)
