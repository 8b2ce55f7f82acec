import type {OrgConfig, PeerConfig} from '../project/schema.js'
import type {SigningIdentity} from './identity.js'

import {FabError} from '../errors.js'
import {type ErrContext, mapFabricError} from './errmap.js'
import {type ProposalInput, signProposal} from './proposal.js'
/**
 * A transaction the way the peer CLI makes one, without the Gateway: one signed proposal sent to a peer of each org
 * that must endorse (the peers named in fabk8s.yaml, so no gossip discovery is involved), the endorsements checked
 * (every peer said yes, and all computed the same result), then the signed transaction Envelope: the proposal's
 * header, the proposal payload without its transient data, and the endorsed action (Fabric's protoutil.CreateSignedTx).
 */
import {common, msp, peer} from './protos.js'
import {type FabricSession, PeerResponseError} from './session.js'

export interface Target {
  org: OrgConfig
  peer: PeerConfig
}

export interface Endorsement {
  address: string
  mspId: string
  response: peer.ProposalResponse
}

export interface Endorsed {
  endorsements: Endorsement[]
  /** The serialised Proposal that every endorser signed off. */
  proposal: Uint8Array
  /** Who signed the proposal; the transaction must be signed by the same identity. */
  signer: SigningIdentity
  txId: string
}

const ok = (status: number) => status >= 200 && status < 400

/**
 * Send one signed proposal to every target in parallel. Every target must endorse (status 2xx/3xx) and the results
 * must be byte-identical; otherwise one error says which peers failed and why, or how their results differ.
 */
export async function endorse(
  s: FabricSession,
  signerOrg: OrgConfig,
  targets: Target[],
  input: ProposalInput,
  ctx: Pick<ErrContext, 'chaincode' | 'op'>,
): Promise<Endorsed> {
  const signer = await s.identity(signerOrg)
  const {signed, txId} = await signProposal(signer, input)
  const settled = await Promise.allSettled(targets.map((t) => s.processProposal(t.peer, signed)))
  const failures: {error: FabError; target: Target}[] = []
  const endorsements: Endorsement[] = []
  for (const [i, r] of settled.entries()) {
    const t = targets[i]
    const where = {...s.ctx(t.org, t.peer, ctx.op), chaincode: ctx.chaincode}
    if (r.status === 'rejected') {
      failures.push({error: mapFabricError(r.reason, where), target: t})
      continue
    }

    const res = r.value.getResponse()
    const status = res?.getStatus() ?? 0
    if (!ok(status)) {
      const err = new PeerResponseError(status, res?.getMessage() || `status ${status}`, t.peer.address)
      failures.push({error: mapFabricError(err, where), target: t})
      continue
    }

    const wrongOrg = endorserMismatch(r.value, t)
    if (wrongOrg) {
      failures.push({error: wrongOrg, target: t})
      continue
    }

    endorsements.push({address: t.peer.address, mspId: t.org.mspId, response: r.value})
  }

  if (failures.length > 0)
    throw endorsementFailures(
      failures,
      targets.length,
      endorsements.map((e) => e.mspId),
    )
  compareEndorsements(endorsements, ctx.op)
  return {endorsements, proposal: signed.getProposalBytes_asU8(), signer, txId}
}

/**
 * A peer listed under the wrong org in fabk8s.yaml still endorses, as its own org: an approval would then be recorded
 * for that org, and a policy count the wrong org. The endorser's identity in the response says which org it is.
 */
export function endorserMismatch(response: peer.ProposalResponse, t: Target): FabError | undefined {
  const bytes = response.getEndorsement()?.getEndorser_asU8()
  if (!bytes || bytes.length === 0) return undefined
  let mspId: string
  try {
    mspId = msp.SerializedIdentity.deserializeBinary(bytes).getMspid()
  } catch {
    return undefined
  }

  if (mspId === t.org.mspId) return undefined
  return new FabError(
    'PROJECT',
    `peer ${t.peer.address} is listed under ${t.org.mspId} in fabk8s.yaml, but it is a peer of ${mspId}`,
    {
      detail: {address: t.peer.address, endorserMspId: mspId, listedUnder: t.org.mspId},
      hint: `list it under the org whose mspId is ${mspId} (network.orgs[].peers)`,
    },
  )
}

