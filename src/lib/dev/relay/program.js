/**
 * The relay `fabk8s dev` runs in place of the chaincode's pods, and the tunnel protocol both ends speak.
 *
 * Plain JavaScript with nothing but Node's own modules: the same file runs inside the relay image
 * (`node /relay/relay.mjs`) and is imported by fabk8s for the protocol (src/lib/dev/tunnel.ts).
 *
 * The relay listens on two ports:
 *  - the chaincode port, on every interface: the peers dial it through the chaincode's Service, exactly as they
 *    would dial the chaincode;
 *  - the tunnel port, on 127.0.0.1 only: nothing in the cluster can reach it; `fabk8s dev` reaches it through
 *    port-forward streams (the Kubernetes API → kubelet → a TCP connection to localhost inside the pod) and keeps
 *    a few of them open and idle.
 * Each peer connection is paired with one idle tunnel stream and its bytes are carried both ways untouched, so
 * TLS and mutual TLS pass through end to end (the relay never sees a key).
 *
 * Frames on a tunnel stream: 1 byte type, 4 bytes big-endian payload length, payload.
 *   fabk8s → relay  HELLO {"v":1}         first frame of every stream: it is open and idle
 *   relay → fabk8s  OPEN {"id","peer"}    the stream is now taken by a peer connection; fabk8s connects it to the
 *                                         local chaincode and opens a replacement stream
 *   fabk8s → relay  ACK                   the stream is alive and taken: only now does the relay send the peer's
 *                                         bytes. A stream that died unnoticed (fabk8s restarted, the API server
 *                                         dropped it) gives no ACK, and the relay tries the next one: the peer's
 *                                         bytes are still in hand, so nothing is lost
 *   both ways       DATA bytes            the connection's bytes
 *   both ways       FIN                   the sender's side of the connection ended (a TCP half-close)
 *   both ways       RST reason            the connection failed; the receiver resets its socket
 * A stream carries one connection and ends when both FINs have crossed, or at RST. Half-closes travel as FIN
 * frames because port-forward cannot carry them: the kubelet's forwarder (containerd's, CRI-O's) tears the whole
 * stream down shortly after one direction reaches end-of-file.
 */
import net from 'node:net'
import {pathToFileURL} from 'node:url'

export const HELLO = 1
export const OPEN = 2
export const DATA = 3
export const FIN = 4
export const RST = 5
export const ACK = 6
export const PROTOCOL_VERSION = 1
const HEADER = 5
/** Largest payload a frame may carry; bigger chunks are split. */
export const MAX_PAYLOAD = 1 << 20

const EMPTY = Buffer.alloc(0)

/**
 * One frame.
 * @param {number} type
 * @param {Buffer | string} [payload]
 * @returns {Buffer}
 */
export function encodeFrame(type, payload = EMPTY) {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload
  const head = Buffer.allocUnsafe(HEADER)
  head.writeUInt8(type, 0)
  head.writeUInt32BE(body.length, 1)
  return Buffer.concat([head, body])
}

/**
 * A framed stream: frames in (parsed from the byte stream, handed to `onFrame`), frames out (`send`). The handler
 * can be swapped as the stream changes hands (idle → carrying a connection).
 */
export class FramedStream {
  /**
   * @param {import('node:stream').Duplex} stream
   */
  constructor(stream) {
    this.stream = stream
    /** @type {Buffer} */
    this.buf = EMPTY
    /** @type {(type: number, payload: Buffer) => void} */
    this.onFrame = () => {}
    /** @type {(error: Error) => void} */
    this.onProtocolError = () => stream.destroy()
    stream.on('data', (/** @type {Buffer} */ chunk) => {
      try {
        this.push(chunk)
      } catch (error) {
        this.onProtocolError(/** @type {Error} */ (error))
      }
    })
  }

