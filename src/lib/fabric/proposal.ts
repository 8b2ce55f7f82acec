/**
 * Signed proposals for the peer's Endorser service, built the way Fabric's protoutil does: a Header (ChannelHeader of
 * type ENDORSER_TRANSACTION + SignatureHeader with the creator and a nonce), a ChaincodeProposalPayload with the
 * invocation spec, and a signature over the proposal bytes. Every call to a peer starts so: installs and other
 * channel-less (`""`) _lifecycle calls, queries, and the endorsements of a transaction (tx.ts).
 */
import {createHash, randomBytes} from 'node:crypto'

import type {SigningIdentity} from './identity.js'

import {common, msp, peer, Timestamp} from './protos.js'

export interface ProposalInput {
  /** Arguments after the function name; strings are UTF-8 encoded. */
  args?: (string | Uint8Array)[]
  chaincode: string
  /** "" for channel-less calls (InstallChaincode, QueryInstalledChaincodes). */
  channel: string
  fn: string
  /** For tests: fixed nonce and time. */
  nonce?: Uint8Array
  now?: Date
  /** Private inputs: seen by the endorsers, kept out of the transaction (ChaincodeProposalPayload.TransientMap). */
  transient?: Record<string, Uint8Array>
}

export interface UnsignedProposal {
  bytes: Uint8Array
  txId: string
}

/** SerializedIdentity{mspid, id_bytes: PEM}: the creator bytes Fabric expects. */
export function serializedIdentity(id: Pick<SigningIdentity, 'certPem' | 'mspId'>): Uint8Array {
  const si = new msp.SerializedIdentity()
  si.setMspid(id.mspId)
  si.setIdBytes(id.certPem)
  return si.serializeBinary()
}

/** Transaction ID = hex(sha256(nonce ‖ creator)), as protoutil.ComputeTxID. */
export function computeTxId(nonce: Uint8Array, creator: Uint8Array): string {
  return createHash('sha256').update(nonce).update(creator).digest('hex')
}

/** A Header of `type` on `channel`: ChannelHeader (with a timestamp, which the deliver service checks) and SignatureHeader. */
export function buildHeader(
  id: Pick<SigningIdentity, 'certPem' | 'mspId'>,
  o: {channel: string; extension?: Uint8Array; nonce?: Uint8Array; now?: Date; type: number},
): {header: common.Header; txId: string} {
  const creator = serializedIdentity(id)
  const nonce = o.nonce ?? randomBytes(24)
  const txId = computeTxId(nonce, creator)
  const ch = new common.ChannelHeader()
  ch.setType(o.type)
  ch.setVersion(0)
  ch.setTimestamp(Timestamp.fromDate(o.now ?? new Date()) as never)
  ch.setChannelId(o.channel)
  ch.setTxId(txId)
  ch.setEpoch(0)
  if (o.extension) ch.setExtension$(o.extension)
  const sh = new common.SignatureHeader()
  sh.setCreator(creator)
  sh.setNonce(nonce)
  const header = new common.Header()
  header.setChannelHeader(ch.serializeBinary())
  header.setSignatureHeader(sh.serializeBinary())
  return {header, txId}
}

export function buildProposal(id: Pick<SigningIdentity, 'certPem' | 'mspId'>, input: ProposalInput): UnsignedProposal {
  const ccId = new peer.ChaincodeID()
  ccId.setName(input.chaincode)
  const ext = new peer.ChaincodeHeaderExtension()
  ext.setChaincodeId(ccId)
  const {header, txId} = buildHeader(id, {
    channel: input.channel,
    extension: ext.serializeBinary(),
    nonce: input.nonce,
    now: input.now,
    type: common.HeaderType.ENDORSER_TRANSACTION,
  })

  const ccInput = new peer.ChaincodeInput()
  const enc = new TextEncoder()
  ccInput.setArgsList([
    enc.encode(input.fn),
    ...(input.args ?? []).map((a) => (typeof a === 'string' ? enc.encode(a) : a)),
  ])
  const spec = new peer.ChaincodeSpec()
  spec.setType(peer.ChaincodeSpec.Type.GOLANG)
  spec.setChaincodeId(ccId)
  spec.setInput(ccInput)
  const cis = new peer.ChaincodeInvocationSpec()
  cis.setChaincodeSpec(spec)
  const payload = new peer.ChaincodeProposalPayload()
  payload.setInput(cis.serializeBinary())
  for (const [k, v] of Object.entries(input.transient ?? {})) payload.getTransientmapMap().set(k, v)

  const proposal = new peer.Proposal()
  proposal.setHeader(header.serializeBinary())
  proposal.setPayload(payload.serializeBinary())
  return {bytes: proposal.serializeBinary(), txId}
}

export async function signProposal(
  id: SigningIdentity,
  input: ProposalInput,
): Promise<{signed: peer.SignedProposal; txId: string}> {
  const {bytes, txId} = buildProposal(id, input)
  const signed = new peer.SignedProposal()
  signed.setProposalBytes(bytes)
  signed.setSignature(await id.sign(bytes))
  return {signed, txId}
}

export interface DecodedProposal {
  args: Uint8Array[]
  chaincode: string
  channel: string
  creator: {idBytes: string; mspId: string}
  headerType: number
  nonce: Uint8Array
  txId: string
}

/** Decode a proposal again (tests, debugging): the inverse of buildProposal. */
export function decodeProposal(bytes: Uint8Array): DecodedProposal {
  const p = peer.Proposal.deserializeBinary(bytes)
  const header = common.Header.deserializeBinary(p.getHeader_asU8())
  const ch = common.ChannelHeader.deserializeBinary(header.getChannelHeader_asU8())
  const sh = common.SignatureHeader.deserializeBinary(header.getSignatureHeader_asU8())
  const creator = msp.SerializedIdentity.deserializeBinary(sh.getCreator_asU8())
  const ext = peer.ChaincodeHeaderExtension.deserializeBinary(ch.getExtension_asU8())
  const payload = peer.ChaincodeProposalPayload.deserializeBinary(p.getPayload_asU8())
  const cis = peer.ChaincodeInvocationSpec.deserializeBinary(payload.getInput_asU8())
  return {
    args: cis.getChaincodeSpec()?.getInput()?.getArgsList_asU8() ?? [],
    chaincode: ext.getChaincodeId()?.getName() ?? '',
    channel: ch.getChannelId(),
    creator: {idBytes: Buffer.from(creator.getIdBytes_asU8()).toString('utf8'), mspId: creator.getMspid()},
    headerType: ch.getType(),
    nonce: sh.getNonce_asU8(),
    txId: ch.getTxId(),
  }
}
