#!/usr/bin/env node
// Cold start: `fabk8s --help` against a bare `node -e 0`, measured in the same run (needs `npm run build`).
// Prints medians and the ratio; the goal is within 1.2x. Not a test: nothing is asserted.
import {spawnSync} from 'node:child_process'
import {existsSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const bin = path.join(root, 'bin', 'run.js')
if (!existsSync(path.join(root, 'dist')) || !existsSync(path.join(root, 'oclif.manifest.json'))) {
  console.error('bench/startup: run `npm run build` first (dist/ and oclif.manifest.json are needed)')
  process.exit(2)
}

const runs = Number(process.env.BENCH_RUNS ?? 15)
function median(args) {
  const times = []
  for (let i = 0; i < runs + 2; i++) {
    const t = process.hrtime.bigint()
    const r = spawnSync(process.execPath, args, {env: {...process.env, NO_COLOR: '1'}, stdio: 'ignore'})
    if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}`)
    if (i >= 2) times.push(Number(process.hrtime.bigint() - t) / 1e6) // two warm-up runs fill the page cache
  }

  times.sort((a, b) => a - b)
  return times[Math.floor(times.length / 2)]
}

const base = median(['-e', '0'])
const help = median([bin, '--help'])
const cmdHelp = median([bin, 'deploy', '--help'])
console.log(
  `startup: node -e 0 ${base.toFixed(0)} ms; fabk8s --help ${help.toFixed(0)} ms (${(help / base).toFixed(2)}x); fabk8s deploy --help ${cmdHelp.toFixed(0)} ms (${(cmdHelp / base).toFixed(2)}x); goal <= 1.2x (${help / base <= 1.2 ? "met" : "NOT met"})`,
)
