#!/usr/bin/env node
// `fabk8s register` (2 orgs, fresh chaincode: package, install ×2, approve ×2, commit) against the same steps with
// the peer CLI (calculatepackageid, install ×2, approveformyorg ×2, commit; a typical script, one process each),
// on the fabnet network, in the same run. Prints medians and the ratio; the goal is at most 0.5. Not a test.
// Needs: dist/ (npx tsc), FABNET_ENV or FABNET_* (source "$(bash test/bed/bed.sh env)"), FABRIC_BIN, FABRIC_CFG.
import {execFileSync, spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const bin = path.join(root, 'bin', 'run.js')
const env = {...process.env}
if (!env.FABNET_ORG1_PEER_ADDRESS && env.FABNET_ENV && existsSync(env.FABNET_ENV))
  for (const line of readFileSync(env.FABNET_ENV, 'utf8').split('\n')) {
    const m = /^export ([A-Z0-9_]+)="?([^"]*)"?$/.exec(line.trim())
    if (m) env[m[1]] = m[2]
  }

const peer = env.FABRIC_BIN ? path.join(env.FABRIC_BIN, 'peer') : ''
const ready = Boolean(env.FABNET_ORG1_PEER_ADDRESS) && existsSync(peer) && existsSync(path.join(root, 'dist'))
if (!ready) {
  console.log('bench/lifecycle: skipped (needs FABNET_ENV/FABNET_*, FABRIC_BIN with peer, and dist/; see test/bed)')
}

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

function project(name) {
  const dir = mkdtempSync(path.join(tmpdir(), 'fabk8s-bench-'))
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
  fn()
  return Number(process.hrtime.bigint() - t) / 1e6
}

function fabk8s() {
  const dir = project(fresh())
  return timed(() => {
    const r = spawnSync(process.execPath, [bin, 'register', '--json'], {
      cwd: dir,
      encoding: 'utf8',
      env: {...env, CI: 'true'},
    })
    if (r.status !== 0) throw new Error(`fabk8s register exited ${r.status}: ${r.stdout}${r.stderr}`)
  })
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
  })
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

function main() {
  const a = []
  const b = []
  fabk8s() // warm-up (page cache, peer connections)
  for (let i = 0; i < runs; i++) {
    a.push(fabk8s())
    b.push(peerCli())
  }

  const fa = median(a)
  const fb = median(b)
  console.log(
    `lifecycle: fabk8s register ${fa.toFixed(0)} ms; peer CLI (6 processes) ${fb.toFixed(0)} ms; ratio ${(fa / fb).toFixed(2)} (median of ${runs}; goal <= 0.5)`,
  )
}

if (ready) main()