const PEER = '\u0000peer\u0000'

/**
 * The hint when the chaincode refused at some orgs' peers while others' endorsed: often a contract that serves only
 * clients of the peer's own org (private data contracts compare shim.GetMSPID() with the client's org), asked on every
 * org's peer because the chaincode's endorsement policy (the channel default: a majority of orgs) needs them.
 */
function ownOrgHint(failures: {error: FabError; target: Target}[], endorsed: string[]): string | undefined {
  const refused = [...new Set(failures.map((f) => f.target.org.mspId))]
  if (endorsed.length === 0 || refused.some((m) => endorsed.includes(m))) return undefined
  if (!failures.every((f) => / the chaincode returned an error /.test(f.error.message))) return undefined
  const orgs = [...new Set([...endorsed, ...refused])]
  return (
    `${[...new Set(endorsed)].join(', ')} endorsed; the endorsement policy also asked ${refused.join(', ')}. If the ` +
    "contract serves only clients of the peer's own org (private data), define it with a policy one org satisfies, " +
    `definition.signaturePolicy: "OR(${orgs.map((m) => `'${m}.peer'`).join(',')})" in fabk8s.yaml (then fabk8s up), ` +
    'and invoke asks only the --org peer'
  )
}

/**
 * One error for the peers that did not endorse: the message once when they all say the same (each peer's own name in
 * it, "at Org1MSP localhost:7051", becomes the list of those peers), else each. `endorsed`: the orgs whose peers did.
 */
export function endorsementFailures(
  failures: {error: FabError; target: Target}[],
  of: number,
  endorsed: string[] = [],
): FabError {
  const first = failures[0].error
  const hint = ownOrgHint(failures, endorsed) ?? first.hint
  const peers = failures.map((f) => `${f.target.org.mspId} ${f.target.peer.address}`)
  const detail = {
    ...first.detail,
    // as everywhere: each peer's address → what it said
    peers: Object.fromEntries(failures.map((f) => [f.target.peer.address, f.error.detail?.raw ?? f.error.message])),
  }
  const distinct = [...new Set(failures.map((f) => f.error.message))]
  if (distinct.length === 1) return new FabError(first.code, first.message, {cause: first, detail, hint})
  // the same message but for the one peer it names
  const shapes = new Set(
    failures.map((f, i) => f.error.message.replaceAll(peers[i], PEER).replaceAll(f.target.peer.address, PEER)),
  )
  const [shape] = shapes
  if (shapes.size === 1 && shape.split(PEER).length === 2) {
    const who = `${failures.length === of ? `all ${of} peers` : `${failures.length} of ${of} peers`} (${peers.join(', ')})`
    return new FabError(first.code, shape.replace(PEER, who), {cause: first, detail, hint})
  }

  return new FabError(
    first.code,
    `${failures.length} of ${of} peers did not endorse: ${failures.map((f, i) => `${peers[i]}: ${f.error.message}`).join('; ')}`,
    {cause: first, detail, hint},
  )
}

/** Every endorser must have computed the same ProposalResponsePayload; if not, say what differs and between whom. */
export function compareEndorsements(endorsements: Endorsement[], op: string): void {
  const [a, ...rest] = endorsements
  if (!a) return
  const pa = a.response.getPayload_asU8()
  for (const b of rest) {
    const pb = b.response.getPayload_asU8()
    if (Buffer.from(pa).equals(Buffer.from(pb))) continue
    const what = payloadDifference(pa, pb)
    throw new FabError(
      'FABRIC',
      `${op}: the endorsements differ between ${a.mspId} ${a.address} and ${b.mspId} ${b.address} (${what})`,
      {
        detail: {
          peers: {[a.address]: 'endorsed', [b.address]: `endorsed, but ${what} differs from ${a.address}'s`},
          what,
        },
        hint:
          what === 'the chaincode package'
            ? 'every peer must run the package that its org approved: `fabk8s status` shows what each peer has'
            : 'the peers must hold the same state (the same ledger height) and the chaincode must be deterministic (no clock, random or map-order output)',
      },
    )
  }
}

