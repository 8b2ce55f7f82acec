/**
 * Submitting a signed transaction Envelope to the orderer: `/orderer.AtomicBroadcast/Broadcast`, a bidirectional
 * stream that answers each envelope with a BroadcastResponse (status SUCCESS, or why it was refused). The orderer only
 * checks the envelope (format, channel, the channel's Writers policy) and queues it for the next block; whether the
 * transaction is valid is decided by the peers when they commit the block (see deliver.ts).
 */
import type {GrpcClient, GrpcError} from './grpc.js'

import {FabError} from '../errors.js'
import {type ErrContext, mapFabricError} from './errmap.js'
import {common, orderer} from './protos.js'

const STATUS_HINT: Record<number, string> = {
  [common.Status.BAD_REQUEST]:
    'the orderer could not accept the envelope (malformed, a stale timestamp, or a signature it could not verify); the info above says which',
  [common.Status.FORBIDDEN]:
    "the signer may not write to the channel (its Writers policy): is mspPath an identity of a channel member org, signed by that org's CA?",
  [common.Status.NOT_FOUND]:
    'the orderer does not serve this channel: check network.channel and network.orderer in fabk8s.yaml',
  [common.Status.REQUEST_ENTITY_TOO_LARGE]: "the transaction is larger than the channel's AbsoluteMaxBytes",
  [common.Status.SERVICE_UNAVAILABLE]: 'the orderer has no Raft leader or is still starting: retry in a moment',
}

export function statusName(code: number): string {
  return Object.entries(common.Status).find(([, v]) => v === code)?.[0] ?? String(code)
}

/** The orderer refused an envelope: its status (BAD_REQUEST, FORBIDDEN, …) and info. */
export class OrdererRejected extends FabError {
  constructor(
    readonly status: number,
    readonly info: string,
    ctx: {address: string; op: string; txId?: string},
  ) {
    super(
      'FABRIC',
      `orderer ${ctx.address} rejected ${ctx.txId ? `transaction ${ctx.txId}` : 'the transaction'} (${ctx.op}): ${statusName(status)}${info ? ` (${info})` : ''}`,
      {detail: {info, orderer: ctx.address, status: statusName(status), txId: ctx.txId}, hint: STATUS_HINT[status]},
    )
  }
}

/**
 * Send one envelope (serialised common.Envelope) on a Broadcast stream and wait for the orderer's answer. A refusal is
 * an OrdererRejected; a gRPC failure (unreachable, TLS) is mapped with the orderer named as such.
 */
export function broadcast(
  client: GrpcClient,
  envelope: Uint8Array,
  ctx: ErrContext & {timeoutMs: number; txId?: string},
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let settled = false
    const call = client.call('/orderer.AtomicBroadcast/Broadcast', {deadline: Date.now() + ctx.timeoutMs})
    const done = (err?: Error) => {
      if (settled) return
      settled = true
      call.removeAllListeners('data')
      call.end()
      // a stream the orderer already answered on is finished with end(); cancel only one that failed
      if (err) {
        call.cancel()
        reject(err)
      } else resolve()
    }

    call.on('data', (bytes: Buffer) => {
      const r = orderer.BroadcastResponse.deserializeBinary(bytes)
      const status = r.getStatus()
      if (status === common.Status.SUCCESS) done()
      else done(new OrdererRejected(status, r.getInfo(), ctx))
    })
    call.on('error', (error: GrpcError) => done(mapFabricError(error, {...ctx, role: 'orderer'})))
    call.on('end', () =>
      done(
        new FabError('FABRIC', `orderer ${ctx.address} closed the Broadcast stream without an answer (${ctx.op})`, {
          hint: 'see the orderer log',
        }),
      ),
    )
    call.write(envelope)
  })
}
