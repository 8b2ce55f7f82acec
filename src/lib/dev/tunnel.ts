/**
 * fabk8s's end of the dev tunnel: a small pool of idle streams to the relay's tunnel port (port-forward streams
 * through the Kubernetes API in real use, plain sockets in tests). When the relay takes a stream for a peer
 * connection (OPEN frame), the pool connects it to the local chaincode, carries the bytes (splice, FIN frames
 * for half-closes) and opens a replacement, so an idle stream is always waiting for the next peer connection.
 * The protocol is described in relay/program.js.
 */
import type {Duplex} from 'node:stream'

import net from 'node:net'
import {setTimeout as sleep} from 'node:timers/promises'

import {ACK, FramedStream, HELLO, OPEN, PROTOCOL_VERSION, RST, splice} from './relay/program.js'

export interface PeerConnection {
  /** The relay's number for the connection (counts up from 1 per relay pod). */
  id: number
  /** The peer's address as the relay saw it (ip:port; a node address when it came through a NodePort). */
  peer: string
}

export interface PeerClosed extends PeerConnection {
  /** Bytes from the chaincode to the peer. */
  bytesIn: number
  /** Bytes from the peer to the chaincode. */
  bytesOut: number
  /** `closed` when both sides finished, otherwise why it was reset. */
  reason: string
  seconds: number
}

export interface TunnelPoolOptions {
  /** Connect to the local chaincode; may wait while it (re)starts. Rejects when it cannot be reached. */
  connectLocal: () => Promise<net.Socket>
  onPeer?: (c: PeerConnection) => void
  onPeerClosed?: (c: PeerClosed) => void
  /** Streams open again after trouble. */
  onStreamsOk?: () => void
  /** Opening streams fails, or they die young (the first time, then at every change of message). */
  onStreamTrouble?: (message: string) => void
  /** Open one stream to the relay's tunnel port. */
  open: () => Promise<Duplex>
  /** Idle streams kept open (default 3). */
  size?: number
}

const BACKOFF_MS = [100, 250, 500, 1000, 2000, 5000]

export class TunnelPool {
  /** Streams that carry a connection right now. */
  active = 0
  private failures = 0
  /** Streams open and idle, or being opened. */
  private idleOrOpening = new Set<Duplex | Promise<unknown>>()
  private lastTrouble: string | undefined
  private readonly size: number
  private stopped = false
  private readonly streams = new Set<Duplex>()
  private timer: NodeJS.Timeout | undefined

  constructor(private readonly o: TunnelPoolOptions) {
    this.size = o.size ?? 3
  }

  get idle(): number {
    return this.idleOrOpening.size
  }

  start(): void {
    this.fill()
  }

  /** Close every stream: idle ones end, connections in progress are reset (the peers redial the real chaincode). */
  async stop(): Promise<void> {
    this.stopped = true
    if (this.timer) clearTimeout(this.timer)
    for (const s of this.streams) s.destroy()
    this.streams.clear()
    this.idleOrOpening.clear()
  }

  private adopt(stream: Duplex): void {
    this.streams.add(stream)
    this.idleOrOpening.add(stream)
    const ft = new FramedStream(stream)
    const opened = Date.now()
    let taken = false
    let lastError: string | undefined
    stream.on('error', (error) => {
      lastError = error.message
    })
    const lost = () => {
      this.streams.delete(stream)
      if (!this.idleOrOpening.delete(stream) || taken || this.stopped) return
      // An idle stream ended (relay pod gone or restarting; the apiserver or kubelet dropped it): replace it,
      // after a pause that grows while streams keep dying young.
      if (Date.now() - opened > 10_000) this.failures = 0
      this.failures++
      if (lastError) this.trouble(lastError)
      this.schedule()
    }

    stream.on('close', lost)
    stream.on('end', () => {
      if (!taken) stream.destroy()
    })
    ft.onFrame = (type, payload) => {
      if (type !== OPEN || taken) {
        stream.destroy()
        return
      }

      taken = true
      ft.send(ACK)
      this.idleOrOpening.delete(stream)
      this.failures = 0
      this.fill()
      let conn: PeerConnection
      try {
        const o = JSON.parse(payload.toString()) as {id?: unknown; peer?: unknown}
        conn = {id: Number(o.id), peer: String(o.peer)}
      } catch {
        conn = {id: 0, peer: 'unknown'}
      }

      this.carry(stream, ft, conn)
    }

    ft.send(HELLO, JSON.stringify({v: PROTOCOL_VERSION}))
  }

