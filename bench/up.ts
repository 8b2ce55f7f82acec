/**
 * bench/up: a second `fabk8s up` with nothing changed, against the first (cold) one, in the same run. Goal: the
 * second run makes no writes and takes at most 0.5 s. Two set-ups:
 *
 *  1. the stand-in cluster: real Docker engine (DOCKER_HOST), two stand-in kind nodes (containerd in containers), the
 *     in-repo kube API server, which counts write requests. Its project has no `network` section: register and ready
 *     are skipped. (Needs only Docker.)
 *  2. the test bed, every step for real: a scaffolded project on the bed's real node (kubelet + containerd, loaded
 *     through its kind-node lookalike) and the bed's Fabric network, so a no-op `up` also asks the peers (register)
 *     and has the chaincode answer (ready). Writes: the Deployment's resourceVersion before and after. (Needs
 *     `bash test/bed/bed.sh up` and its env file sourced; says why when it skips.)
 *
 *   npx tsx bench/up.ts [--rounds 5] [--only stand-in,bed]
 *
 * Prints figures only; nothing here is asserted in tests.
 */
import {performance} from 'node:perf_hooks'

import type {UpResult} from '../src/lib/up/up.js'

import {fabnet} from '../test/lib/fabric/fabnet.js'
import {BedProjects} from '../test/support/bed-project.js'
import {bedNode} from '../test/support/bed.js'
import {BIN, type CliResult, json, runCli} from '../test/support/cli.js'
import {buildNetwork, cleanup, dockerUnavailable, nodeBaseImage} from '../test/support/docker.js'
import {hasScript, inTerminal} from '../test/support/terminal.js'
import {startUpFixture} from '../test/support/up-fixture.js'

const args = process.argv.slice(2)
const rounds = Number(args[args.indexOf('--rounds') + 1]) || 5
const only = args.includes('--only') ? args[args.indexOf('--only') + 1].split(',') : undefined

