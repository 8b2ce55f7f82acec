/**
 * Submit and evaluate without gateway discovery. A submit endorses on the peers named in fabk8s.yaml (tx.ts), opens
 * the commit-status streams first (deliver.ts), broadcasts the signed transaction to network.orderer (orderer.ts),
 * and waits until the peers have committed it, checking its validation code.
 *
 * Why not the peer's Gateway: its Endorse finds the other orgs' peers through gossip discovery, which needs anchor
 * peers and, on a network that has just started, up to peer.gossip.reconnectInterval (25 s) before it sees them
 * ("failed to find any endorsing peers for org(s)"). The peers in fabk8s.yaml are known, so we ask them directly.
 * Where the Gateway is the better tool it is used: its Submit (no endorsement, hence no discovery) when
 * network.orderer cannot be reached from this machine, as orderers often sit inside a cluster that only exposes its
 * peers; the peer then hands our signed envelope to the orderers it knows from the channel configuration. And its
 * Endorse when a transaction needs peers of orgs that fabk8s.yaml does not list (submitThroughGateway).
 */
import type {OrgConfig} from '../project/schema.js'
import type {CommitWatcher, TxStatus} from './deliver.js'
import type {ProposalInput} from './proposal.js'

import {FabError} from '../errors.js'
import {errKind, errorText, mapFabricError} from './errmap.js'
import {broadcast, OrdererRejected} from './orderer.js'
import {signProposal} from './proposal.js'
import {common, gatewayProtos} from './protos.js'
import {type FabricSession, firstPeer} from './session.js'
import {endorse, resultOf, resultOfTransaction, signedTransaction, type Target} from './tx.js'

export interface SubmitOptions {
  /** A user chaincode's name (invoke): a peer's error response is that chaincode's answer. */
  chaincode?: string
  /** One peer per org that must endorse. */
  endorsers: Target[]
  input: ProposalInput
  /** What this is, for messages, e.g. "approve kv sequence 1 for Org1MSP". */
  op: string
  /** The org whose admin signs the proposal and the transaction. */
  org: OrgConfig
  /** Called at each step (endorsed, ordered, committed) with the time since the submit started. */
  trace?: (step: string, ms: number) => void
  /** Orgs whose first peer must have committed the transaction before this returns (default: the endorsers'). */
  waitOn?: OrgConfig[]
}

export interface Submitted {
  block: number
  /** The chaincode's answer. */
  result: Uint8Array
  /** Where the envelope went: the orderer, or (fallback) a peer's Gateway. */
  submittedVia: string
  txId: string
  validation: string
}

/** Endorse, order and wait for the commit; a transaction committed invalid is an error naming its validation code. */
export async function submit(s: FabricSession, o: SubmitOptions): Promise<Submitted> {
  const {trace, watchers} = begin(s, o, o.waitOn ?? o.endorsers.map((t) => t.org))
  const endorsed = await endorse(s, o.org, o.endorsers, o.input, {chaincode: o.chaincode, op: o.op})
  trace('endorsed')
  const envelope = await signedTransaction(endorsed)
  const done = await orderAndWait(s, {envelope, txId: endorsed.txId, watchers}, o, trace)
  return {...done, result: resultOf(endorsed.endorsements[0])}
}

/**
 * The same, endorsed through the Gateway of the signing org's first peer: it sends the proposal to a peer of each org
 * of `orgs` (without `orgs`: of the orgs the chaincode's endorsement policy needs), which it finds through gossip
 * discovery (the channel needs anchor peers), and returns the transaction, which we sign and order as submit does.
 * For a transaction that needs peers of orgs that fabk8s.yaml does not list.
 */