function payloadDifference(a: Uint8Array, b: Uint8Array): string {
  try {
    const action = (bytes: Uint8Array) =>
      peer.ChaincodeAction.deserializeBinary(peer.ProposalResponsePayload.deserializeBinary(bytes).getExtension_asU8())
    const x = action(a)
    const y = action(b)
    const same = (m?: {serializeBinary(): Uint8Array}, n?: {serializeBinary(): Uint8Array}) =>
      Buffer.from(m?.serializeBinary() ?? []).equals(Buffer.from(n?.serializeBinary() ?? []))
    if (!same(x.getChaincodeId(), y.getChaincodeId())) return 'the chaincode package'
    if (!same(x.getResponse(), y.getResponse())) return 'the chaincode results'
    if (!Buffer.from(x.getResults_asU8()).equals(Buffer.from(y.getResults_asU8()))) return 'the read/write sets'
    if (!Buffer.from(x.getEvents_asU8()).equals(Buffer.from(y.getEvents_asU8()))) return 'the chaincode events'
  } catch {}

  return 'the proposal response payloads'
}

/** The transaction Payload (unsigned) for an endorsed proposal. */
export function transactionPayload(proposalBytes: Uint8Array, endorsements: Endorsement[]): Uint8Array {
  if (endorsements.length === 0) throw new Error('a transaction needs at least one endorsement')
  const proposal = peer.Proposal.deserializeBinary(proposalBytes)
  const header = common.Header.deserializeBinary(proposal.getHeader_asU8())
  // the transient data was for the endorsers only: the transaction carries the input alone
  const original = peer.ChaincodeProposalPayload.deserializeBinary(proposal.getPayload_asU8())
  const forTx = new peer.ChaincodeProposalPayload()
  forTx.setInput(original.getInput_asU8())

  const endorsed = new peer.ChaincodeEndorsedAction()
  endorsed.setProposalResponsePayload(endorsements[0].response.getPayload_asU8())
  endorsed.setEndorsementsList(endorsements.map((e) => e.response.getEndorsement()!))
  const cap = new peer.ChaincodeActionPayload()
  cap.setChaincodeProposalPayload(forTx.serializeBinary())
  cap.setAction(endorsed)
  const action = new peer.TransactionAction()
  action.setHeader(header.getSignatureHeader_asU8())
  action.setPayload(cap.serializeBinary())
  const tx = new peer.Transaction()
  tx.setActionsList([action])

  const payload = new common.Payload()
  payload.setHeader(header)
  payload.setData(tx.serializeBinary())
  return payload.serializeBinary()
}

/** The signed Envelope (serialised) of an endorsed proposal, signed by the proposal's own signer. */
export async function signedTransaction(e: Endorsed): Promise<Uint8Array> {
  const payload = transactionPayload(e.proposal, e.endorsements)
  const env = new common.Envelope()
  env.setPayload(payload)
  env.setSignature(await e.signer.sign(payload))
  return env.serializeBinary()
}

/** The chaincode's answer in an endorsement (what invoke and query print). */
export function resultOf(e: Endorsement): Uint8Array {
  return e.response.getResponse()?.getPayload_asU8() ?? new Uint8Array()
}

/** The chaincode's answer carried in a transaction (one a peer's Gateway prepared from the endorsements it gathered). */
export function resultOfTransaction(envelope: common.Envelope): Uint8Array {
  const payload = common.Payload.deserializeBinary(envelope.getPayload_asU8())
  const [action] = peer.Transaction.deserializeBinary(payload.getData_asU8()).getActionsList()
  const endorsed = peer.ChaincodeActionPayload.deserializeBinary(action.getPayload_asU8()).getAction()
  const response = peer.ProposalResponsePayload.deserializeBinary(endorsed!.getProposalResponsePayload_asU8())
  return (
    peer.ChaincodeAction.deserializeBinary(response.getExtension_asU8()).getResponse()?.getPayload_asU8() ??
    new Uint8Array()
  )
}
