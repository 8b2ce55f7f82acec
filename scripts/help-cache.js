#!/usr/bin/env node
// Build step: render `--help` for the root, every topic and every command once, with the real help class, into
// dist/help-cache.json. bin/run.js answers a plain `fabk8s [topic|command] --help` from it without loading
// @oclif/core (most of a cold start). The cache is keyed by the package version and the manifest; anything
// else (flags after --help, unknown ids) goes through oclif as usual.
import {spawnSync} from 'node:child_process'
import {readFileSync, statSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const manifest = JSON.parse(readFileSync(path.join(root, 'oclif.manifest.json'), 'utf8'))
const pjson = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'))
const ids = Object.keys(manifest.commands).map((id) => id.replaceAll(':', ' '))
const topics = new Set()
for (const id of ids) {
  const parts = id.split(' ')
  for (let i = 1; i < parts.length; i++) topics.add(parts.slice(0, i).join(' '))
}

const entries = {}
for (const key of ['', ...topics, ...ids]) {
  const args = [...(key ? key.split(' ') : []), '--help']
  const r = spawnSync(process.execPath, [path.join(root, 'bin', 'run.js'), ...args], {
    encoding: 'utf8',
    env: {...process.env, FABK8S_HELP_CACHE: 'off', FORCE_COLOR: '0', NO_COLOR: '1', OCLIF_COLUMNS: '80'},
  })
  if (r.status !== 0) throw new Error(`help-cache: fabk8s ${args.join(' ')} exited ${r.status}: ${r.stderr}`)
  entries[key] = r.stdout
}

const st = statSync(path.join(root, 'oclif.manifest.json'))
// stale when the manifest changes (a rebuild) or is gone (a development tree)
const key = `${pjson.version}:${st.size}:${st.mtimeMs}`
writeFileSync(path.join(root, 'dist', 'help-cache.json'), JSON.stringify({entries, key}))
console.log(`help-cache: ${Object.keys(entries).length} pages`)