  /**
   * Parse bytes into frames.
   * @param {Buffer} chunk
   */
  push(chunk) {
    this.buf = this.buf.length > 0 ? Buffer.concat([this.buf, chunk]) : chunk
    while (this.buf.length >= HEADER) {
      const type = this.buf.readUInt8(0)
      const length = this.buf.readUInt32BE(1)
      if (type < HELLO || type > ACK || length > MAX_PAYLOAD)
        throw new Error(`tunnel protocol: bad frame (type ${type}, length ${length})`)
      if (this.buf.length < HEADER + length) break
      const payload = this.buf.subarray(HEADER, HEADER + length)
      this.buf = this.buf.subarray(HEADER + length)
      this.onFrame(type, payload)
      if (this.stream.destroyed) return
    }
  }

  /**
   * Send one frame (DATA split at MAX_PAYLOAD); false when the stream's buffer is full (wait for 'drain').
   * @param {number} type
   * @param {Buffer | string} [payload]
   * @returns {boolean}
   */
  send(type, payload = EMPTY) {
    if (this.stream.destroyed || this.stream.writableEnded) return true
    const body = typeof payload === 'string' ? Buffer.from(payload) : payload
    let ok = true
    for (let at = 0; at === 0 || at < body.length; at += MAX_PAYLOAD)
      ok = this.stream.write(encodeFrame(type, body.subarray(at, at + MAX_PAYLOAD))) && ok
    return ok
  }
}

/**
 * @typedef {object} SpliceResult
 * @property {number} fromPlain bytes read from the plain connection (sent into the tunnel)
 * @property {string} reason how it ended: `closed` (both sides finished), or why it was reset
 * @property {number} toPlain bytes written to the plain connection
 */

/**
 * Carry one connection over a tunnel stream until both directions have ended (or either side failed).
 * `plain` is the raw connection: the peer's socket in the relay, the local chaincode's socket in fabk8s; it must
 * allow half-open (a received FIN must not end our sending side). `pending` holds frames that arrived before.
 * @param {import('node:net').Socket} plain
 * @param {FramedStream} tunnel
 * @param {Array<[number, Buffer]>} [pending]
 * @returns {Promise<SpliceResult>}
 */
export function splice(plain, tunnel, pending = []) {
  return new Promise((resolve) => {
    const t = tunnel.stream
    const stats = {fromPlain: 0, toPlain: 0}
    let sentFin = false
    let gotFin = false
    let done = false
    /** @param {string} reason */
    const finish = (reason) => {
      if (done) return
      done = true
      resolve({...stats, reason})
    }

    /** @param {string} reason */
    const reset = (reason, tell = true) => {
      if (done) return
      if (tell) tunnel.send(RST, reason)
      t.end()
      plain.destroy()
      finish(reason)
    }

    const bothDone = () => {
      if (sentFin && gotFin) {
        t.end()
        finish('closed')
      }
    }

    tunnel.onProtocolError = (error) => reset(error.message)
    tunnel.onFrame = (type, payload) => {
      if (done) return
      switch (type) {
        case DATA: {
          stats.toPlain += payload.length
          if (!plain.write(payload)) t.pause()
          break
        }

        case FIN: {
          gotFin = true
          plain.end()
          bothDone()
          break
        }

        case RST: {
          reset(`reset by the other end: ${payload.toString() || 'no reason given'}`, false)
          break
        }

        default: {
          reset(`tunnel protocol: unexpected frame ${type} on a connection`)
        }
      }
    }

    plain.on('data', (/** @type {Buffer} */ chunk) => {
      stats.fromPlain += chunk.length
      if (!tunnel.send(DATA, chunk)) plain.pause()
    })
    t.on('drain', () => plain.resume())
    plain.on('drain', () => t.resume())
    plain.on('end', () => {
      sentFin = true
      tunnel.send(FIN)
      bothDone()
    })
    plain.on('error', (error) => reset(error.message))
    plain.on('close', () => {
      if (!done) reset('connection closed before both sides finished')
    })
    t.on('error', () => {})
    const tunnelGone = () => {
      if (!done) reset('tunnel stream closed', false)
    }

    t.on('end', tunnelGone)
    t.on('close', tunnelGone)
    for (const [type, payload] of pending) tunnel.onFrame(type, payload)
    plain.resume()
    t.resume()
  })
}

/**
 * Listen; resolves with the port.
 * @param {import('node:net').Server} server the server
 * @param {number} port 0 for any
 * @param {string} host the address
 * @returns {Promise<number>} the port it listens on
 */
