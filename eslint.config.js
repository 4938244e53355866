// ESLint (flat config): typescript-eslint's recommended rules over src/,
// test/, bench/ and scripts/. `npm run lint` runs it with Prettier's check
// and clang-format's (scripts/lint.sh); `npm test` runs that first.
'use strict';
const js = require('@eslint/js');
const tseslint = require('typescript-eslint');

module.exports = tseslint.config(
  { ignores: ['dist/**', 'build/**', 'node_modules/**', 'bpf/.output/**', 'bench/*/build/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      // typed arrays indexed in hot loops: `a[i]!` is checked by the loop bound
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // the addon and a few JS modules are loaded with require() by path
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
  {
    // chai's property assertions (`expect(x).to.exist`) are expressions
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-unused-expressions': 'off' },
  },
  {
    files: ['**/*.js'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: Object.fromEntries(
        [
          'require',
          'module',
          'exports',
          'process',
          'console',
          '__dirname',
          'Buffer',
          'setTimeout',
          'clearTimeout',
          'setInterval',
          'clearInterval',
        ].map((g) => [g, 'readonly']),
      ),
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
