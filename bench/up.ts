/**
 * bench/up: a second `fabk8s up` with nothing changed, against the first (cold) one, in the same run. Goal: the
 * second run makes no writes and takes under 2 s. Real Docker engine (DOCKER_HOST), two stand-in kind nodes
 * (containerd in containers), the in-repo kube API server (it counts write requests); with FABNET_ENV set the
 * register/ready steps run against the real Fabric network too (otherwise they are skipped: no network section).
 *
 *   npx tsx bench/up.ts [--rounds 5]
 *
 * Prints figures only; nothing here is asserted in tests.
 */
import {spawn} from 'node:child_process'
import {cpSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {performance} from 'node:perf_hooks'

import {
  buildNetwork,
  cleanup,
  dockerUnavailable,
  kindNodeImage,
  nodeBaseImage,
  startKindNode,
  uniq,
} from '../test/support/docker.js'
import {FakeKubeApiServer} from '../test/support/kube-api-server.js'

const ROOT = path.resolve(import.meta.dirname, '..')
const args = process.argv.slice(2)
const rounds = Number(args[args.indexOf('--rounds') + 1]) || 5

const why = await dockerUnavailable()
if (why) {
  console.log(`bench/up: skipped (${why})`)
  process.exit(0)
}

const cluster = `fabk8s-b${uniq()}`
const nodes = [`${cluster}-control-plane`, `${cluster}-worker`]
const name = `benchup${uniq()}`
const dir = mkdtempSync(path.join(tmpdir(), 'fabk8s-benchup-'))
const fake = await new FakeKubeApiServer().start()
const images: string[] = [`fabk8s-test/${name}:0.1.0`]
try {
  const nodeImg = await kindNodeImage()
  const [base, network] = await Promise.all([nodeBaseImage(), buildNetwork()])
  await Promise.all([startKindNode(nodeImg, cluster, nodes[0]), startKindNode(nodeImg, cluster, nodes[1], 'worker')])
  cpSync(path.join(ROOT, 'test', 'fixtures', 'image'), dir, {recursive: true})
  writeFileSync(
    path.join(dir, 'fabk8s.yaml'),
    [
      `name: ${name}`,
      'version: "0.1.0"',
      `image: fabk8s-test/${name}:0.1.0`,
      'kubernetes: {namespace: bench}',
      `kind: {cluster: ${cluster}}`,
      '',
    ].join('\n'),
  )
  const kubeconfig = fake.kubeconfig(path.join(dir, 'kubeconfig'))
  // async spawn: the fake API server lives in this process and must keep answering while `up` runs
  const up = async () => {
    const argv = [
      path.join(ROOT, 'bin', 'run.js'),
      'up',
      '-p',
      dir,
      '--kubeconfig',
      kubeconfig,
      '--base-image',
      base,
      '--json',
    ]
    if (network) argv.push('--docker-network', network)
    const t0 = performance.now()
    const child = spawn(process.execPath, argv, {env: {...process.env, CI: 'true'}})
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    const status = await new Promise<null | number>((resolve) => child.on('close', resolve))
    const s = (performance.now() - t0) / 1000
    const r = {status, stderr, stdout}
    if (r.status !== 0) throw new Error(`fabk8s up failed (${r.status}):\n${r.stdout}\n${r.stderr}`)
    const out = JSON.parse(r.stdout) as {image?: string; steps: {action: string; seconds: number; step: string}[]}
    if (out.image) images.push(out.image)
    return {out, s}
  }

  const first = await up()
  const times: number[] = []
  let writes = 0
  let changed = 0
  let last = first.out
  for (let i = 0; i < rounds; i++) {
    const before = fake.requests.length
    const r = await up()
    times.push(r.s)
    writes += fake.requests.slice(before).filter((q) => q.method !== 'GET').length
    changed += r.out.steps.filter((x) => x.action === 'changed').length
    last = r.out
  }

  times.sort((a, b) => a - b)
  const median = times[Math.floor(times.length / 2)]
  console.log(
    `up: first (cold) ${first.s.toFixed(2)} s; second, no change: median ${median.toFixed(2)} s over ${rounds} (${(median / first.s).toFixed(2)}x of the first); ` +
      `${writes} API write request(s), ${changed} changed step(s); goal < 2 s and no writes`,
  )
  console.log(`up: no-op step times (last run): ${last.steps.map((x) => `${x.step} ${x.seconds}s`).join(', ')}`)
} finally {
  await fake.stop()
  await cleanup({containers: nodes, images})
  rmSync(dir, {force: true, recursive: true})
}
