/**
 * Commit status from a peer's deliver service: `/protos.Deliver/DeliverFiltered`, a stream of filtered blocks (each
 * transaction's ID and validation code, no payloads). The stream is opened with a signed SeekInfo envelope (newest
 * block → no end, wait for new blocks) and is ready once the peer has sent the newest block it has: a transaction
 * broadcast after that is in a later block, so none is missed. One watcher serves every transaction of a run.
 */
import type {Call, GrpcClient, GrpcError} from './grpc.js'
import type {SigningIdentity} from './identity.js'

import {FabError} from '../errors.js'
import {type ErrContext, mapFabricError} from './errmap.js'
import {statusName} from './orderer.js'
import {buildHeader} from './proposal.js'
import {common, orderer, peer} from './protos.js'

export interface TxStatus {
  block: number
  /** TxValidationCode, e.g. 0 (VALID), 11 (MVCC_READ_CONFLICT). */
  code: number
  txId: string
  /** The code's name, e.g. VALID, ENDORSEMENT_POLICY_FAILURE. */
  validation: string
}

export function validationName(code: number): string {
  return Object.entries(peer.TxValidationCode).find(([, v]) => v === code)?.[0] ?? String(code)
}

const DELIVER_HINT: Record<number, string> = {
  [common.Status.BAD_REQUEST]:
    "the peer refused the request: is this machine's clock within the peer's authentication time window (15 min)?",
  [common.Status.FORBIDDEN]: "the identity is not a reader of the channel (the channel's Readers policy)",
  [common.Status.NOT_FOUND]: 'the peer has not joined the channel: check network.channel in fabk8s.yaml',
  [common.Status.SERVICE_UNAVAILABLE]: 'the peer is not ready to deliver blocks: retry in a moment',
}

/** The signed SeekInfo envelope: from the newest block, with no end, waiting for blocks to come. */
export async function seekEnvelope(id: SigningIdentity, channel: string, now?: Date): Promise<Uint8Array> {
  const {header} = buildHeader(id, {channel, now, type: common.HeaderType.DELIVER_SEEK_INFO})
  const start = new orderer.SeekPosition()
  start.setNewest(new orderer.SeekNewest())
  const stopAt = new orderer.SeekSpecified()
  stopAt.setNumber(Number.MAX_SAFE_INTEGER)
  const stop = new orderer.SeekPosition()
  stop.setSpecified(stopAt)
  const seek = new orderer.SeekInfo()
  seek.setStart(start)
  seek.setStop(stop)
  seek.setBehavior(orderer.SeekInfo.SeekBehavior.BLOCK_UNTIL_READY)
  const payload = new common.Payload()
  payload.setHeader(header)
  payload.setData(seek.serializeBinary())
  const bytes = payload.serializeBinary()
  const env = new common.Envelope()
  env.setPayload(bytes)
  env.setSignature(await id.sign(bytes))
  return env.serializeBinary()
}

interface Waiter {
  reject(e: Error): void
  resolve(s: TxStatus): void
}

/** Filtered blocks from one peer, from the moment it is ready; `wait(txId)` gives that transaction's status. */
export class CommitWatcher {
  /** The last block seen (-1 before the first). */
  height = -1
  /** Resolves with the newest block's number once the peer delivers it; the watcher is then positioned. */
  readonly ready: Promise<number>
  private closed = false
  private failure?: Error
  private readonly seen = new Map<string, TxStatus>()
  private readonly waiters = new Map<string, Waiter[]>()

