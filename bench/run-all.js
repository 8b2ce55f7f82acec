#!/usr/bin/env node
// `npm run bench`: every bench/ script, one after the other; each prints its figures as ratios against a
// baseline measured in the same run. Scripts that need absent parts (Docker, Fabric) say so and are skipped.
import {spawnSync} from 'node:child_process'
import {readdirSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const here = path.dirname(fileURLToPath(import.meta.url))
const only = process.argv.slice(2)
const scripts = readdirSync(here)
  .filter((f) => /\.(js|ts)$/.test(f) && f !== 'run-all.js' && !f.startsWith('_'))
  .filter((f) => only.length === 0 || only.some((o) => f.startsWith(o)))
  .sort()
let failed = 0
for (const f of scripts) {
  console.log(`\n== bench/${f}`)
  const args = f.endsWith('.ts') ? ['--import', 'tsx', path.join(here, f)] : [path.join(here, f)]
  const r = spawnSync(process.execPath, args, {stdio: 'inherit'})
  if (r.status !== 0) {
    failed++
    console.log(`bench/${f} exited ${r.status}`)
  }
}

process.exit(failed ? 1 : 0)
