/**
 * fabric-samples' test-network-k8s `build/` folder (what `./network up` and `./network channel create` leave on the
 * host):
 *
 *   enrollments/<org>/users/<org>admin/msp/{signcerts/cert.pem,keystore/key.pem}    the org admins
 *   channel-msp/peerOrganizations/<org>/msp/tlscacerts/tlsca-signcert.pem           each peer org's TLS CA
 *   channel-msp/ordererOrganizations/<org>/msp/tlscacerts/tlsca-signcert.pem        the orderer org's TLS CA
 *   channel-msp/ordererOrganizations/<org>/orderers/<org>-<orderer>/                one folder per orderer
 *
 * The peers are not recorded there: test-network-k8s runs <org>-peer1 and <org>-peer2 in every peer org and exposes
 * every node through its ingress as <org>-<node>.<domain>:443 (domain localho.st, which resolves to 127.0.0.1;
 * the ingress routes by TLS server name). MSP IDs follow its configtx: org1 → Org1MSP, the orderer org OrdererMSP.
 */
import {existsSync} from 'node:fs'
import path from 'node:path'

import type {ImportedEndpoint, ImportedNetwork, ImportedOrg} from '../model.js'

import {FabError} from '../../errors.js'
import {certProblem, pemText} from '../pem.js'
import {isMspDir, mspIdFor, subdirs} from './organizations.js'

export interface K8sBuildOptions {
  /** Ingress domain (test-network-k8s DOMAIN, default localho.st). */
  domain?: string
  /** Ingress HTTPS port (NGINX_HTTPS_PORT, default 443). */
  port?: number
}

/** test-network-k8s runs these peers in every peer org. */
export const K8S_PEERS = ['peer1', 'peer2']

/** `dir` itself, or its build/ subfolder, when it holds enrollments/ and channel-msp/. */
export function k8sBuildRoot(dir: string): string | undefined {
  for (const d of [dir, path.join(dir, 'build')])
    if (existsSync(path.join(d, 'enrollments')) && existsSync(path.join(d, 'channel-msp'))) return d
  return undefined
}

async function tlsCA(file: string, what: string): Promise<string> {
  let text: string
  try {
    text = await pemText({file})
  } catch (error) {
    throw new FabError('USAGE', `${what}: ${(error as Error).message}`, {
      hint: 'run test-network-k8s `./network channel create` first: it writes build/channel-msp',
    })
  }

  const problem = certProblem(text)
  if (problem) throw new FabError('USAGE', `${file}: ${problem} (${what})`)
  return file
}

export async function readK8sBuild(dir: string, opts: K8sBuildOptions = {}): Promise<ImportedNetwork> {
  const root = k8sBuildRoot(dir)
  if (!root) throw new FabError('USAGE', `${dir}: no enrollments/ and channel-msp/ folders`)
  const domain = opts.domain ?? 'localho.st'
  const port = opts.port ?? 443
  const cm = path.join(root, 'channel-msp')
  const notes: string[] = []
  const orgs: ImportedOrg[] = []
  for (const org of await subdirs(path.join(cm, 'peerOrganizations'))) {
    const ca = await tlsCA(
      path.join(cm, 'peerOrganizations', org, 'msp', 'tlscacerts', 'tlsca-signcert.pem'),
      `TLS CA of ${org}`,
    )
    const peers: ImportedEndpoint[] = K8S_PEERS.map((p) => ({
      address: `${org}-${p}.${domain}:${port}`,
      addressFrom: `test-network-k8s ingress (${domain}:${port})`,
      name: `${org}-${p}`,
      // its peers run with CHAINCODE_AS_A_SERVICE_BUILDER_CONFIG {"peername":"org1peer1"} (kube/org1/org1-peer1.yaml)
      peername: `${org}${p}`,
      tlsCA: {file: ca},
    }))
    const msp = path.join(root, 'enrollments', org, 'users', `${org}admin`, 'msp')
    orgs.push({
      identity: isMspDir(msp)
        ? {from: `enrollments/${org}/users/${org}admin/msp`, kind: 'msp', mspPath: msp}
        : undefined,
      mspId: mspIdFor(org),
      name: org,
      peers,
    })
  }

  if (orgs.length === 0)
    throw new FabError('USAGE', `${cm}: no peerOrganizations/<org>/ folder`, {
      hint: 'run test-network-k8s `./network channel create` first: it writes build/channel-msp',
    })
  notes.push(
    `peers ${orgs.flatMap((o) => o.peers.map((p) => p.name)).join(', ')}: test-network-k8s' peers (build/ does not list them)`,
  )

  const orderers: ImportedEndpoint[] = []
  for (const org of await subdirs(path.join(cm, 'ordererOrganizations'))) {
    const ca = await tlsCA(
      path.join(cm, 'ordererOrganizations', org, 'msp', 'tlscacerts', 'tlsca-signcert.pem'),
      `TLS CA of ${org}`,
    )
    for (const o of await subdirs(path.join(cm, 'ordererOrganizations', org, 'orderers')))
      orderers.push({
        address: `${o}.${domain}:${port}`,
        addressFrom: `test-network-k8s ingress (${domain}:${port})`,
        name: o,
        tlsCA: {file: ca},
      })
  }

  if (orderers.length > 1)
    notes.push(`orderers: ${orderers.map((o) => o.name).join(', ')}; using ${orderers[0].name} (--orderer to choose)`)
  return {kind: 'k8s-build', notes, orderer: orderers[0], orderers, orgs, source: root}
}