  constructor(
    private readonly call: Call,
    readonly ctx: ErrContext,
  ) {
    let onReady!: (n: number) => void
    let onFail!: (e: Error) => void
    this.ready = new Promise<number>((resolve, reject) => {
      onReady = resolve
      onFail = reject
    })
    // a watcher that failed before anyone awaited `ready` must not be an unhandled rejection
    this.ready.catch(() => {})
    call.on('data', (bytes: Buffer) => {
      const r = peer.DeliverResponse.deserializeBinary(bytes)
      if (r.getTypeCase() === peer.DeliverResponse.TypeCase.FILTERED_BLOCK) {
        const b = r.getFilteredBlock()!
        const block = b.getNumber()
        for (const t of b.getFilteredTransactionsList()) {
          const code = t.getTxValidationCode()
          this.record({block, code, txId: t.getTxid(), validation: validationName(code)})
        }

        if (this.height < 0) onReady(block)
        this.height = block
      } else if (r.getTypeCase() === peer.DeliverResponse.TypeCase.STATUS) {
        // the peer ends a seek with a status: anything but SUCCESS is a refusal; SUCCESS cannot come (no end block)
        const st = r.getStatus()
        this.fail(
          new FabError(
            'FABRIC',
            `peer ${ctx.address}'s deliver service refused the commit-status stream for ${ctx.mspId ?? 'this identity'}: ${statusName(st)} (${ctx.op})`,
            {detail: {address: ctx.address, status: statusName(st)}, hint: DELIVER_HINT[st]},
          ),
          onFail,
        )
      }
    })
    call.on('error', (e: GrpcError) => this.fail(mapFabricError(e, ctx), onFail))
    call.on('end', () =>
      this.fail(
        new FabError('FABRIC', `peer ${ctx.address} ended the commit-status stream (${ctx.op})`, {
          hint: 'see the peer log',
        }),
        onFail,
      ),
    )
  }

  /** Open DeliverFiltered on a peer's client and send the seek; await `ready` before broadcasting. */
  static async open(client: GrpcClient, id: SigningIdentity, channel: string, ctx: ErrContext): Promise<CommitWatcher> {
    const call = client.call('/protos.Deliver/DeliverFiltered')
    const w = new CommitWatcher(call, ctx)
    call.write(await seekEnvelope(id, channel))
    return w
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    this.call.removeAllListeners('data')
    this.call.on('error', () => {})
    this.call.cancel()
    for (const list of this.waiters.values()) for (const w of list) w.reject(new FabError('ABORTED', 'closed'))
    this.waiters.clear()
  }

  /**
   * The status of `txId` when a block carrying it arrives (also when it arrived before this call). Rejects when the
   * stream fails or after `timeoutMs`, saying that the transaction may still commit.
   */
  wait(txId: string, timeoutMs: number): Promise<TxStatus> {
    const known = this.seen.get(txId)
    if (known) return Promise.resolve(known)
    if (this.failure) return Promise.reject(this.failure)
    return new Promise<TxStatus>((resolve, reject) => {
      const timer = setTimeout(() => {
        const list = this.waiters.get(txId) ?? []
        this.waiters.set(
          txId,
          list.filter((w) => w !== waiter),
        )
        reject(
          new FabError(
            'FABRIC',
            `transaction ${txId} was not seen committed on peer ${this.ctx.address} within ${Math.round(timeoutMs / 1000)} s (last block ${this.height}; ${this.ctx.op}); it may still commit`,
            {
              detail: {address: this.ctx.address, lastBlock: this.height, txId},
              hint: 'check the orderer and peer logs',
            },
          ),
        )
      }, timeoutMs)
      const waiter: Waiter = {
        reject(e) {
          clearTimeout(timer)
          reject(e)
        },
        resolve(s) {
          clearTimeout(timer)
          resolve(s)
        },
      }
      this.waiters.set(txId, [...(this.waiters.get(txId) ?? []), waiter])
    })
  }

  private fail(e: Error, onFail: (e: Error) => void): void {
    if (this.closed || this.failure) return
    this.failure = e
    onFail(e)
    for (const list of this.waiters.values()) for (const w of list) w.reject(e)
    this.waiters.clear()
  }

  private record(s: TxStatus): void {
    // keep what a later wait() may ask for; a run watches a handful of transactions, blocks carry more: bound it
    if (this.seen.size > 10_000) this.seen.clear()
    // the first status of a tx ID counts (a later duplicate is DUPLICATE_TXID and says nothing about the first)
    if (!this.seen.has(s.txId)) this.seen.set(s.txId, s)
    const list = this.waiters.get(s.txId)
    if (list) {
      this.waiters.delete(s.txId)
      for (const w of list) w.resolve(this.seen.get(s.txId)!)
    }
  }
}
