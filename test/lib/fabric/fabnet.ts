import type {Context} from 'mocha'

/**
 * The real network for integration tests: FABNET_* variables (from `source "$(bash test/bed/bed.sh env)"`, or
 * FABNET_ENV naming fabnet's env file) → a fabk8s.yaml `network` section. `fabnetOrSkip` prints why it skips.
 */
import {execFileSync} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {createServer} from 'node:net'
import {tmpdir} from 'node:os'
import path from 'node:path'

import type {NetworkConfig} from '../../../src/lib/project/schema.js'

export interface Fabnet {
  channel: string
  env: Record<string, string>
  ordererAddress: string
  ordererCA: string
  orgs: {adminMsp: string; mspId: string; peerAddress: string; peerCA: string; userMsp: string}[]
}

function readEnvFile(file: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^export ([A-Z0-9_]+)="?([^"]*)"?$/.exec(line.trim())
    if (m) out[m[1]] = m[2]
  }

  return out
}

/** The network, or the reason there is none. */
export function fabnet(): Fabnet | string {
  let env: Record<string, string> = {}
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v
  if (!env.FABNET_ORG1_PEER_ADDRESS && env.FABNET_ENV) {
    if (!existsSync(env.FABNET_ENV))
      return `FABNET_ENV=${env.FABNET_ENV} does not exist (is the network up? bash test/bed/bed.sh up fabric)`
    env = {...env, ...readEnvFile(env.FABNET_ENV)}
  }

  return fabnetFrom(env)
}

/** FABNET_* variables → the network, or what is missing. */
function fabnetFrom(env: Record<string, string>): Fabnet | string {
  if (!env.FABNET_ORG1_PEER_ADDRESS || !env.FABNET_ORG2_PEER_ADDRESS)
    return 'no Fabric network: FABNET_ORG1_PEER_ADDRESS / FABNET_ENV not set (run `bash test/bed/bed.sh up fabric` and `source "$(bash test/bed/bed.sh env)"`)'
  if (!existsSync(env.FABNET_ORG1_ADMIN_MSP ?? ''))
    return `FABNET_ORG1_ADMIN_MSP=${env.FABNET_ORG1_ADMIN_MSP} does not exist (stale env file?)`
  const org = (n: number) => ({
    adminMsp: env[`FABNET_ORG${n}_ADMIN_MSP`],
    mspId: env[`FABNET_ORG${n}_MSPID`],
    peerAddress: env[`FABNET_ORG${n}_PEER_ADDRESS`],
    peerCA: env[`FABNET_ORG${n}_PEER_TLS_CA`],
    userMsp: env[`FABNET_ORG${n}_USER_MSP`],
  })
  return {
    channel: env.FABNET_CHANNEL ?? 'mychannel',
    env,
    ordererAddress: env.FABNET_ORDERER_ADDRESS,
    ordererCA: env.FABNET_ORDERER_TLS_CA,
    orgs: [org(1), org(2)],
  }
}

/** In a mocha hook/test: the network, or print why and skip. */
export function fabnetOrSkip(ctx: Context): Fabnet {
  const f = fabnet()
  if (typeof f === 'string') {
    console.log(`      skipped: ${f}`)
    ctx.skip()
  }

  return f as Fabnet
}

/** YAML for fabk8s.yaml `network`, optionally with overrides per org. */
export function networkYaml(
  f: Fabnet,
  o: {
    orgs?: (Partial<{hostnameOverride: string; mspPath: string; peerAddress: string; peerCA: string}> | undefined)[]
  } = {},
): string {
  const lines = [
    'network:',
    `  channel: ${f.channel}`,
    '  orderer:',
    `    address: ${f.ordererAddress}`,
    `    tlsCACert: ${f.ordererCA}`,
    '  orgs:',
  ]
  for (const [i, org] of f.orgs.entries()) {
    const ov = o.orgs?.[i] ?? {}
    lines.push(
      `    - mspId: ${org.mspId}`,
      `      mspPath: ${ov.mspPath ?? org.adminMsp}`,
      '      peers:',
      `        - address: ${ov.peerAddress ?? org.peerAddress}`,
      `          tlsCACert: ${ov.peerCA ?? org.peerCA}`,
      ...(ov.hostnameOverride ? [`          hostnameOverride: ${ov.hostnameOverride}`] : []),
    )
  }

  return lines.join('\n') + '\n'
}

/** A chaincode name no earlier run has used on the long-lived network (`prefix` tells the test files' names apart). */
export const uniqueName = (prefix = 't'): string =>
  `${prefix}${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`

/** A temporary project folder with a fabk8s.yaml for chaincode `name` on the network. */
export function tempProject(
  f: Fabnet,
  opts: {address?: string; extra?: string; name: string; network?: string; version?: string},
): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'fabk8s-lc-'))
  writeFileSync(
    path.join(dir, 'fabk8s.yaml'),
    [
      `name: ${opts.name}`,
      `version: "${opts.version ?? '1.0'}"`,
      'chaincode:',
      `  address: ${opts.address ?? '127.0.0.1:9999'}`,
      '  tls: false',
      opts.extra ?? '',
      opts.network ?? networkYaml(f),
    ].join('\n'),
  )
  return dir
}

/**
 * A temporary project whose network is never reached (ports on 127.0.0.1 nothing listens on, files that are not
 * there): for what a command checks before any identity or connection. Orgs Org1MSP (peer 127.0.0.1:2) and Org2MSP
 * (peer 127.0.0.1:3); `extra` is YAML put before the network section.
 */
