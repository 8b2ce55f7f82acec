/**
 * bench/dev: save → the next `fabk8s query` answered by the new code, through the test bed's Fabric peers.
 *  - `fabk8s dev` (local mode), TypeScript and Go: goal < 2 s;
 *  - `fabk8s dev --in-cluster` (TypeScript), with the time split by step: goal < 15 s;
 *  - baseline, measured in the same run on the same project: edit, then `fabk8s up` by hand.
 * Each figure is the median of --rounds saves; the ratios are against the baseline. "Answered" is polled with
 * queries through the peers' Gateway in this process, every 50 ms on one kept connection (the CLI's own start-up,
 * printed once, is not counted). The baseline's rounds also print up's step times.
 *
 *   npm run build && npx tsx bench/dev.ts [--rounds 3] [--only typescript,go,cluster]
 *
 * (the sessions run the compiled CLI, dist/, as the tests do: build first)
 *
 * Needs the bed (Fabric network and real node) and a Docker engine; prints figures only, asserts nothing.
 */
import {spawnSync} from 'node:child_process'
import {readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {performance} from 'node:perf_hooks'
import {setTimeout as sleep} from 'node:timers/promises'

import {stateFile, stopLeftovers} from '../src/lib/dev/local/process.js'
import {callInSession} from '../src/lib/fabric/call.js'
import {FabricSession} from '../src/lib/fabric/session.js'
import {loadProject} from '../src/lib/project/load.js'
import {fabnet} from '../test/lib/fabric/fabnet.js'
import {type BedProject, BedProjects, CONTRACT, type Language} from '../test/support/bed-project.js'
import {bedNode} from '../test/support/bed.js'
import {startCli} from '../test/support/cli-session.js'
import {buildNetwork, cleanup, dockerUnavailable, nodeBaseImage} from '../test/support/docker.js'

const args = process.argv.slice(2)
const rounds = Number(args[args.indexOf('--rounds') + 1]) || 3
const only = new Set((args.includes('--only') ? args[args.indexOf('--only') + 1] : 'typescript,go,cluster').split(','))

const bed = bedNode()
const net = fabnet()
const why = (await dockerUnavailable()) ?? (typeof bed === 'string' ? bed : typeof net === 'string' ? net : undefined)
if (why || typeof bed === 'string' || typeof net === 'string') {
  console.log(`bench/dev: skipped (${why})`)
  process.exit(0)
}

const k8s = await import('@kubernetes/client-node')
const kc = new k8s.KubeConfig()
kc.loadFromFile(bed.kubeconfig)
const projects = new BedProjects(bed, net, kc.makeApiClient(k8s.CoreV1Api), 'bench')
const dockerNetwork = await buildNetwork()
const images: string[] = []
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const s2 = (n: number) => `${n.toFixed(2)} s`

/**
 * How long a wait for the new answer sleeps between two questions. Each question is one evaluate on a kept connection,
 * so waiting costs the machine little: asking without a pause (each time a new session, TLS and fabk8s.yaml) kept a
 * core busy and slowed the very build and roll-out being timed (this bench runs on 2 cores). A figure can be late by
 * at most this much, never early.
 */
const POLL_MS = 50

/**
 * Poll until the peers answer with `text` (ReadAsset of a missing asset through the peers' Gateway, in this process:
 * what `fabk8s query` does, without its start-up; the answer is the chaincode's error text or the result); seconds
 * since t0.
 */
async function answered(p: BedProject, text: string, t0: number, timeoutMs = 300_000): Promise<number> {
  const project = await loadProject(path.join(p.dir, 'fabk8s.yaml'))
  const s = new FabricSession(project.network)
  try {
    for (;;) {
      let r: string
      try {
        r = (await callInSession(s, project, {args: ['nope'], fn: 'ReadAsset', submit: false})).result
      } catch (error) {
        r = (error as Error).message
      }

      if (r.includes(text)) return (performance.now() - t0) / 1000
      if (performance.now() - t0 > timeoutMs)
        throw new Error(`no answer with "${text}" after ${timeoutMs / 1000}s: ${r}`)
      await sleep(POLL_MS)
    }
  } finally {
    s.close()
  }
}

/** Replace the not-found text with `to` (a save), then time until a query through the peers answers with it. */
async function saveAndWait(p: BedProject, language: Language, from: string, to: string) {
  const file = path.join(p.dir, CONTRACT[language])
  writeFileSync(file, readFileSync(file, 'utf8').replaceAll(from, to))
  return answered(p, to, performance.now())
}

async function project(language: Language): Promise<BedProject> {
  const p = await projects.create(language)
  const install =
    language === 'go'
      ? spawnSync('go', ['mod', 'download'], {cwd: p.dir})
      : spawnSync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], {cwd: p.dir})
  if (install.status !== 0) throw new Error(`installing ${language} dependencies failed`)
  return p
}

