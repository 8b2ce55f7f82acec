/**
 * One run's connections to the network in fabk8s.yaml: one gRPC client per peer and for the orderer (cached), one
 * signing identity per org (cached), one commit-status watcher per org. `close()` closes them all so the process exits.
 */
import {readFileSync} from 'node:fs'

import type {NetworkConfig, OrgConfig, PeerConfig} from '../project/schema.js'
import type {TaskList} from '../tasks.js'
import type {ErrContext} from './errmap.js'
import type {GrpcClient} from './grpc.js'

import {FabError} from '../errors.js'
import {CommitWatcher} from './deliver.js'
import {loadIdentity, type SigningIdentity} from './identity.js'
import {type ProposalInput, signProposal} from './proposal.js'
import {peer} from './protos.js'

export interface SessionOptions {
  /** Per-call deadline in ms (default 60 s). */
  timeoutMs?: number
}

/** A non-2xx chaincode response from the peer (status and message kept for callers that expect e.g. 404). */
export class PeerResponseError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly address: string,
  ) {
    super(message)
    this.name = 'PeerResponseError'
  }
}

let grpcModule: typeof import('./grpc.js') | undefined

export class FabricSession {
  readonly network: NetworkConfig
  readonly timeoutMs: number
  private readonly clients = new Map<string, GrpcClient>()
  private readonly identities = new Map<string, Promise<SigningIdentity>>()
  private readonly watchers = new Map<string, Promise<CommitWatcher>>()

  constructor(network: NetworkConfig | undefined, opts: SessionOptions = {}) {
    if (!network)
      throw new FabError(
        'PROJECT',
        'fabk8s.yaml has no `network` section (channel, orderer, orgs with mspId, mspPath and peers)',
        {
          hint:
            'write it with `fabk8s network import SOURCE` (a connection profile, an organizations/ folder, ' +
            "test-network-k8s' build/), or add network: {channel, orderer: {address, tlsCACert}, " +
            'orgs: [{mspId, mspPath, peers: [{address, tlsCACert}]}]}',
        },
      )
    this.network = network
    this.timeoutMs = opts.timeoutMs ?? 60_000
  }

  /** The gRPC client for a peer (one per address per run). */
  async client(p: PeerConfig): Promise<GrpcClient> {
    const key = `${p.address}|${p.hostnameOverride ?? ''}`
    const cached = this.clients.get(key)
    if (cached) return cached
    // concurrent callers (install and the planning queries) share one connection: the check above and the
    // set below must not be separated by an await, or each caller would open (and leak) its own client
    const grpc = grpcModule ?? (grpcModule = await import('./grpc.js'))
    const again = this.clients.get(key)
    if (again) return again
    let ca: Buffer
    try {
      ca = readFileSync(p.tlsCACert)
    } catch {
      throw new FabError('PROJECT', `tlsCACert of ${p.address}: cannot read ${p.tlsCACert}`, {
        hint: 'set the path of the TLS CA certificate in fabk8s.yaml',
      })
    }

    // a wrong file in fabk8s.yaml, as an unreadable one is: exit 3 with the field to fix, not a Fabric error
    if (!ca.includes('-----BEGIN CERTIFICATE-----'))
      throw new FabError('PROJECT', `tlsCACert of ${p.address}: ${p.tlsCACert} is not a PEM certificate`, {
        hint: 'set tlsCACert in fabk8s.yaml to the TLS CA certificate of that address (the tlsca/…-cert.pem of its org)',
      })
    const client = new grpc.GrpcClient(p.address, {ca, hostnameOverride: p.hostnameOverride})
    this.clients.set(key, client)
    return client
  }

  close(): void {
    for (const w of this.watchers.values()) w.then((x) => x.close()).catch(() => {})
    this.watchers.clear()
    for (const c of this.clients.values()) c.close()
    this.clients.clear()
  }

  /** Start connecting to a peer or the orderer now, so the TLS handshake overlaps other work. */
  async connect(p: PeerConfig): Promise<void> {
    const client = await this.client(p)
    client.connect()
  }

  ctx(org: OrgConfig, p: PeerConfig, op: string): ErrContext {
    return {
      address: p.address,
      channel: this.network.channel,
      hostnameOverride: p.hostnameOverride,
      mspId: org.mspId,
      mspPath: org.mspPath,
      op,
      orderer: this.network.orderer.address,
      tlsCACert: p.tlsCACert,
    }
  }

