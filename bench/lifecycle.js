#!/usr/bin/env node
// `fabk8s register` (2 orgs, fresh chaincode: package, install ×2, approve ×2, commit) against its baselines, all
// measured in the same run on the fabnet network:
//   - the peer CLI doing the same steps (calculatepackageid, install ×2, approveformyorg ×2, commit; one process
//     each, as a typical script does);
//   - the floor: a bare `node -e 0` start plus two block cuts (both approvals in one block, then the commit), each
//     the orderer's BatchTimeout (BENCH_BATCH_TIMEOUT_MS, fabnet's 200 ms);
//   - the goals: 600 ms wall, process start included; and, on any machine, at most 50 ms above the floor (the
//     issue's 0.6 s against the 0.55 s floor it measured).
// And against register's library alone (bench/_register-library.js: the same task list with no CLI around it, bundled
// and code-cached as the CLI is): what the CLI itself adds, and how far above the floor the library's own work is.
// Also a second, no-op register (everything in place) against `node -e 0`, register at a terminal (its progress drawn)
// against --json in the same terminal, and where register's time goes (its --verbose milestones, medians over the
// runs). Prints figures only; nothing here is asserted in tests.
// Needs: dist/ (npm run build), FABNET_ENV or FABNET_* (source "$(bash test/bed/bed.sh env)"), FABRIC_BIN, FABRIC_CFG.
import {execFileSync, spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {asciiOnly, importCalls} from '../scripts/_bundle-text.js'
import {hasScript, inTerminal} from '../test/support/terminal.js'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
// BENCH_FABK8S_BIN: another build's bin/run.js (e.g. main's, for a before/after in the same conditions)
const bin = process.env.BENCH_FABK8S_BIN ?? path.join(root, 'bin', 'run.js')
const env = {...process.env}
if (!env.FABNET_ORG1_PEER_ADDRESS && env.FABNET_ENV && existsSync(env.FABNET_ENV))
  for (const line of readFileSync(env.FABNET_ENV, 'utf8').split('\n')) {
    const m = /^export ([A-Z0-9_]+)="?([^"]*)"?$/.exec(line.trim())
    if (m) env[m[1]] = m[2]
  }

const peer = env.FABRIC_BIN ? path.join(env.FABRIC_BIN, 'peer') : ''
const ready =
  Boolean(env.FABNET_ORG1_PEER_ADDRESS) && existsSync(peer) && existsSync(path.join(bin, '..', '..', 'dist'))
if (!ready) {
  console.log('bench/lifecycle: skipped (needs FABNET_ENV/FABNET_*, FABRIC_BIN with peer, and dist/; see test/bed)')
}

const GOAL_MS = 600
// The issue set 0.6 s against the ≈ 0.55 s floor it measured (a slower machine): 50 ms above the floor. On a faster
// machine the floor is lower and 0.6 s leaves more, so the margin is the goal that does not depend on the machine.
const MARGIN_GOAL_MS = 50
const batchTimeout = Number(env.BENCH_BATCH_TIMEOUT_MS ?? 200)
const orgs = [1, 2].map((n) => ({
  ca: env[`FABNET_ORG${n}_PEER_TLS_CA`],
  msp: env[`FABNET_ORG${n}_ADMIN_MSP`],
  mspId: env[`FABNET_ORG${n}_MSPID`],
  peer: env[`FABNET_ORG${n}_PEER_ADDRESS`],
}))
const channel = env.FABNET_CHANNEL ?? 'mychannel'
const runs = Number(env.BENCH_RUNS ?? 5)
let seq = 0
const fresh = () => `bench${Date.now().toString(36)}${seq++}`

// every folder this bench makes, removed when it ends
const made = []
process.once('exit', () => {
  for (const dir of made) rmSync(dir, {force: true, recursive: true})
})
const tempDir = (prefix) => {
  const dir = mkdtempSync(path.join(tmpdir(), prefix))
  made.push(dir)
  return dir
}