function listen(server, port, host) {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve(/** @type {import('node:net').AddressInfo} */ (server.address()).port)
    })
  })
}

/**
 * @typedef {object} RelayOptions
 * @property {number} port the chaincode port the peers dial
 * @property {number} tunnelPort where fabk8s's port-forward streams arrive
 * @property {string} [host] address of the chaincode port (default every interface)
 * @property {string} [tunnelHost] address of the tunnel port (default 127.0.0.1)
 * @property {number} [waitMs] how long a peer connection waits for an idle stream (default 20 s)
 * @property {number} [helloMs] how long a new stream has to say HELLO (default 10 s)
 * @property {number} [ackMs] how long a stream has to answer OPEN with ACK before the next one is tried (default 5 s)
 * @property {number} [firstByteMs] how long a peer connection may stay silent before it is dropped (default 60 s)
 * @property {(line: string) => void} [log]
 */

/**
 * Start the relay.
 * @param {RelayOptions} o
 * @returns {Promise<{close: () => Promise<void>, idle: () => number, port: number, tunnelPort: number}>}
 */
export async function startRelay(o) {
  const log = o.log ?? ((/** @type {string} */ line) => console.log(line))
  const waitMs = o.waitMs ?? 20_000
  const helloMs = o.helloMs ?? 10_000
  const firstByteMs = o.firstByteMs ?? 60_000
  const ackMs = o.ackMs ?? 5000
  /** @type {FramedStream[]} */
  const idle = []
  /** @type {{peer: import('node:net').Socket, timer: NodeJS.Timeout}[]} */
  const waiting = []
  /** @type {Set<import('node:net').Socket>} */
  const sockets = new Set()
  let nextId = 0

  /**
   * @param {import('node:net').Socket} peer
   * @param {FramedStream} ft
   */
  const pair = (peer, ft) => {
    const id = ++nextId
    const from = `${peer.remoteAddress}:${peer.remotePort}`
    ft.send(OPEN, JSON.stringify({id, peer: from}))
    const s = ft.stream
    /** @param {string} why */
    const abandon = (why) => {
      clearTimeout(timer)
      s.off('end', gone)
      s.off('close', gone)
      s.destroy()
      if (peer.destroyed) return
      log(`relay: connection ${id} from ${from}: stream ${why}; trying another`)
      assign(peer)
    }

    const gone = () => abandon('closed before it answered')
    const timer = setTimeout(() => abandon(`gave no answer within ${ackMs / 1000}s`), ackMs)
    s.once('end', gone)
    s.once('close', gone)
    ft.onFrame = (type) => {
      if (type !== ACK) {
        abandon(`sent frame ${type} instead of ACK`)
        return
      }

      clearTimeout(timer)
      s.off('end', gone)
      s.off('close', gone)
      log(`relay: connection ${id} from ${from} → fabk8s dev (${idle.length} idle stream(s) left)`)
      const t0 = Date.now()
      splice(peer, ft).then((r) =>
        log(
          `relay: connection ${id} ended after ${((Date.now() - t0) / 1000).toFixed(1)}s (${r.reason}; ${r.fromPlain} bytes in, ${r.toPlain} out)`,
        ),
      )
    }
  }

  /** @param {FramedStream} ft */
  const offer = (ft) => {
    const w = waiting.shift()
    if (w) {
      clearTimeout(w.timer)
      pair(w.peer, ft)
    } else idle.push(ft)
  }

  const tunnels = net.createServer({allowHalfOpen: true, noDelay: true}, (sock) => {
    sockets.add(sock)
    const ft = new FramedStream(sock)
    let state = 'new'
    const timer = setTimeout(() => sock.destroy(), helloMs)
    ft.onFrame = (type) => {
      if (state === 'new' && type === HELLO) {
        clearTimeout(timer)
        state = 'idle'
        offer(ft)
      } else sock.destroy()
    }

    const gone = () => {
      clearTimeout(timer)
      sockets.delete(sock)
      const i = idle.indexOf(ft)
      if (i !== -1) idle.splice(i, 1)
    }

    sock.on('close', gone)
    sock.on('end', () => {
      if (idle.includes(ft) || state === 'new') sock.destroy()
    })
    sock.on('error', () => {})
  })

  /** @param {import('node:net').Socket} peer */
  const assign = (peer) => {
    const ft = idle.shift()
    if (ft) {
      pair(peer, ft)
      return
    }

    const from = `${peer.remoteAddress}:${peer.remotePort}`
    log(`relay: connection from ${from} waits: no idle stream from fabk8s dev`)
    const entry = {
      peer,
      timer: setTimeout(() => {
        const i = waiting.indexOf(entry)
        if (i !== -1) waiting.splice(i, 1)
        log(`relay: connection from ${from} dropped: no fabk8s dev within ${waitMs / 1000}s`)
        peer.destroy()
      }, waitMs),
    }
    waiting.push(entry)
    peer.on('close', () => {
      const i = waiting.indexOf(entry)
      if (i !== -1) {
        clearTimeout(entry.timer)
        waiting.splice(i, 1)
      }
    })
  }

  // A connection takes a stream only once it sends its first bytes. The peers speak first (a TLS ClientHello,
  // the HTTP/2 preface), while the kubelet's TCP probes and port scans connect and leave without a word: they
  // must not use up streams nor show up as peer connections.
  const peers = net.createServer({allowHalfOpen: true, noDelay: true}, (peer) => {
    sockets.add(peer)
    peer.on('close', () => sockets.delete(peer))
    peer.on('error', () => {})
    const silent = setTimeout(() => peer.destroy(), firstByteMs)
    const quiet = () => {
      clearTimeout(silent)
      peer.destroy()
    }

    peer.once('end', quiet)
    peer.once('data', (/** @type {Buffer} */ first) => {
      clearTimeout(silent)
      peer.off('end', quiet)
      peer.pause()
      peer.unshift(first)
      assign(peer)
    })
  })

  const tunnelPort = await listen(tunnels, o.tunnelPort, o.tunnelHost ?? '127.0.0.1')
  const port = await listen(peers, o.port, o.host ?? '0.0.0.0')
  log(`relay: peers → :${port}, fabk8s dev streams → ${o.tunnelHost ?? '127.0.0.1'}:${tunnelPort}`)
  return {
    async close() {
      for (const w of waiting) clearTimeout(w.timer)
      for (const s of sockets) s.destroy()
      await Promise.all(
        [tunnels, peers].map(
          (s) =>
            new Promise((resolve) => {
              s.close(resolve)
            }),
        ),
      )
    },
    idle: () => idle.length,
    port,
    tunnelPort,
  }
}

