/**
 * bench/up: a second `fabk8s up` with nothing changed, against the first (cold) one, in the same run. Goal: the
 * second run makes no writes and takes at most 0.5 s. Real Docker engine (DOCKER_HOST), two stand-in kind nodes
 * (containerd in containers), the in-repo kube API server (it counts write requests); with FABNET_ENV set the
 * register/ready steps run against the real Fabric network too (otherwise they are skipped: no network section).
 *
 *   npx tsx bench/up.ts [--rounds 5]
 *
 * Prints figures only; nothing here is asserted in tests.
 */
import {performance} from 'node:perf_hooks'

import {runCli} from '../test/support/cli.js'
import {dockerUnavailable} from '../test/support/docker.js'
import {startUpFixture} from '../test/support/up-fixture.js'

const args = process.argv.slice(2)
const rounds = Number(args[args.indexOf('--rounds') + 1]) || 5

const why = await dockerUnavailable()
if (why) {
  console.log(`bench/up: skipped (${why})`)
  process.exit(0)
}

const fx = await startUpFixture('benchup', 'bench')
const images: string[] = []
try {
  // runCli spawns asynchronously: the fake API server lives in this process and must keep answering
  const up = async () => {
    const t0 = performance.now()
    const r = await runCli(fx.upArgs('--json'))
    const s = (performance.now() - t0) / 1000
    if (r.code !== 0) throw new Error(`fabk8s up failed (${r.code}):\n${r.stdout}\n${r.stderr}`)
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
    const before = fx.fake.requests.length
    const r = await up()
    times.push(r.s)
    writes += fx.writes(before).length
    changed += r.out.steps.filter((x) => x.action === 'changed').length
    last = r.out
  }

  times.sort((a, b) => a - b)
  const median = times[Math.floor(times.length / 2)]
  console.log(
    `up: first (cold) ${first.s.toFixed(2)} s; second, no change: median ${median.toFixed(2)} s over ${rounds} (${(median / first.s).toFixed(2)}x of the first); ` +
      `${writes} API write request(s), ${changed} changed step(s); goal <= 0.5 s and no writes (${median <= 0.5 ? "met" : "NOT met"})`,
  )
  console.log(`up: no-op step times (last run): ${last.steps.map((x) => `${x.step} ${x.seconds}s`).join(', ')}`)
} finally {
  await fx.stop(images)
}
