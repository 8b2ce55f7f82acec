/**
 * bench/build: `fabk8s build` of a freshly scaffolded project (`fabk8s init kv`), first build (--no-cache: every
 * project layer built, npm install included; the base image is local) against a second build with no change
 * (layer cache). Uses the compiled CLI (bin/run.js → dist/) and the engine DOCKER_HOST points at
 * (eval "$(bash .ci/docker.sh start)"); the base image is the host's node (test/support/docker.ts).
 *
 *   npx tsx bench/build.ts [--rounds 3] [--fixture]     (--fixture: the tiny test/fixtures/image project)
 *
 * Prints figures only; nothing here is asserted in tests.
 */
import {spawnSync} from 'node:child_process'
import {cp, mkdtemp, rm} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {performance} from 'node:perf_hooks'

import {buildNetwork, cleanup, dockerUnavailable, nodeBaseImage, uniq} from '../test/support/docker.js'

const ROOT = path.resolve(import.meta.dirname, '..')
const args = process.argv.slice(2)
const rounds = Number(args[args.indexOf('--rounds') + 1]) || 3
const useFixture = args.includes('--fixture')

function cli(argv: string[]): {json: {builder: string; seconds: number}; wall: number} {
  const t0 = performance.now()
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'run.js'), ...argv], {
    encoding: 'utf8',
    env: {...process.env, CI: 'true'},
  })
  const wall = (performance.now() - t0) / 1000
  if (r.status !== 0) throw new Error(`fabk8s ${argv.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`)
  return {json: argv.includes('--json') ? JSON.parse(r.stdout) : {}, wall}
}

const why = await dockerUnavailable()
if (why) {
  console.log(`bench/build: ${why}`)
  process.exit(0)
}

const tmp = await mkdtemp(path.join(os.tmpdir(), 'fabk8s-bench-build-'))
const project = path.join(tmp, 'kv')
const tag = `fabk8s-bench/kv-${uniq()}:0.1.0`
try {
  if (useFixture) await cp(path.join(ROOT, 'test', 'fixtures', 'image'), project, {recursive: true})
  else cli(['init', 'kv', '--yes', '--dir', project])
  const base = await nodeBaseImage()
  const network = await buildNetwork()
  const common = [
    'build',
    '-p',
    project,
    '--base-image',
    base,
    '--tag',
    tag,
    '--json',
    ...(network ? ['--network', network] : []),
  ]
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
  const first: number[] = []
  const second: number[] = []
  let builder = ''
  for (let i = 0; i < rounds; i++) {
    const a = cli([...common, '--no-cache'])
    const b = cli(common)
    builder = a.json.builder
    first.push(a.wall)
    second.push(b.wall)
    console.log(
      `round ${i + 1}: first ${a.wall.toFixed(2)} s (build ${a.json.seconds.toFixed(2)} s), second ${b.wall.toFixed(2)} s (build ${b.json.seconds.toFixed(2)} s)`,
    )
  }

  const f = median(first)
  const s = median(second)
  console.log(
    `project: ${useFixture ? 'test/fixtures/image' : 'fabk8s init kv (typescript)'}; builder: ${builder}; rounds: ${rounds}`,
  )
  console.log(`first build (no cache):        ${f.toFixed(2)} s  (median, CLI wall time)`)
  console.log(`second build (no change):      ${s.toFixed(2)} s`)
  console.log(`ratio first/second:            ${(f / s).toFixed(1)}x`)
} finally {
  await cleanup({images: [tag]})
  await rm(tmp, {force: true, recursive: true})
}
