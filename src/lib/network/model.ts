/**
 * What `fabk8s network import` reads from a source (a connection profile, a cryptogen/test-network
 * `organizations/` folder, a test-network-k8s `build/` folder) before it becomes fabk8s.yaml's `network` section.
 * Each reader fills this model; overrides (flags) change it; section.ts turns it into files and YAML.
 */

/** A PEM that is either a file already on disk or text from the source (written to a file on import). */
export type PemSource = {file: string} | {pem: string}

export interface ImportedEndpoint {
  /** host:port fabk8s dials. */
  address: string
  /** Where the address came from (a profile field, a well-known test-network port, a flag): shown in notes. */
  addressFrom: string
  /** Name to check in the server's TLS certificate when it differs from the address host. */
  hostnameOverride?: string
  /** The name the source gives the node (peer0.org1.example.com, org1-peer1, a profile key). */
  name: string
  /**
   * The peer's ccaas builder peername (CHAINCODE_AS_A_SERVICE_BUILDER_CONFIG), when the source's conventions give
   * it: test-network peer0.org1.example.com → peer0org1, test-network-k8s org1-peer1 → org1peer1.
   */
  peername?: string
  tlsCA: PemSource
}

export type ImportedIdentity =
  /** An MSP folder on disk (signcerts/ + keystore/). */
  | {cert: PemSource; from: string; key: PemSource; kind: 'pem'; name: string}
  /** A certificate and key given as PEM text or separate files; written into an MSP folder on import. */
  | {from: string; kind: 'msp'; mspPath: string}

export interface ImportedOrg {
  /** The admin identity fabk8s signs with for this org; undefined when the source has none (a flag must give it). */
  identity?: ImportedIdentity
  mspId: string
  /** The source's own name for the org (profile key, domain, test-network-k8s org folder). */
  name: string
  peers: ImportedEndpoint[]
}

export type SourceKind = 'k8s-build' | 'organizations' | 'profile'

export interface ImportedNetwork {
  channel?: string
  /** Where the channel name came from. */
  channelFrom?: string
  kind: SourceKind
  /** Things the reader inferred or left out, for the user to review (never secrets). */
  notes: string[]
  orderer?: ImportedEndpoint
  /** Every orderer the source names (the first one, or --orderer, is used). */
  orderers: ImportedEndpoint[]
  orgs: ImportedOrg[]
  /** Absolute path of what was read. */
  source: string
}

/** Test-network's host ports (fabric-samples test-network, also the bed's fabnet with port base 7000). */
export const WELL_KNOWN_PORTS: Record<string, number> = {
  'orderer2.example.com': 8050,
  'orderer3.example.com': 9050,
  'orderer4.example.com': 10_050,
  'orderer.example.com': 7050,
  'peer0.org1.example.com': 7051,
  'peer0.org2.example.com': 9051,
  'peer0.org3.example.com': 11_051,
}

/** `a.b-c` → `["a.b-c"]` in field paths when a key holds dots, so the path stays unambiguous. */
export function fieldPath(parts: (number | string)[]): string {
  let s = ''
  for (const p of parts) {
    if (typeof p === 'number') s += `[${p}]`
    else if (/^[\w-]+$/.test(p)) s += s ? `.${p}` : p
    else s += `[${JSON.stringify(p)}]`
  }

  return s
}