function project(name) {
  const dir = tempDir('fabk8s-bench-')
  const net = orgs
    .map(
      (o) =>
        `    - mspId: ${o.mspId}\n      mspPath: ${o.msp}\n      peers:\n        - address: ${o.peer}\n          tlsCACert: ${o.ca}`,
    )
    .join('\n')
  writeFileSync(
    path.join(dir, 'fabk8s.yaml'),
    `name: ${name}\nversion: "1.0"\nchaincode:\n  address: 127.0.0.1:9999\n  tls: false\nnetwork:\n  channel: ${channel}\n  orderer:\n    address: ${env.FABNET_ORDERER_ADDRESS}\n    tlsCACert: ${env.FABNET_ORDERER_TLS_CA}\n  orgs:\n${net}\n`,
  )
  return dir
}

function timed(fn) {
  const t = process.hrtime.bigint()
  const out = fn()
  return {ms: Number(process.hrtime.bigint() - t) / 1e6, out}
}

/** One register in a fresh project (and, when `again`, a second no-op one): wall times and its milestones. */
function fabk8s(again = false) {
  const dir = project(fresh())
  const run = () =>
    timed(() => {
      const r = spawnSync(process.execPath, [bin, 'register', '--json', '--verbose'], {
        cwd: dir,
        encoding: 'utf8',
        env: {...env, CI: 'true'},
      })
      if (r.status !== 0) throw new Error(`fabk8s register exited ${r.status}: ${r.stdout}${r.stderr}`)
      return JSON.parse(r.stdout)
    })
  const first = run()
  return {first, noop: again ? run() : undefined}
}

/**
 * bench/_register-library.js bundled into a temporary folder as scripts/bundle.js bundles the CLI (its text made ASCII,
 * as the build does), with a launcher that loads it as bin/run.js loads the CLI (bin/load-bundle.cjs, a V8 code cache
 * written by its first run); its code caches go to that folder. Returns run(): a register by the library alone in a
 * fresh project, and warm(): the time of a register in a process that has already done one.
 */
async function libraryAlone() {
  const {build} = await import('esbuild')
  const dir = tempDir('fabk8s-bench-library-')
  const bundle = path.join(dir, 'register-library.cjs')
  const built = await build({
    bundle: true,
    entryPoints: [path.join(root, 'bench', '_register-library.js')],
    format: 'cjs',
    keepNames: true,
    logLevel: 'warning',
    minifySyntax: true,
    minifyWhitespace: true,
    outfile: bundle,
    platform: 'node',
    target: 'node20',
    write: false,
  })
  // as the build's bundles are written (scripts/vendor-kube.js): load-bundle.cjs reads a bundle as latin1, and a script
  // compiled from a code cache cannot make an import() call
  const code = asciiOnly(built.outputFiles[0].text)
  if (importCalls(code).length > 0) throw new Error('bench/lifecycle: the library bundle makes an import() call')
  writeFileSync(bundle, code)
  const launcher = path.join(dir, 'launcher.cjs')
  writeFileSync(
    launcher,
    [
      'const first = {cpu: process.cpuUsage(), uptime: process.uptime()}',
      `require(${JSON.stringify(path.join(root, 'bin', 'load-bundle.cjs'))}).loadCached(${JSON.stringify(bundle)}, 'register').main(first, process.argv.slice(2))`,
    ].join('\n'),
  )
  const spawn = (args, cwd) => {
    const r = spawnSync(process.execPath, [launcher, ...args], {
      cwd,
      encoding: 'utf8',
      env: {...env, XDG_CACHE_HOME: dir},
    })
    if (r.status !== 0) throw new Error(`register by the library alone exited ${r.status}: ${r.stdout}${r.stderr}`)
    return JSON.parse(r.stdout)
  }

  return {
    run() {
      const cwd = project(fresh())
      return timed(() => spawn([], cwd))
    },
    // two registers in one process: the second's time, its code loaded and warm (a resident process's best case)
    warm: () => spawn([project(fresh()), project(fresh())], root).ms[1],
  }
}

