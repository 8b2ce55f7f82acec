import oclif from 'eslint-config-oclif'
import prettier from 'eslint-config-prettier'

export default [
  {ignores: ['dist/**', 'templates/**', 'node_modules/**', 'test/bed/**', 'test/fixtures/**']},
  ...oclif,
  prettier,
  {
    rules: {
      // connection.json and Kubernetes fields are snake_case/camelCase as their formats say
      '@stylistic/lines-between-class-members': 'off',
      camelcase: 'off',
      complexity: ['warn', 30],
      'max-params': ['warn', 6],
      // ordered steps (apply namespace before deployment, retry loops) are sequential on purpose
      'no-await-in-loop': 'off',
      // tar headers, file modes and flag sets are bit fields
      'no-bitwise': 'off',
    },
  },
  {
    files: ['test/**', 'bench/**', 'scripts/**', 'bin/**'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      'mocha/max-top-level-suites': 'off',
      'n/no-process-exit': 'off',
      // Node 20.19: import.meta.dirname, fs.cpSync, zlib.crc32 are there
      'n/no-unsupported-features/node-builtins': 'off',
      'new-cap': 'off',
      'no-promise-executor-return': 'off',
      'no-return-assign': 'off',
      'no-template-curly-in-string': 'off',
      'unicorn/consistent-function-scoping': 'off',
      'unicorn/no-process-exit': 'off',
    },
  },
  {
    files: ['test/**'],
    languageOptions: {globals: {Mocha: 'readonly'}},
  },
  {
    // bin/run.js is CommonJS too (bin/package.json): its start costs no ES module loader
    files: ['**/*.cjs', 'bin/run.js'],
    languageOptions: {
      globals: {
        __dirname: 'readonly',
        __filename: 'readonly',
        module: 'writable',
        process: 'readonly',
        require: 'readonly',
      },
      sourceType: 'commonjs',
    },
    rules: {'@typescript-eslint/no-require-imports': 'off', 'unicorn/prefer-module': 'off'},
  },
  {
    // bin/dev.mjs runs the sources in development; @oclif/core is a dependency of the package root
    files: ['bin/dev.mjs'],
    rules: {'n/no-extraneous-import': 'off'},
  },
]
