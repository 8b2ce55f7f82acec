import oclif from 'eslint-config-oclif'
import prettier from 'eslint-config-prettier'

export default [{ignores: ['dist/**', 'templates/**', 'node_modules/**']}, ...oclif, prettier]
