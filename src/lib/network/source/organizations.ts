/**
 * An `organizations/` folder as cryptogen and fabric-samples' test-network write it (cryptogen or Fabric CA), and
 * as the test bed's fabnet writes it:
 *
 *   peerOrganizations/<domain>/peers/<peer>/tls/{ca.crt,server.crt}
 *   peerOrganizations/<domain>/tlsca/tlsca.<domain>-cert.pem
 *   peerOrganizations/<domain>/users/Admin@<domain>/msp/{signcerts,keystore}
 *   peerOrganizations/<domain>/connection-<org>.{json,yaml}        (test-network: the peer's url and the MSP ID)
 *   ordererOrganizations/<domain>/orderers/<orderer>/tls/ca.crt, …/tlsca/tlsca.<domain>-cert.pem
 *
 * The folder tree carries no ports and no MSP IDs. Ports come from the org's connection profile when there is one,
 * else from test-network's well-known host ports (peer0.org1 7051, peer0.org2 9051, orderer 7050) on localhost;
 * MSP IDs from the profile, else from the folder name the way test-network names them (org1.example.com → Org1MSP).
 */
import {existsSync} from 'node:fs'
import {readdir, readFile} from 'node:fs/promises'
import path from 'node:path'

import type {ImportedEndpoint, ImportedIdentity, ImportedNetwork, ImportedOrg} from '../model.js'

import {FabError} from '../../errors.js'
import {WELL_KNOWN_PORTS} from '../model.js'
import {certInfo, certProblem} from '../pem.js'
import {readProfile} from './profile.js'

/**
 * test-network's peers run with CHAINCODE_AS_A_SERVICE_BUILDER_CONFIG {"peername":"peer0org1"} for
 * peer0.org1.example.com (its compose files; the bed's fabnet the same): the first two labels joined.
 */
export function testNetworkPeername(peer: string): string | undefined {
  const [a, b] = peer.toLowerCase().split('.')
  const name = `${a}${b ?? ''}`
  return /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name) ? name : undefined
}

export interface OrganizationsOptions {
  /** Host for the well-known ports (default localhost). */
  host?: string
}

/** The sorted sub-folders of `dir` (none when it does not exist). */
export async function subdirs(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, {withFileTypes: true}))
      .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
      .map((e) => e.name)
      .sort()
  } catch {
    return []
  }
}

/** The first of `candidates` that exists and holds a certificate. */
async function certFile(candidates: string[], what: string): Promise<string> {
  for (const c of candidates) {
    if (!existsSync(c)) continue
    const problem = certProblem(await readFile(c, 'utf8'))
    if (problem) throw new FabError('USAGE', `${c}: ${problem} (${what})`)
    return c
  }

  throw new FabError('USAGE', `no ${what}: none of ${candidates.join(', ')} exists`, {
    hint: 'is this a complete organizations/ folder (cryptogen or test-network)?',
  })
}

/** test-network's MSP ID for a domain: org1.example.com → Org1MSP; the orderer org is OrdererMSP. */
export function mspIdFor(domain: string, orderer = false): string {
  if (orderer) return 'OrdererMSP'
  const first = domain.split('.')[0]
  return `${first.charAt(0).toUpperCase()}${first.slice(1)}MSP`
}

/** An MSP folder that looks usable (a certificate in signcerts/, a file in keystore/). */
export function isMspDir(dir: string): boolean {
  return existsSync(path.join(dir, 'signcerts')) && existsSync(path.join(dir, 'keystore'))
}

async function adminMsp(orgDir: string, domain: string): Promise<ImportedIdentity | undefined> {
  const users = path.join(orgDir, 'users')
  const names = await subdirs(users)
  const admin = names.includes(`Admin@${domain}`) ? `Admin@${domain}` : names.find((n) => /^admin/i.test(n))
  if (!admin || !isMspDir(path.join(users, admin, 'msp'))) return undefined
  return {from: `users/${admin}/msp`, kind: 'msp', mspPath: path.join(users, admin, 'msp')}
}

/** The host of an address is in the certificate, or the node's own name is (then that is the override). */
async function override(serverCrt: string, address: string, name: string): Promise<string | undefined> {
  if (!existsSync(serverCrt)) return undefined
  let sans: string[]
  try {
    sans = certInfo(await readFile(serverCrt)).sans
  } catch {
    return undefined
  }

  const host = address.replace(/:\d+$/, '')
  if (sans.includes(host)) return undefined
  return sans.includes(name) ? name : undefined
}