export async function submitThroughGateway(
  s: FabricSession,
  o: Omit<SubmitOptions, 'endorsers'> & {orgs?: string[]},
): Promise<Submitted> {
  const {trace, watchers} = begin(s, o, o.waitOn ?? [o.org])
  const p = firstPeer(o.org)
  const signer = await s.identity(o.org)
  const {signed, txId} = await signProposal(signer, o.input)
  const gateway = await gatewayProtos()
  const req = new gateway.EndorseRequest()
  req.setTransactionId(txId)
  req.setChannelId(s.network.channel)
  req.setProposedTransaction(signed)
  if (o.orgs) req.setEndorsingOrganizationsList(o.orgs)
  const by = o.orgs ? ` by ${o.orgs.join(', ')}` : ''
  let prepared: common.Envelope
  try {
    const client = await s.client(p)
    const bytes = await client.unary('/gateway.Gateway/Endorse', req.serializeBinary(), {
      deadline: Date.now() + s.timeoutMs,
    })
    prepared = gateway.EndorseResponse.deserializeBinary(bytes).getPreparedTransaction()!
  } catch (error) {
    const e = mapFabricError(error, {
      ...s.ctx(o.org, p, `${o.op}, endorsed${by} through its gateway`),
      chaincode: o.chaincode,
    })
    throw new FabError(e.code, e.message, {
      cause: error,
      detail: e.detail,
      hint:
        e.hint ??
        "the gateway finds the other orgs' peers through gossip discovery: the channel needs anchor peers (on a " +
          'network that has just started, allow peer.gossip.reconnectInterval); or list a peer of each org in ' +
          'fabk8s.yaml network.orgs',
    })
  }

  trace(`endorsed through peer ${p.address}'s gateway${by}`)
  prepared.setSignature(await signer.sign(prepared.getPayload_asU8()))
  const done = await orderAndWait(s, {envelope: prepared.serializeBinary(), txId, watchers}, o, trace)
  return {...done, result: resultOfTransaction(prepared)}
}

/**
 * What a submit starts with: its trace clock, and the commit-status streams on the peers of `waitOn` and the orderer
 * connection, which overlap the endorsement (the streams are positioned before the broadcast).
 */
function begin(
  s: FabricSession,
  o: Pick<SubmitOptions, 'trace'>,
  waitOn: OrgConfig[],
): {trace: (step: string) => void; watchers: Promise<CommitWatcher[]>} {
  const t0 = performance.now()
  const watchers = Promise.all(unique(waitOn).map((org) => s.watcher(org)))
  watchers.catch(() => {})
  s.connect(s.network.orderer).catch(() => {})
  return {trace: (step) => o.trace?.(step, performance.now() - t0), watchers}
}

/** Order a signed transaction and wait until the watched peers have committed it VALID. */
async function orderAndWait(
  s: FabricSession,
  t: {envelope: Uint8Array; txId: string; watchers: Promise<CommitWatcher[]>},
  o: Pick<SubmitOptions, 'op' | 'org'>,
  trace: (step: string) => void,
): Promise<Omit<Submitted, 'result'>> {
  const ready = await t.watchers
  const submittedVia = await order(s, t.envelope, t.txId, o)
  trace(`ordered via ${submittedVia}`)
  const statuses = await Promise.all(ready.map((w) => w.wait(t.txId, s.timeoutMs)))
  trace('committed')
  const bad = statuses.find((st) => st.code !== 0)
  if (bad) throw invalid(bad, o.op, ready[statuses.indexOf(bad)].ctx.address)
  return {block: statuses[0].block, submittedVia, txId: t.txId, validation: statuses[0].validation}
}

/** A query: endorse on one peer (the org's first), nothing is ordered. */
export async function evaluate(
  s: FabricSession,
  org: OrgConfig,
  input: ProposalInput,
  ctx: {chaincode?: string; op: string},
): Promise<{result: Uint8Array; txId: string}> {
  const e = await endorse(s, org, [{org, peer: firstPeer(org)}], input, ctx)
  return {result: resultOf(e.endorsements[0]), txId: e.txId}
}