  identity(org: OrgConfig): Promise<SigningIdentity> {
    let id = this.identities.get(org.mspId)
    if (!id) {
      id = loadIdentity(org)
      this.identities.set(org.mspId, id)
    }

    return id
  }

  /** The error context for the orderer. */
  ordererCtx(op: string): ErrContext {
    const o = this.network.orderer
    return {
      address: o.address,
      channel: this.network.channel,
      hostnameOverride: o.hostnameOverride,
      op,
      role: 'orderer',
      tlsCACert: o.tlsCACert,
    }
  }

  org(mspId?: string): OrgConfig {
    if (!mspId) return this.network.orgs[0]
    const org = this.network.orgs.find((o) => o.mspId === mspId)
    if (!org)
      throw new FabError(
        'USAGE',
        `--org ${mspId}: not in fabk8s.yaml network.orgs (${this.network.orgs.map((o) => o.mspId).join(', ')})`,
      )
    return org
  }

  /** Send a signed proposal to a peer's Endorser; the whole ProposalResponse, whatever its status (gRPC errors throw). */
  async processProposal(p: PeerConfig, signed: peer.SignedProposal): Promise<peer.ProposalResponse> {
    const client = await this.client(p)
    const bytes = await client.unary('/protos.Endorser/ProcessProposal', signed.serializeBinary(), {
      deadline: Date.now() + this.timeoutMs,
    })
    return peer.ProposalResponse.deserializeBinary(bytes)
  }

  /**
   * Send a signed proposal to a peer's Endorser (ProcessProposal) and return the chaincode response payload.
   * A response status ≥ 400 becomes a PeerResponseError (callers decide: "already installed", 404, or mapFabricError).
   */
  async propose(org: OrgConfig, p: PeerConfig, input: ProposalInput): Promise<Uint8Array> {
    const id = await this.identity(org)
    const {signed} = await signProposal(id, input)
    const response = await this.processProposal(p, signed)
    const r = response.getResponse()
    const status = r?.getStatus() ?? 0
    if (status >= 400 || status < 200)
      throw new PeerResponseError(status, r?.getMessage() ?? `status ${status}`, p.address)
    return r!.getPayload_asU8()
  }

  /**
   * A commit-status watcher on the org's first peer (one per org per run), signed by the org's admin. Resolves once
   * the stream is positioned (the peer sent its newest block), so a transaction broadcast afterwards cannot be missed.
   */
  watcher(org: OrgConfig): Promise<CommitWatcher> {
    let w = this.watchers.get(org.mspId)
    if (!w) {
      const p = firstPeer(org)
      w = (async () => {
        const [client, id] = await Promise.all([this.client(p), this.identity(org)])
        const watcher = await CommitWatcher.open(client, id, this.network.channel, {
          ...this.ctx(org, p, `watch commits on ${p.address}`),
        })
        try {
          await watcher.ready
        } catch (error) {
          watcher.close()
          throw error
        }

        return watcher
      })()
      // a failed watcher is not cached: the next caller tries again
      w.catch(() => this.watchers.delete(org.mspId))
      this.watchers.set(org.mspId, w)
    }

    return w
  }
}

export function firstPeer(org: OrgConfig): PeerConfig {
  const p = org.peers[0]
  if (!p) throw new FabError('PROJECT', `network.orgs[${org.mspId}].peers: at least one peer is required`)
  return p
}

/** Open a session on the network, run `fn`, and close the session whatever happens: where sessions end. */
export async function withSession<T>(
  network: NetworkConfig | undefined,
  fn: (s: FabricSession) => Promise<T>,
  opts: SessionOptions = {},
): Promise<T> {
  const s = new FabricSession(network, opts)
  try {
    return await fn(s)
  } finally {
    s.close()
  }
}

/** A task list that works on one session: opened now, closed by the renderer when the list ends. */
export function withSessionTasks<R>(
  network: NetworkConfig | undefined,
  build: (s: FabricSession) => Omit<TaskList<R>, 'close'>,
): TaskList<R> {
  const s = new FabricSession(network)
  try {
    return {...build(s), close: () => s.close()}
  } catch (error) {
    s.close()
    throw error
  }
}
