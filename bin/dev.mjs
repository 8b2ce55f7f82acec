#!/usr/bin/env -S node --import tsx
// Runs the TypeScript sources through tsx. bin/run.js runs the bundle (dist/fabk8s.cjs, found by the explicit
// discovery of oclif); here commands, help class and hook are found by path, and tsx maps dist to src.
import {execute} from '@oclif/core'
import {readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

const pjson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
pjson.oclif = {
  ...pjson.oclif,
  commands: './dist/commands',
  helpClass: './dist/help',
  hooks: {command_not_found: './dist/hooks/command-not-found'},
}
await execute({development: true, loadOptions: {pjson, root: fileURLToPath(new URL('..', import.meta.url))}})