function peerCli() {
  const name = fresh()
  const dir = project(name)
  // the package file itself (fabk8s builds it; a script would tar it): not timed here, while register's time includes building it
  const pkg = JSON.parse(
    execFileSync(process.execPath, [bin, 'lifecycle', 'package', '--json', '-o', dir], {cwd: dir, encoding: 'utf8'}),
  )
  const as = (o) => ({
    ...env,
    CORE_PEER_ADDRESS: o.peer,
    CORE_PEER_LOCALMSPID: o.mspId,
    CORE_PEER_MSPCONFIGPATH: o.msp,
    CORE_PEER_TLS_ENABLED: 'true',
    CORE_PEER_TLS_ROOTCERT_FILE: o.ca,
    FABRIC_CFG_PATH: env.FABRIC_CFG ?? env.FABRIC_CFG_PATH,
  })
  const run = (o, args) => execFileSync(peer, args, {env: as(o), stdio: 'pipe'})
  const tls = [
    '-o',
    env.FABNET_ORDERER_ADDRESS,
    '--tls',
    '--cafile',
    env.FABNET_ORDERER_TLS_CA,
    '-C',
    channel,
    '-n',
    name,
    '-v',
    '1.0',
    '--sequence',
    '1',
  ]
  return timed(() => {
    const id = execFileSync(peer, ['lifecycle', 'chaincode', 'calculatepackageid', pkg.file], {
      encoding: 'utf8',
      env: as(orgs[0]),
    }).trim()
    for (const o of orgs) run(o, ['lifecycle', 'chaincode', 'install', pkg.file])
    for (const o of orgs) run(o, ['lifecycle', 'chaincode', 'approveformyorg', ...tls, '--package-id', id])
    run(orgs[0], [
      'lifecycle',
      'chaincode',
      'commit',
      ...tls,
      ...orgs.flatMap((o) => ['--peerAddresses', o.peer, '--tlsRootCertFiles', o.ca]),
    ])
  }).ms
}

/**
 * register at a terminal, as a person runs it (listr2's renderer drawing progress), against --json in the same
 * terminal (nothing drawn): a pseudo-terminal of 120 columns from util-linux's script(1). Both include script's own
 * start. null when there is no script(1).
 */
function terminal() {
  if (!hasScript()) return null
  const once = (json) => {
    const dir = project(fresh())
    return timed(() => {
      const r = inTerminal(bin, ['register', ...(json ? ['--json'] : [])], {cwd: dir, env})
      if (r.status !== 0) throw new Error(`fabk8s register at a terminal exited ${r.status}: ${r.stdout}${r.stderr}`)
    }).ms
  }

  const drawn = []
  const json = []
  // in turn, each first every other round (a run can slow the next one: the peers are still building its install)
  for (let i = 0; i < runs; i++) for (const j of i % 2 ? [true, false] : [false, true]) (j ? json : drawn).push(once(j))

  return {drawn: median(drawn), json: median(json)}
}

function nodeStart() {
  return timed(() => spawnSync(process.execPath, ['-e', '0'], {stdio: 'ignore'})).ms
}

// The least any Node client does before its first Fabric message: load node:http2 and open a TLS session to each peer
// and the orderer (as src/lib/fabric/grpc.ts opens them), then exit. Nothing of fabk8s, no file but the CA certificates.
const BARE_CLIENT = `
const http2 = require('node:http2'), fs = require('node:fs')
const ends = JSON.parse(process.argv[1])
let left = ends.length
for (const [address, ca] of ends)
  http2
    .connect('https://' + address, {ca: fs.readFileSync(ca)})
    .on('connect', () => --left === 0 && process.exit(0))
    .on('error', (e) => { console.error(address + ': ' + e.message); process.exit(1) })
`
const endpoints = JSON.stringify([
  ...orgs.map((o) => [o.peer, o.ca]),
  [env.FABNET_ORDERER_ADDRESS, env.FABNET_ORDERER_TLS_CA],
])