/** `fabk8s up` in the project: its step times, as dev --in-cluster prints them ("build 4.10s, load …"). */
async function up(p: BedProject): Promise<string> {
  const a = ['up', '--json', '--timeout', '300s', '--base-image', await nodeBaseImage()]
  if (dockerNetwork) a.push('--docker-network', dockerNetwork)
  const r = await p.fabk8s(...a)
  if (r.code !== 0) throw new Error(`fabk8s up failed: ${r.stderr}`)
  const {image, steps} = JSON.parse(r.stdout) as {image?: string; steps: {seconds: number; step: string}[]}
  if (image) images.push(image)
  return steps.map((st) => `${st.step} ${st.seconds.toFixed(2)}s`).join(', ')
}

const results: Record<string, number> = {}
try {
  let baseline: number | undefined
  if (only.has('cluster') || only.has('typescript')) {
    // baseline: the loop without dev — edit, `fabk8s up`, query
    const p = await project('typescript')
    await up(p)
    const times: number[] = []
    const split: string[] = []
    let prev = 'does not exist'
    for (let i = 1; i <= rounds; i++) {
      const next = `is gone (up ${i})`
      const file = path.join(p.dir, CONTRACT.typescript)
      writeFileSync(file, readFileSync(file, 'utf8').replaceAll(prev, next))
      const t0 = performance.now()
      const steps = await up(p)
      const upDone = (performance.now() - t0) / 1000
      const t = await answered(p, next, t0)
      times.push(t)
      split.push(`up ${s2(upDone)} (${steps}), answered ${s2(t - upDone)} after up`)
      prev = next
    }

    baseline = median(times)
    const q: number[] = []
    for (let i = 0; i < 3; i++) {
      const t = performance.now()
      await p.fabk8s('query', 'ReadAsset', 'nope')
      q.push((performance.now() - t) / 1000)
    }

    const cliQuery = median(q)
    console.log(
      `(one \`fabk8s query\` from the shell takes ${s2(cliQuery)} here, start-up included; not in the figures)`,
    )
    console.log(`baseline: edit → fabk8s up → new answer: median ${s2(baseline)} over ${rounds}`)
    for (const [i, line] of split.entries()) console.log(`  round ${i + 1}: ${line}`)

    if (only.has('cluster')) {
      const a = ['dev', '--in-cluster', '--timeout', '300s', '--base-image', await nodeBaseImage()]
      if (dockerNetwork) a.push('--docker-network', dockerNetwork)
      const s = startCli(a, {cwd: p.dir, env: p.env})
      await s.waitFor(/iteration 1 done/, {timeoutMs: 600_000})
      const ts: number[] = []
      const split: string[] = []
      for (let i = 1; i <= rounds; i++) {
        const mark = s.mark()
        const next = `is gone (cluster ${i})`
        ts.push(await saveAndWait(p, 'typescript', prev, next))
        prev = next
        const m = await s.waitFor(/iteration \d+ done in [\d.]+s[^\n]*\n[\d:]+\s+([^\n]+)/, {from: mark})
        split.push(m[1])
      }

      s.child.kill('SIGINT')
      await s.exited
      results.cluster = median(ts)
      console.log(
        `dev --in-cluster (typescript): save → new answer median ${s2(results.cluster)} over ${rounds} (${(results.cluster / baseline).toFixed(2)}x of the baseline; goal < 15 s)`,
      )
      for (const [i, line] of split.entries()) console.log(`  iteration ${i + 1}: ${line}`)
    }
  }

  for (const language of ['typescript', 'go'] as const) {
    if (!only.has(language)) continue
    const p = await project(language)
    const s = startCli(['dev', '--local-port', '0', '--debug-port', '0', '--timeout', '300s'], {cwd: p.dir, env: p.env})
    try {
      await s.waitFor(/ready: peers reach/, {timeoutMs: 900_000})
      await p.fabk8s('invoke', 'CreateAsset', 'b1', 'x', 'y')
      const ts: number[] = []
      const restarts: string[] = []
      let prev = 'does not exist'
      for (let i = 1; i <= rounds; i++) {
        const mark = s.mark()
        const next = `is gone (dev ${i})`
        ts.push(await saveAndWait(p, language, prev, next))
        prev = next
        restarts.push((await s.waitFor(/restarted in [^\n]+/, {from: mark}))[0])
      }

      results[language] = median(ts)
      console.log(
        `dev (${language}, local): save → new answer median ${s2(results[language])} over ${rounds}${baseline ? ` (${(results[language] / baseline).toFixed(2)}x of the baseline)` : ''}; goal < 2 s`,
      )
      for (const r of restarts) console.log(`  ${r}`)
    } finally {
      s.child.kill('SIGINT')
      await s.exited
      await stopLeftovers(stateFile(p.dir))
    }
  }

  const verdict = (k: string, goal: number) =>
    results[k] === undefined ? '' : `${k} ${s2(results[k])} ${results[k] < goal ? 'meets' : 'MISSES'} < ${goal} s`
  console.log(
    `goals: ${[verdict('typescript', 2), verdict('go', 2), verdict('cluster', 15)].filter(Boolean).join('; ')}`,
  )
} finally {
  await projects.cleanup()
  await cleanup({images})
}