const VALIDATION_HINT: Record<string, string> = {
  DUPLICATE_TXID: 'the same transaction was submitted twice',
  ENDORSEMENT_POLICY_FAILURE:
    "the endorsements do not satisfy the endorsement policy: endorse on a peer of each org it needs (is each org's peer listed in fabk8s.yaml?)",
  MVCC_READ_CONFLICT: 'another transaction changed what this one read, in the same or an earlier block: run it again',
  PHANTOM_READ_CONFLICT: 'another transaction changed a range this one read: run it again',
}

function invalid(st: TxStatus, op: string, address: string): FabError {
  return new FabError(
    'FABRIC',
    `${op}: transaction ${st.txId} was committed INVALID (${st.validation}) in block ${st.block} (seen on ${address})`,
    {
      detail: {block: st.block, transactionId: st.txId, validation: st.validation},
      hint: VALIDATION_HINT[st.validation],
    },
  )
}

/**
 * A Raft orderer that has just started has no leader for a few seconds and answers SERVICE_UNAVAILABLE: it did not
 * take the envelope, so sending the same envelope again is safe. Retried for up to 20 s (never past the session's
 * deadline); any other answer is final.
 */
async function broadcastWhileElecting(s: FabricSession, envelope: Uint8Array, txId: string, op: string): Promise<void> {
  const until = Date.now() + Math.min(20_000, s.timeoutMs)
  for (let wait = 100; ; wait = Math.min(wait * 2, 1000)) {
    try {
      await broadcast(await s.client(s.network.orderer), envelope, {...s.ordererCtx(op), timeoutMs: s.timeoutMs, txId})
      return
    } catch (error) {
      const electing = error instanceof OrdererRejected && error.status === common.Status.SERVICE_UNAVAILABLE
      if (!electing || Date.now() + wait > until) throw error
      await new Promise((r) => {
        setTimeout(r, wait)
      })
    }
  }
}

/** Broadcast to network.orderer; when it cannot be reached from here, submit the same envelope through the Gateway. */
async function order(
  s: FabricSession,
  envelope: Uint8Array,
  txId: string,
  o: Pick<SubmitOptions, 'op' | 'org'>,
): Promise<string> {
  const orderer = s.network.orderer.address
  try {
    await broadcastWhileElecting(s, envelope, txId, o.op)
    return `orderer ${orderer}`
  } catch (error) {
    if (errKind(error) !== 'unreachable') throw error
    const p = firstPeer(o.org)
    try {
      await gatewaySubmit(s, o.org, envelope, txId)
      return `peer ${p.address}'s gateway (orderer ${orderer} unreachable from here)`
    } catch (gwError) {
      throw new FabError(
        'FABRIC',
        `${(error as Error).message}; submitting through peer ${p.address}'s gateway failed too (${mapFabricError(gwError, s.ctx(o.org, p, o.op)).message})`,
        {cause: error, detail: (error as FabError).detail, hint: (error as FabError).hint},
      )
    }
  }
}

/** Gateway.Submit: the peer forwards a prepared (endorsed, signed) transaction to the channel's orderers. */
async function gatewaySubmit(s: FabricSession, org: OrgConfig, envelope: Uint8Array, txId: string): Promise<void> {
  const client = await s.client(firstPeer(org))
  const gateway = await gatewayProtos()
  const req = new gateway.SubmitRequest()
  req.setTransactionId(txId)
  req.setChannelId(s.network.channel)
  req.setPreparedTransaction(common.Envelope.deserializeBinary(envelope))
  try {
    await client.unary('/gateway.Gateway/Submit', req.serializeBinary(), {deadline: Date.now() + s.timeoutMs})
  } catch (error) {
    throw Object.assign(error as Error, {message: errorText(error)})
  }
}

function unique(orgs: OrgConfig[]): OrgConfig[] {
  return [...new Map(orgs.map((o) => [o.mspId, o])).values()]
}
