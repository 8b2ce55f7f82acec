/**
 * The orderer's Deliver service as a probe: a signed SeekInfo for the channel's newest block header
 * (`/orderer.AtomicBroadcast/Deliver`), the request `peer channel fetch newest` makes. The orderer answers with the
 * block, then a status: SUCCESS, NOT_FOUND (it does not serve the channel), FORBIDDEN (the signer is not a reader of
 * the channel), SERVICE_UNAVAILABLE (no leader yet).
 */
import {randomBytes} from 'node:crypto'

import type {GrpcClient} from '../../fabric/grpc.js'
import type {SigningIdentity} from '../../fabric/identity.js'

import {computeTxId, serializedIdentity} from '../../fabric/proposal.js'
import {common, orderer, Timestamp} from '../../fabric/protos.js'

/** The signed Envelope asking for the newest block's header on `channel`. */
export async function seekNewestEnvelope(id: SigningIdentity, channel: string): Promise<common.Envelope> {
  const creator = serializedIdentity(id)
  const nonce = randomBytes(24)
  const ch = new common.ChannelHeader()
  ch.setType(common.HeaderType.DELIVER_SEEK_INFO)
  ch.setVersion(0)
  ch.setTimestamp(Timestamp.fromDate(new Date()) as never)
  ch.setChannelId(channel)
  ch.setTxId(computeTxId(nonce, creator))
  ch.setEpoch(0)
  const sh = new common.SignatureHeader()
  sh.setCreator(creator)
  sh.setNonce(nonce)
  const header = new common.Header()
  header.setChannelHeader(ch.serializeBinary())
  header.setSignatureHeader(sh.serializeBinary())

  const newest = () => {
    const p = new orderer.SeekPosition()
    p.setNewest(new orderer.SeekNewest())
    return p
  }

  const seek = new orderer.SeekInfo()
  seek.setStart(newest())
  seek.setStop(newest())
  seek.setBehavior(orderer.SeekInfo.SeekBehavior.FAIL_IF_NOT_READY)
  seek.setContentType(orderer.SeekInfo.SeekContentType.HEADER_WITH_SIG)

  const payload = new common.Payload()
  payload.setHeader(header)
  payload.setData(seek.serializeBinary())
  const bytes = payload.serializeBinary()
  const env = new common.Envelope()
  env.setPayload(bytes)
  env.setSignature(await id.sign(bytes))
  return env
}

export type DeliverOutcome = {block: number; status: 200} | {info: string; status: number}

const STATUS_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(common.Status).map(([k, v]) => [v as number, k]),
)

export function statusName(status: number): string {
  return STATUS_NAMES[status] ?? String(status)
}

/** Send the envelope and read until the status; the newest block number on SUCCESS. */
export async function deliverNewest(
  client: GrpcClient,
  env: common.Envelope,
  timeoutMs: number,
): Promise<DeliverOutcome> {
  return new Promise((resolve, reject) => {
    let block: number | undefined
    const call = client.call('/orderer.AtomicBroadcast/Deliver', {deadline: Date.now() + timeoutMs})
    let settled = false
    const settle = (f: () => void) => {
      if (settled) return
      settled = true
      f()
      call.cancel()
    }

    call.on('data', (bytes: Buffer) => {
      const r = orderer.DeliverResponse.deserializeBinary(bytes)
      if (r.getTypeCase() === orderer.DeliverResponse.TypeCase.BLOCK) {
        block = r.getBlock()?.getHeader()?.getNumber()
        return
      }

      const status = r.getStatus()
      settle(() =>
        resolve(
          status === common.Status.SUCCESS && block !== undefined
            ? {block, status: 200}
            : {info: statusName(status), status},
        ),
      )
    })
    call.on('error', (error) => settle(() => reject(error)))
    call.on('end', () => settle(() => reject(new Error('the orderer closed the Deliver stream without a status'))))
    call.write(env.serializeBinary())
    call.end()
  })
}