function bareClient() {
  const r = timed(() => spawnSync(process.execPath, ['-e', BARE_CLIENT, endpoints], {encoding: 'utf8'}))
  if (r.out.status !== 0) throw new Error(`the bare Node client exited ${r.out.status}: ${r.out.stderr}`)
  return r.ms
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const f0 = (x) => x.toFixed(0)

/** Milestones → phases: the time from one group of milestones to the next, medians over the runs. */
const PHASES = [
  ["node's own start (to fabk8s's first line)", /^node ready/],
  ['CLI code loaded (bundle, code cache)', /^CLI code loaded/],
  ['command parsed (oclif: config, flags)', /^command parsed/],
  ['fabk8s.yaml read', /^fabk8s\.yaml read/],
  ["register's modules loaded", /^register: start/],
  ['package built', /^package built/],
  ['planned (committed definition, approvals)', /^planned/],
  ['approvals endorsed and broadcast', /^approve \S+: ordered/],
  ['approvals committed (block cut 1)', /^approve \S+: committed/],
  ['commit endorsed and broadcast', /^commit: ordered/],
  ['commit committed (block cut 2)', /^commit: committed/],
  ['done (installs awaited, connections closed)', /^register: done/],
]

function phases(timings) {
  let prev = 0
  let prevCpu = 0
  const out = []
  for (const [label, re] of PHASES) {
    const hits = timings.filter((t) => re.test(t.step))
    if (hits.length === 0) continue
    const at = Math.max(...hits.map((h) => h.ms))
    const cpu = Math.max(...hits.map((h) => h.cpu ?? 0))
    out.push([label, at - prev, at, cpu - prevCpu])
    prev = at
    prevCpu = cpu
  }

  return out
}

/** ms since process start when the last approval was handed to the orderer (a run's own milestones). */
const broadcastAt = (timings = []) =>
  Math.max(...timings.filter((t) => /^approve \S+: ordered/.test(t.step)).map((t) => t.ms))

async function main() {
  const library = await libraryAlone()
  fabk8s() // warm-up (page cache, peer connections)
  library.run() // warm-up, and its code cache written
  const reg = []
  const lib = []
  const regSent = []
  const libSent = []
  const warm = []
  const noop = []
  const cli = []
  const node = []
  const bare = []
  const breakdown = new Map()
  // the library alone's milestones: when each phase ended (the CLI's own phases, oclif and the command, have none)
  const libAt = new Map()
  for (let i = 0; i < runs; i++) {
    node.push(nodeStart())
    bare.push(bareClient())
    // in turn, each first every other round (a run can slow the next one: the peers are still building its install)
    let l
    if (i % 2) l = library.run()
    const r = fabk8s(true)
    l ??= library.run()
    warm.push(library.warm())
    reg.push(r.first.ms)
    lib.push(l.ms)
    regSent.push(broadcastAt(r.first.out.timings))
    libSent.push(broadcastAt(l.out.timings))
    noop.push(r.noop.ms)
    for (const [label, ms, at, cpu] of phases(r.first.out.timings ?? []))
      breakdown.set(label, [...(breakdown.get(label) ?? []), [ms, at, cpu]])
    for (const [label, , at] of phases(l.out.timings ?? [])) libAt.set(label, [...(libAt.get(label) ?? []), at])
    cli.push(peerCli())
  }

  const [fa, fn, fc, fnode, fl] = [median(reg), median(noop), median(cli), median(node), median(lib)]
  const floor = fnode + 2 * batchTimeout
  console.log(`lifecycle (median of ${runs} runs; BatchTimeout ${batchTimeout} ms):`)
  console.log(
    `  register (fresh)   ${f0(fa).padStart(5)} ms   goal <= ${GOAL_MS} ms: ${fa <= GOAL_MS ? 'met' : 'NOT met'}`,
  )
  console.log(
    `    vs floor          ${f0(floor).padStart(5)} ms   (node -e 0 ${f0(fnode)} ms + 2 x BatchTimeout): ${(fa / floor).toFixed(2)}x the floor`,
  )
  console.log(
    `    above the floor   ${f0(fa - floor).padStart(5)} ms   goal <= ${MARGIN_GOAL_MS} ms (the issue's 0.6 s over its 0.55 s floor, on any machine): ${fa - floor <= MARGIN_GOAL_MS ? 'met' : 'NOT met'}`,
  )
  console.log(
    `    vs peer CLI       ${f0(fc).padStart(5)} ms   (6 processes): ratio ${(fa / fc).toFixed(2)} (lower is better)`,
  )
  console.log(
    `    vs library alone  ${f0(fl).padStart(5)} ms   (the same task list, no CLI: bench/_register-library.js): the CLI adds ${f0(fa - fl)} ms (fastest runs: ${f0(Math.min(...reg))} against ${f0(Math.min(...lib))} ms); approvals sent at ${f0(median(regSent))} ms against ${f0(median(libSent))} ms`,
  )
  console.log(
    `      library above the floor ${f0(fl - floor).padStart(3)} ms   ${fl - floor > MARGIN_GOAL_MS ? `over the ${MARGIN_GOAL_MS} ms margin before the CLI adds anything` : `within the ${MARGIN_GOAL_MS} ms margin`}`,
  )
  const fw = median(warm)
  console.log(
    `    in a warm process ${f0(fw).padStart(5)} ms   (the library's second register in one process: code loaded and warm, connections new): 2 x BatchTimeout + ${f0(fw - 2 * batchTimeout)} ms`,
  )
  console.log(
    `      with a client's bare start ${f0(fw + fnode).padStart(4)} ms   (+ node -e 0: a resident process's best case): ${f0(fw + fnode - floor)} ms above the floor`,
  )
  const fb = median(bare)
  console.log(
    `    a bare Node client ${f0(fb).padStart(4)} ms   (node:http2 and TLS sessions to the ${orgs.length} peers and the orderer, then exit: no fabk8s, no Fabric message): ${f0(fb - fnode)} ms of the ${MARGIN_GOAL_MS} ms margin spent before a client's first query`,
  )
  console.log(
    `  register (no-op)   ${f0(fn).padStart(5)} ms   vs node -e 0 ${f0(fnode)} ms: ${(fn / fnode).toFixed(2)}x (queries only, nothing sent)`,
  )
  const tty = terminal()
  console.log(
    tty
      ? `  register at a terminal ${f0(tty.drawn).padStart(3)} ms   vs --json in the same terminal ${f0(tty.json)} ms: ${tty.drawn - tty.json >= 0 ? '+' : ''}${f0(tty.drawn - tty.json)} ms to draw its progress (script(1), 120 columns)`
      : '  register at a terminal: not measured (no script(1) from util-linux)',
  )
  console.log(
    '  where register (fresh) spends its time (medians: wall ms of each phase, ms since process start at its end, and the CPU ms the process used in it; then when the library alone ended the same phase):',
  )
  for (const [label, xs] of breakdown) {
    const lib = libAt.get(label)
    console.log(
      `    ${label.padEnd(46)} +${f0(median(xs.map((x) => x[0]))).padStart(5)} ms  (at ${f0(median(xs.map((x) => x[1]))).padStart(5)} ms; cpu ${f0(median(xs.map((x) => x[2]))).padStart(4)} ms)${lib ? `  library alone at ${f0(median(lib)).padStart(5)} ms` : ''}`,
    )
  }
}

if (ready) await main()