  private async carry(stream: Duplex, ft: FramedStream, conn: PeerConnection): Promise<void> {
    this.active++
    const t0 = process.hrtime.bigint()
    this.o.onPeer?.(conn)
    // hold what the peer sends while the local chaincode is reached (it may be restarting)
    const pending: [number, Buffer][] = []
    ft.onFrame = (type, payload) => pending.push([type, Buffer.from(payload)])
    stream.pause()
    let result = {fromPlain: 0, reason: '', toPlain: 0}
    try {
      const local = await this.o.connectLocal()
      if (stream.destroyed) {
        local.destroy()
        result.reason = 'the peer went away while the chaincode was starting'
      } else {
        result = await splice(local, ft, pending)
      }
    } catch (error) {
      result.reason = (error as Error).message
      ft.send(RST, result.reason)
      stream.end()
    } finally {
      this.active--
      this.streams.delete(stream)
      this.o.onPeerClosed?.({
        ...conn,
        bytesIn: result.fromPlain,
        bytesOut: result.toPlain,
        reason: result.reason,
        seconds: Math.round(Number(process.hrtime.bigint() - t0) / 1e7) / 100,
      })
    }
  }

  private fill(): void {
    while (!this.stopped && this.idleOrOpening.size < this.size) {
      const opening: Promise<unknown> = this.o.open().then(
        (stream) => {
          this.idleOrOpening.delete(opening)
          if (this.stopped) {
            stream.destroy()
            return
          }

          if (this.lastTrouble !== undefined) {
            this.lastTrouble = undefined
            this.o.onStreamsOk?.()
          }

          this.adopt(stream)
        },
        (error: unknown) => {
          this.idleOrOpening.delete(opening)
          if (this.stopped) return
          this.failures++
          this.trouble((error as Error).message)
          this.schedule()
        },
      )
      this.idleOrOpening.add(opening)
    }
  }

  private schedule(): void {
    if (this.timer || this.stopped) return
    const ms = BACKOFF_MS[Math.min(this.failures, BACKOFF_MS.length) - 1] ?? 0
    this.timer = setTimeout(() => {
      this.timer = undefined
      this.fill()
    }, ms)
  }

  private trouble(message: string): void {
    if (message === this.lastTrouble) return
    this.lastTrouble = message
    this.o.onStreamTrouble?.(message)
  }
}

/**
 * Connect to host:port, retrying while nothing listens yet (the chaincode is being rebuilt or restarted), until
 * `waitMs` has passed or `signal` aborts.
 */
export async function connectWithRetry(
  port: number,
  o: {host?: string; retryMs?: number; signal?: AbortSignal; waitMs: number},
): Promise<net.Socket> {
  const deadline = Date.now() + o.waitMs
  const host = o.host ?? '127.0.0.1'
  for (;;) {
    try {
      return await new Promise<net.Socket>((resolve, reject) => {
        const s = net.connect({allowHalfOpen: true, host, noDelay: true, port})
        s.once('connect', () => {
          s.off('error', reject)
          resolve(s)
        })
        s.once('error', reject)
      })
    } catch (error) {
      const {code} = error as NodeJS.ErrnoException
      if (o.signal?.aborted) throw new Error('stopping')
      if ((code !== 'ECONNREFUSED' && code !== 'ECONNRESET') || Date.now() >= deadline)
        throw new Error(
          code === 'ECONNREFUSED'
            ? `the local chaincode did not listen on ${host}:${port} within ${o.waitMs / 1000}s`
            : `cannot reach the local chaincode at ${host}:${port}: ${(error as Error).message}`,
        )
      await sleep(o.retryMs ?? 100)
    }
  }
}