async function orgProfile(orgDir: string): Promise<ImportedNetwork | undefined> {
  const names = (await readdir(orgDir)).filter((n) => /^connection.*\.(json|ya?ml)$/.test(n)).sort()
  // test-network writes both connection-org1.json and .yaml with the same content: the JSON is enough
  const file = names.find((n) => n.endsWith('.json')) ?? names[0]
  return file ? readProfile(path.join(orgDir, file)) : undefined
}

function wellKnown(name: string, host: string): {address: string; addressFrom: string} {
  const port = WELL_KNOWN_PORTS[name]
  return port
    ? {address: `${host}:${port}`, addressFrom: `test-network's port for ${name}`}
    : {address: '', addressFrom: 'unknown'}
}

/** `dir` itself, or its organizations/ subfolder, when it holds peerOrganizations/. */
export function organizationsRoot(dir: string): string | undefined {
  if (existsSync(path.join(dir, 'peerOrganizations'))) return dir
  if (existsSync(path.join(dir, 'organizations', 'peerOrganizations'))) return path.join(dir, 'organizations')
  return undefined
}

export async function readOrganizations(dir: string, opts: OrganizationsOptions = {}): Promise<ImportedNetwork> {
  const root = organizationsRoot(dir)
  if (!root) throw new FabError('USAGE', `${dir}: no peerOrganizations/ folder`)
  const host = opts.host ?? 'localhost'
  const notes: string[] = []
  const orgs: ImportedOrg[] = []
  for (const domain of await subdirs(path.join(root, 'peerOrganizations'))) {
    const orgDir = path.join(root, 'peerOrganizations', domain)
    const profile = await orgProfile(orgDir)
    const fromProfile = profile?.orgs.find((o) => o.peers.length > 0)
    let mspId = fromProfile?.mspId
    if (!mspId) {
      mspId = mspIdFor(domain)
      notes.push(`${mspId}: MSP ID derived from the folder name ${domain} (--msp-id ${domain}=ID to change)`)
    }

    const peers: ImportedEndpoint[] = []
    for (const peer of await subdirs(path.join(orgDir, 'peers'))) {
      const peerDir = path.join(orgDir, 'peers', peer)
      const tlsCA = await certFile(
        [path.join(orgDir, 'tlsca', `tlsca.${domain}-cert.pem`), path.join(peerDir, 'tls', 'ca.crt')],
        `TLS CA for ${peer}`,
      )
      const p = fromProfile?.peers.find((x) => x.name === peer)
      const addr = p ? {address: p.address, addressFrom: p.addressFrom} : wellKnown(peer, host)
      peers.push({
        ...addr,
        hostnameOverride:
          p?.hostnameOverride ??
          (addr.address ? await override(path.join(peerDir, 'tls', 'server.crt'), addr.address, peer) : undefined),
        name: peer,
        ...(testNetworkPeername(peer) ? {peername: testNetworkPeername(peer)} : {}),
        tlsCA: {file: tlsCA},
      })
    }

    if (peers.length === 0) {
      notes.push(`${mspId}: no peers/ in ${orgDir}, left out`)
      continue
    }

    orgs.push({identity: await adminMsp(orgDir, domain), mspId, name: domain, peers})
  }

  if (orgs.length === 0) throw new FabError('USAGE', `${root}: no peer organization with peers/`)

  const orderers: ImportedEndpoint[] = []
  for (const domain of await subdirs(path.join(root, 'ordererOrganizations'))) {
    const orgDir = path.join(root, 'ordererOrganizations', domain)
    for (const o of await subdirs(path.join(orgDir, 'orderers'))) {
      const oDir = path.join(orgDir, 'orderers', o)
      const tlsCA = await certFile(
        [path.join(orgDir, 'tlsca', `tlsca.${domain}-cert.pem`), path.join(oDir, 'tls', 'ca.crt')],
        `TLS CA for ${o}`,
      )
      const addr = wellKnown(o, host)
      orderers.push({
        ...addr,
        hostnameOverride: addr.address
          ? await override(path.join(oDir, 'tls', 'server.crt'), addr.address, o)
          : undefined,
        name: o,
        tlsCA: {file: tlsCA},
      })
    }
  }

  if (orderers.length > 1)
    notes.push(`orderers: ${orderers.map((o) => o.name).join(', ')}; using ${orderers[0].name} (--orderer to choose)`)
  return {kind: 'organizations', notes, orderer: orderers[0], orderers, orgs, source: root}
}