/* eslint-disable n/no-process-exit, unicorn/no-process-exit -- the relay program's own entry point */

/**
 * A port number from the environment, or exit 2 naming the variable.
 * @param {string} name the variable
 * @param {number} fallback when unset
 * @returns {number} the port
 */
function envPort(name, fallback) {
  const v = process.env[name]
  const n = v === undefined || v === '' ? fallback : Number(v)
  if (!Number.isInteger(n) || n < 0 || n > 65_535) {
    console.error(`relay: ${name}=${v} is not a port`)
    process.exit(2)
  }

  return n
}

/** `node relay.mjs`: ports from FABK8S_RELAY_PORT and FABK8S_RELAY_TUNNEL_PORT; exits 0 on SIGTERM/SIGINT. */
async function main() {
  const relay = await startRelay({
    port: envPort('FABK8S_RELAY_PORT', 9999),
    tunnelPort: envPort('FABK8S_RELAY_TUNNEL_PORT', 7901),
    waitMs: envPort('FABK8S_RELAY_WAIT_MS', 20_000),
  })
  for (const sig of /** @type {const} */ (['SIGTERM', 'SIGINT']))
    process.once(sig, () => {
      relay.close().finally(() => process.exit(0))
    })
}

// (no top-level await: fabk8s's own bundle, which holds this file for the tunnel's framing, is CommonJS)
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href)
  // eslint-disable-next-line unicorn/prefer-top-level-await -- see above
  main().catch((error) => {
    console.error(`relay: ${error instanceof Error ? error.message : error}`)
    process.exit(1)
  })
