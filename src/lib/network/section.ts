/**
 * ImportedNetwork → the `network` section of fabk8s.yaml, plus the files the section points at that do not exist
 * yet: TLS CA certificates and admin identities that the source gave inline (PEM text in a connection profile) or
 * as a loose certificate/key pair. Those go into `.fabk8s/network/` next to fabk8s.yaml (folder 0700, keys 0600,
 * with a .gitignore of `*`); fabk8s.yaml only ever holds paths, never key material.
 *
 * Paths inside the project folder are written relative to fabk8s.yaml; paths outside it absolute.
 */
import {createHash} from 'node:crypto'
import path from 'node:path'

import type {NetworkConfig, PeerConfig} from '../project/schema.js'
import type {ImportedEndpoint, ImportedIdentity, ImportedNetwork} from './model.js'

import {pemText} from './pem.js'

/** Where imported PEM material goes, relative to the project folder. */
export const MATERIAL_DIR = path.join('.fabk8s', 'network')

export interface PlannedFile {
  content: string
  /** 0o600 for private keys, 0o644 for certificates. */
  mode: number
  /** Path relative to the material folder. */
  rel: string
}

export interface PeerSection {
  address: string
  hostnameOverride?: string
  peername?: string
  tlsCACert: string
}

export interface NetworkSection {
  channel: string
  orderer: PeerSection
  orgs: {mspId: string; mspPath: string; peers: PeerSection[]}[]
}

export interface SectionPlan {
  /** The network config with absolute paths, material under `materialRoot`. */
  config(materialRoot: string): NetworkConfig
  files: PlannedFile[]
  /** Absolute path of the material folder (`.fabk8s/network` next to fabk8s.yaml). */
  materialDir: string
  section: NetworkSection
}

const safe = (s: string) => s.replaceAll(/[^\w.@-]+/g, '_')

/** How a path is written into fabk8s.yaml: relative when inside the project folder, else absolute. */
export function pathForYaml(projectDir: string, abs: string): string {
  const rel = path.relative(projectDir, abs)
  const inside = rel && !rel.startsWith('..') && !path.isAbsolute(rel)
  // the project loader reads ~/… as the home folder (and refuses ~user/…): a folder of the project so named is ./~…
  const p = inside ? (rel.startsWith('~') ? './' : '') + rel.split(path.sep).join('/') : abs
  // the project loader expands ${VAR}; a literal $ is written $$
  return p.replaceAll('$', '$$$$')
}

export async function planSection(net: ImportedNetwork, projectDir: string): Promise<SectionPlan> {
  const materialDir = path.join(projectDir, MATERIAL_DIR)
  const files: PlannedFile[] = []
  // one file per distinct CA certificate
  const caFiles = new Map<string, string>()
  // each path is either ['abs', path] (a file that exists) or ['mat', rel] (in the material folder)
  type Where = ['abs' | 'mat', string]

  const caWhere = async (e: ImportedEndpoint): Promise<Where> => {
    if ('file' in e.tlsCA) return ['abs', e.tlsCA.file]
    const pem = e.tlsCA.pem.trim() + '\n'
    const digest = createHash('sha256').update(pem).digest('hex')
    let rel = caFiles.get(digest)
    if (!rel) {
      rel = `tls/${safe(e.name)}-ca.pem`
      caFiles.set(digest, rel)
      files.push({content: pem, mode: 0o644, rel})
    }

    return ['mat', rel]
  }

  const idWhere = async (mspId: string, id: ImportedIdentity): Promise<Where> => {
    if (id.kind === 'msp') return ['abs', id.mspPath]
    const rel = `${safe(mspId)}/${safe(id.name)}/msp`
    files.push(
      {content: (await pemText(id.cert)).trim() + '\n', mode: 0o644, rel: `${rel}/signcerts/cert.pem`},
      {content: (await pemText(id.key)).trim() + '\n', mode: 0o600, rel: `${rel}/keystore/key.pem`},
    )
    return ['mat', rel]
  }

  const orderer = net.orderer!
  const ordererCA = await caWhere(orderer)
  const orgs: {msp: Where; mspId: string; peers: {ca: Where; e: ImportedEndpoint}[]}[] = []
  for (const org of net.orgs) {
    const peers = []
    for (const e of org.peers) peers.push({ca: await caWhere(e), e})
    orgs.push({msp: await idWhere(org.mspId, org.identity!), mspId: org.mspId, peers})
  }

  const abs = (w: Where, root: string) => (w[0] === 'abs' ? w[1] : path.join(root, ...w[1].split('/')))
  const peerSection = (e: ImportedEndpoint, ca: Where): PeerSection => ({
    address: e.address,
    tlsCACert: pathForYaml(projectDir, abs(ca, materialDir)),
    ...(e.hostnameOverride ? {hostnameOverride: e.hostnameOverride} : {}),
    ...(e.peername ? {peername: e.peername} : {}),
  })
  const peerConfig = (e: ImportedEndpoint, ca: Where, root: string): PeerConfig => ({
    address: e.address,
    hostnameOverride: e.hostnameOverride,
    ...(e.peername ? {peername: e.peername} : {}),
    tlsCACert: abs(ca, root),
  })
  const channel = net.channel ?? 'mychannel'
  return {
    config: (root) => ({
      channel,
      orderer: peerConfig(orderer, ordererCA, root),
      orgs: orgs.map((o) => ({
        mspId: o.mspId,
        mspPath: abs(o.msp, root),
        peers: o.peers.map((p) => peerConfig(p.e, p.ca, root)),
      })),
    }),
    files,
    materialDir,
    section: {
      channel,
      orderer: peerSection(orderer, ordererCA),
      orgs: orgs.map((o) => ({
        mspId: o.mspId,
        mspPath: pathForYaml(projectDir, abs(o.msp, materialDir)),
        peers: o.peers.map((p) => peerSection(p.e, p.ca)),
      })),
    },
  }
}

/** The section as YAML text (`network:` and its block), with a first line saying where it came from. */
export async function renderSection(section: NetworkSection, comment: string): Promise<string> {
  const {Document} = await import('yaml')
  const doc = new Document({network: section})
  const net = doc.get('network', true) as {items: {key: {commentBefore?: string}}[]}
  net.items[0].key.commentBefore = ` ${comment}`
  return doc.toString({lineWidth: 0})
}