const why = await dockerUnavailable()
if (why) {
  console.log(`bench/up: skipped (${why})`)
  process.exit(0)
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const stepTimes = (r: UpResult) => r.steps.map((x) => `${x.step} ${x.seconds}s`).join(', ')

if (!only || only.includes('stand-in')) await standIn()
if (!only || only.includes('bed')) await onTheBed()

async function standIn(): Promise<void> {
  const fx = await startUpFixture('benchup', 'bench')
  const images: string[] = []
  try {
    // runCli spawns asynchronously: the fake API server lives in this process and must keep answering
    const up = timedUp(() => runCli(fx.upArgs('--json')), images)

    const first = await up()
    let writes = 0
    const again = await noops(
      up,
      (before) => (writes += fx.writes(before).length),
      () => fx.fake.requests.length,
    )
    report(
      'up (stand-in cluster, no network: register and ready skipped)',
      first.s,
      again,
      `${writes} API write request(s)`,
      writes === 0,
    )
  } finally {
    await fx.stop(images)
  }
}

/** One `up` (run by `run`), timed; its result, and the image it names kept in `images` (removed at the end). */
function timedUp(run: () => Promise<CliResult>, images: string[]): () => Promise<{out: UpResult; s: number}> {
  return async () => {
    const t0 = performance.now()
    const r = await run()
    const s = (performance.now() - t0) / 1000
    if (r.code !== 0) throw new Error(`fabk8s up failed (${r.code}):\n${r.stdout}\n${r.stderr}`)
    const out = json<UpResult>(r)
    if (out.image) images.push(out.image)
    return {out, s}
  }
}

/** `rounds` no-op runs: their times, changed steps and the last result; `counted` sees each run's write count. */
async function noops<T>(
  up: () => Promise<{out: UpResult; s: number}>,
  counted: (before: T) => unknown,
  mark: () => Promise<T> | T,
): Promise<{changed: number; last: UpResult; times: number[]}> {
  const times: number[] = []
  let changed = 0
  let last: undefined | UpResult
  for (let i = 0; i < rounds; i++) {
    const before = await mark()
    const r = await up()
    times.push(r.s)
    await counted(before)
    changed += r.out.steps.filter((x) => x.action === 'changed').length
    last = r.out
  }

  return {changed, last: last!, times}
}

/**
 * The no-op `up` at a terminal, as a person runs it (its progress drawn), against --json in the same terminal (nothing
 * drawn): a pseudo-terminal of 120 columns from util-linux's script(1); both include script's own start.
 */
function atTerminal(cwd: string, env: NodeJS.ProcessEnv, upArgs: string[]): void {
  if (!hasScript()) {
    console.log('  at a terminal: not measured (no script(1) from util-linux)')
    return
  }

  const once = (json: boolean) => {
    const t0 = performance.now()
    const r = inTerminal(BIN, [...upArgs, ...(json ? ['--json'] : [])], {cwd, env: {...process.env, ...env}})
    if (r.status !== 0) throw new Error(`fabk8s up at a terminal exited ${r.status}: ${r.stdout}${r.stderr}`)
    return (performance.now() - t0) / 1000
  }

  const drawn: number[] = []
  const quiet: number[] = []
  // in turn, each first every other round
  for (let i = 0; i < rounds; i++)
    for (const json of i % 2 ? [true, false] : [false, true]) (json ? quiet : drawn).push(once(json))

  const [d, q] = [median(drawn), median(quiet)]
  console.log(
    `  at a terminal (script(1), 120 columns): second up ${d.toFixed(2)} s against ${q.toFixed(2)} s with --json in the same terminal (${d - q >= 0 ? '+' : ''}${((d - q) * 1000).toFixed(0)} ms to draw its progress)`,
  )
}

function report(
  title: string,
  first: number,
  again: {changed: number; last: UpResult; times: number[]},
  writes: string,
  noWrites: boolean,
): void {
  const m = median(again.times)
  const met = m <= 0.5 && noWrites && again.changed === 0
  console.log(
    `${title}: first (cold) ${first.toFixed(2)} s; second, no change: median ${m.toFixed(2)} s over ${rounds} (${(m / first).toFixed(2)}x of the first); ` +
      `${writes}, ${again.changed} changed step(s); goal <= 0.5 s and no writes (${met ? 'met' : 'NOT met'})`,
  )
  console.log(`  no-op step times (last run): ${stepTimes(again.last)}`)
}

/** On the test bed: every step of a no-op `up` for real (the real node, the Fabric network, the chaincode). */
async function onTheBed(): Promise<void> {
  const node = bedNode()
  const net = fabnet()
  if (typeof node === 'string' || typeof net === 'string') {
    console.log(`up (test bed): skipped (${typeof node === 'string' ? node : net})`)
    return
  }

  const k8s = await import('@kubernetes/client-node')
  const kc = new k8s.KubeConfig()
  kc.loadFromFile(node.kubeconfig)
  const core = kc.makeApiClient(k8s.CoreV1Api)
  const apps = kc.makeApiClient(k8s.AppsV1Api)
  const projects = new BedProjects(node, net, core, 'bench')
  const images: string[] = []
  try {
    const p = await projects.create('javascript')
    const upArgs = ['up', '--json', '--timeout', '180s', '--base-image', await nodeBaseImage()]
    const dockerNetwork = await buildNetwork()
    if (dockerNetwork) upArgs.push('--docker-network', dockerNetwork)
    const up = timedUp(() => p.fabk8s(...upArgs), images)

    const first = await up()
    const version = async () =>
      (await apps.readNamespacedDeployment({name: p.name, namespace: p.namespace})).metadata?.resourceVersion
    let rewritten = 0
    const again = await noops(up, async (before) => (rewritten += (await version()) === before ? 0 : 1), version)
    report(
      'up (test bed: real node and Fabric network, every step checked)',
      first.s,
      again,
      `Deployment rewritten in ${rewritten} run(s)`,
      rewritten === 0,
    )
    atTerminal(
      p.dir,
      p.env,
      upArgs.filter((a) => a !== '--json'),
    )
  } finally {
    await projects.cleanup()
    await cleanup({images})
  }
}