export function offlineProject(extra = ''): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'fabk8s-offline-'))
  writeFileSync(
    path.join(dir, 'fabk8s.yaml'),
    [
      'name: pk',
      'version: "2.0"',
      'chaincode:',
      '  address: pk.fabk8s.svc.cluster.local:9999',
      '  tls: false',
      extra,
      'network:',
      '  channel: ch',
      '  orderer: {address: "127.0.0.1:1", tlsCACert: ca.pem}',
      '  orgs:',
      '    - mspId: Org1MSP',
      '      mspPath: msp1',
      '      peers: [{address: "127.0.0.1:2", tlsCACert: ca.pem}]',
      '    - mspId: Org2MSP',
      '      mspPath: msp2',
      '      peers: [{address: "127.0.0.1:3", tlsCACert: ca.pem}]',
      '',
    ].join('\n'),
  )
  return dir
}

/** The network as fabk8s.yaml's `network` section parses it (for lib tests that open a FabricSession). */
export function networkConfig(
  f: Fabnet,
  o: {orderer?: Partial<{address: string; tlsCACert: string}>; orgs?: (Partial<{mspPath: string}> | undefined)[]} = {},
): NetworkConfig {
  return {
    channel: f.channel,
    orderer: {address: o.orderer?.address ?? f.ordererAddress, tlsCACert: o.orderer?.tlsCACert ?? f.ordererCA},
    orgs: f.orgs.map((org, i) => ({
      mspId: org.mspId,
      mspPath: o.orgs?.[i]?.mspPath ?? org.adminMsp,
      peers: [{address: org.peerAddress, tlsCACert: org.peerCA}],
    })),
  }
}

/** Ports a fabnet instance at `base` listens on (see the fabnet script's header). */
function fabnetPorts(base: number): number[] {
  return [50, 51, 52, 53, 443, 444, 445, 2051, 2052].map((o) => base + o)
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer()
    srv.once('error', () => resolve(false))
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)))
  })
}

export interface OwnFabnet {
  down(): void
  fabnet: Fabnet
}

/**
 * A fabnet network of our own (not the bed's), started fresh: for tests that need a network that has just started
 * or one without anchor peers. Needs FABNET_SCRIPT, FABRIC_BIN, FABRIC_CFG and CCAAS_BUILDER (the bed's env file).
 * Picks a port base whose ports are all free. `down()` stops it and deletes its folder.
 */
export async function startOwnFabnet(
  ctx: Context,
  o: {anchorPeers: boolean; env?: Record<string, string>; gossipSettle: boolean},
): Promise<OwnFabnet> {
  const script = process.env.FABNET_SCRIPT
  const missing = ['FABNET_SCRIPT', 'FABRIC_BIN', 'FABRIC_CFG', 'CCAAS_BUILDER'].filter((k) => !process.env[k])
  if (missing.length > 0 || !existsSync(script ?? '')) {
    console.log(
      `      skipped: cannot start a fabnet of our own (${missing.join(', ') || script} missing; source the bed env file)`,
    )
    ctx.skip()
  }

  let base: number | undefined
  for (const candidate of [27_000, 28_000, 26_000, 25_000, 24_000]) {
    const free = await Promise.all(fabnetPorts(candidate).map((p) => portFree(p)))
    if (free.every(Boolean)) {
      base = candidate
      break
    }
  }

  if (base === undefined) {
    console.log(
      '      skipped: no free port base for a fabnet of our own (27000, 28000, 26000, 25000, 24000 all in use)',
    )
    ctx.skip()
  }

  const dir = mkdtempSync(path.join(tmpdir(), 'fabk8s-fabnet-'))
  const env = {
    ...process.env,
    FABNET_ANCHOR_PEERS: o.anchorPeers ? '1' : '0',
    FABNET_DIR: path.join(dir, 'net'),
    FABNET_GOSSIP_SETTLE: o.gossipSettle ? '1' : '0',
    FABNET_PORT_BASE: String(base),
    ...o.env,
  }
  const down = () => {
    try {
      execFileSync(script!, ['down'], {env, stdio: 'ignore'})
    } catch {}

    rmSync(dir, {force: true, recursive: true})
  }

  try {
    const file = execFileSync(script!, ['up'], {encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'pipe']}).trim()
    const vars = readEnvFile(file.split('\n').at(-1)!)
    const f = fabnetFrom(vars)
    if (typeof f === 'string') throw new Error(f)
    return {down, fabnet: f}
  } catch (error) {
    down()
    throw error
  }
}

/** The peer CLI (the bed's FABRIC_BIN) as the admin of org 0 or 1, against its peer over TLS: what another company runs. */
export function peerCli(f: Fabnet, org: 0 | 1, args: string[]): string {
  const o = f.orgs[org]
  return execFileSync(path.join(process.env.FABRIC_BIN!, 'peer'), args, {
    encoding: 'utf8',
    env: {
      ...process.env,
      CORE_PEER_ADDRESS: o.peerAddress,
      CORE_PEER_LOCALMSPID: o.mspId,
      CORE_PEER_MSPCONFIGPATH: o.adminMsp,
      CORE_PEER_TLS_ENABLED: 'true',
      CORE_PEER_TLS_ROOTCERT_FILE: o.peerCA,
      FABRIC_CFG_PATH: process.env.FABRIC_CFG ?? process.env.FABRIC_CFG_PATH,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
}
