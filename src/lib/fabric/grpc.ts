/**
 * The gRPC client fabk8s talks to peers and orderers with: gRPC over node:http2, TLS only, messages as bytes (the
 * callers encode and decode them with the Fabric protobufs). It does what fabk8s needs and nothing more: unary calls
 * and bidirectional streams, deadlines, the status in trailers (also trailers-only answers), no compression, one
 * HTTP/2 connection per address, made again after it fails or the server sends GOAWAY.
 *
 * Why not @grpc/grpc-js: a run of `fabk8s register` spent ≈ 25 ms of its start loading and running grpc-js's
 * channel machinery (resolvers, load balancers, subchannels, filters, retries) before its first byte reached a peer,
 * and it is CPU-bound until the first broadcast. Errors keep grpc-js's shape (`code`, `details`, message
 * "14 UNAVAILABLE: …"), which errmap.ts reads.
 *
 * Loaded lazily (session.ts imports it when the first connection is made): node:http2 alone costs ≈ 15 ms to load.
 */
import {EventEmitter} from 'node:events'
import http2, {type ClientHttp2Session, type ClientHttp2Stream, type IncomingHttpHeaders} from 'node:http2'

/** gRPC status codes (https://grpc.github.io/grpc/core/md_doc_statuscodes.html). */
export const Status = {
  ABORTED: 10,
  ALREADY_EXISTS: 6,
  CANCELLED: 1,
  DATA_LOSS: 15,
  DEADLINE_EXCEEDED: 4,
  FAILED_PRECONDITION: 9,
  INTERNAL: 13,
  INVALID_ARGUMENT: 3,
  NOT_FOUND: 5,
  OK: 0,
  OUT_OF_RANGE: 11,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  UNAUTHENTICATED: 16,
  UNAVAILABLE: 14,
  UNIMPLEMENTED: 12,
  UNKNOWN: 2,
} as const

const NAMES: Record<number, string> = Object.fromEntries(Object.entries(Status).map(([k, v]) => [v, k]))

/** One peer's error behind a Gateway's failure (gateway.ErrorDetail in the status details). */
export interface EndorserDetail {
  address: string
  message: string
  mspId: string
}

/**
 * A call that ended with a status other than OK: `code`, `details` and the message "14 UNAVAILABLE: details";
 * `endorsers`: the peers' own errors a Gateway attached (grpc-status-details-bin).
 */
export class GrpcError extends Error {
  constructor(
    readonly code: number,
    readonly details: string,
    readonly endorsers: EndorserDetail[] = [],
  ) {
    super(`${code} ${NAMES[code] ?? 'UNKNOWN'}: ${details}`)
    this.name = 'GrpcError'
  }
}

/**
 * The fields of a protobuf message: number → values (varints as numbers, length-delimited as bytes). A reader of its
 * own: the generated classes of google.rpc.Status and gateway.ErrorDetail would load on every start of a command that
 * connects, for the few errors that carry them.
 */
function protoFields(buf: Uint8Array): Map<number, (number | Uint8Array)[]> {
  const out = new Map<number, (number | Uint8Array)[]>()
  let i = 0
  const varint = () => {
    let v = 0
    for (let shift = 0; i < buf.length; shift += 7) {
      const b = buf[i++]
      v += (b & 0x7f) * 2 ** shift
      if (b < 0x80) break
    }

    return v
  }

  while (i < buf.length) {
    const key = varint()
    const wire = key & 7
    let value: number | Uint8Array = 0
    switch (wire) {
      case 0: {
        value = varint()
        break
      }

      case 1:
      case 5: {
        // fixed64 / fixed32: no field read here has them
        i += wire === 1 ? 8 : 4
        break
      }

      case 2: {
        const len = varint()
        value = buf.subarray(i, i + len)
        i += len
        break
      }

      default: {
        return out
      }
    }

    const n = Math.floor(key / 8)
    out.set(n, [...(out.get(n) ?? []), value])
  }

  return out
}

/** A string field of a decoded message ('' when absent). */
function protoText(f: Map<number, (number | Uint8Array)[]>, n: number): string {
  const v = f.get(n)?.[0]
  return v instanceof Uint8Array ? Buffer.from(v).toString('utf8') : ''
}

/**
 * The gateway.ErrorDetail entries of a grpc-status-details-bin trailer (a google.rpc.Status whose details are Any
 * messages); none when it is absent or holds something else.
 */
export function endorserDetails(header?: string | string[]): EndorserDetail[] {
  const raw = Array.isArray(header) ? header[0] : header
  if (!raw) return []

  const out: EndorserDetail[] = []
  for (const any of protoFields(Buffer.from(raw, 'base64')).get(3) ?? []) {
    if (!(any instanceof Uint8Array)) continue
    const a = protoFields(any)
    const value = a.get(2)?.[0]
    if (!protoText(a, 1).endsWith('/gateway.ErrorDetail') || !(value instanceof Uint8Array)) continue
    const d = protoFields(value)
    out.push({address: protoText(d, 1), message: protoText(d, 3), mspId: protoText(d, 2)})
  }

  return out
}

export interface ClientOptions {
  /** PEM of the CA(s) the server's TLS certificate must chain to. */
  ca: Buffer | string
  /** How long the connection may take to be up (default CONNECT_TIMEOUT_MS). */
  connectTimeoutMs?: number
  /** The name the server's certificate must carry, when it is not the address's host (also sent as SNI). */
  hostnameOverride?: string
  /** Largest message accepted from the server (default 100 MiB). */
  maxReceiveBytes?: number
}

/** One call: `write` messages, `end` the sending side; 'data' (each message), then 'end' (status OK) or 'error'. */
export interface Call {
  cancel(): void
  end(): void
  on(event: 'data', listener: (message: Buffer) => void): this
  on(event: 'end', listener: () => void): this
  on(event: 'error', listener: (error: GrpcError) => void): this
  removeAllListeners(event?: string): this
  write(message: Uint8Array): void
}

/** HTTP status → gRPC code, for an answer that is not gRPC (a proxy, a plain HTTP/2 server): gRPC's own table. */
function httpStatusCode(status: number): number {
  if (status === 400) return Status.INTERNAL
  if (status === 401) return Status.UNAUTHENTICATED
  if (status === 403) return Status.PERMISSION_DENIED
  if (status === 404) return Status.UNIMPLEMENTED
  if ([429, 502, 503, 504].includes(status)) return Status.UNAVAILABLE
  return Status.UNKNOWN
}

/** RST_STREAM code → gRPC code (gRPC's HTTP/2 mapping). */
function rstCode(code: number): number {
  const c = http2.constants
  if (code === c.NGHTTP2_REFUSED_STREAM) return Status.UNAVAILABLE
  if (code === c.NGHTTP2_CANCEL) return Status.CANCELLED
  if (code === c.NGHTTP2_ENHANCE_YOUR_CALM) return Status.RESOURCE_EXHAUSTED
  if (code === c.NGHTTP2_INADEQUATE_SECURITY) return Status.PERMISSION_DENIED
  return Status.INTERNAL
}

/** grpc-timeout: at most 8 digits and a unit. */
function timeoutHeader(ms: number): string {
  const m = Math.max(1, Math.ceil(ms))
  return m < 1e8 ? `${m}m` : `${Math.min(99_999_999, Math.ceil(m / 1000))}S`
}

function decodeMessage(raw: string | string[] | undefined): string {
  const text = Array.isArray(raw) ? raw.join(',') : (raw ?? '')
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}

/**
 * How long a connection may take to be up (TCP and the TLS handshake) before the calls waiting on it fail with the
 * reason: a server that accepts and never answers would otherwise hold them until their deadline (60 s), and be taken
 * for a slow chaincode. Fabric's peer CLI gives a connection 3 s (--connTimeout).
 */
export const CONNECT_TIMEOUT_MS = 10_000

export class GrpcClient {
  /** Why the last connection failed (a refused connection, a TLS failure), for the calls it took down. */
  private failure?: Error
  private session?: ClientHttp2Session

  constructor(
    readonly address: string,
    private readonly opts: ClientOptions,
  ) {}

  /** Open a call on `path` (e.g. /protos.Endorser/ProcessProposal); with a deadline, it fails DEADLINE_EXCEEDED after it. */
  call(path: string, o: {deadline?: number} = {}): Call {
    return new ClientCall(this, path, o.deadline, this.opts.maxReceiveBytes ?? 100 * 1024 * 1024)
  }

  close(): void {
    const s = this.session
    this.session = undefined
    s?.close()
  }

  /** Start connecting now (TLS handshake), so that it overlaps other work. */
  connect(): void {
    this.connection()
  }

  /** The connection, made when there is none or the last one is closed, failed or going away. */
  connection(): ClientHttp2Session {
    const open = this.session
    if (open && !open.closed && !open.destroyed) return open
    this.failure = undefined
    const s = http2.connect(`https://${this.address}`, {
      ca: this.opts.ca,
      // the host of the address is checked against the certificate unless another name is given
      ...(this.opts.hostnameOverride ? {servername: this.opts.hostnameOverride} : {}),
    })
    s.on('error', (error: Error) => {
      this.failure = error
    })
    const connectMs = this.opts.connectTimeoutMs ?? CONNECT_TIMEOUT_MS
    const timer = setTimeout(() => {
      // worded for the unreachable case of errmap.ts: the server said nothing, so its certificate is not in question
      this.failure = new Error(`the connection was accepted, but nothing answered within ${connectMs / 1000} s`)
      s.destroy(this.failure)
    }, connectMs)
    timer.unref()
    s.once('connect', () => clearTimeout(timer))
    s.once('close', () => clearTimeout(timer))
    const drop = () => {
      if (this.session === s) this.session = undefined
    }

    s.on('close', drop)
    s.on('goaway', drop)
    this.session = s
    return s
  }

  /**
   * Why the connection under a call failed (refused, TLS, unknown host), as grpc-js words it; undefined when it did
   * not fail. A stream that was waiting for the connection fails with "pending stream canceled", caused by that error.
   */
  connectionFailure(streamError?: Error): GrpcError | undefined {
    const cause = this.failure ?? ((streamError?.cause as Error | undefined) || streamError)
    if (!cause || (cause as {code?: string}).code?.startsWith('ERR_HTTP2_')) return undefined
    return new GrpcError(Status.UNAVAILABLE, `No connection established. Last error: ${cause.message}`)
  }

  /** Headers of a new call. */
  headers(path: string, deadline?: number): http2.OutgoingHttpHeaders {
    return {
      ':authority': this.opts.hostnameOverride ?? this.address,
      ':method': 'POST',
      ':path': path,
      'content-type': 'application/grpc',
      te: 'trailers',
      ...(deadline === undefined ? {} : {'grpc-timeout': timeoutHeader(deadline - Date.now())}),
    }
  }

  /** One request message, one response message. */
  unary(path: string, request: Uint8Array, o: {deadline?: number} = {}): Promise<Buffer> {
    return new Promise<Buffer>((resolve, reject) => {
      const call = this.call(path, o)
      let response: Buffer | undefined
      call.on('data', (m) => {
        response = m
      })
      call.on('error', reject)
      call.on('end', () =>
        response ? resolve(response) : reject(new GrpcError(Status.INTERNAL, `${path}: the server sent no message`)),
      )
      call.write(request)
      call.end()
    })
  }
}

// eslint-disable-next-line unicorn/prefer-event-target -- the stream-style API the callers had with grpc-js (on data/end/error)
class ClientCall extends EventEmitter implements Call {
  private bufferedBytes = 0
  private chunks: Buffer[] = []
  private finished = false
  private httpStatus = 0
  private readonly session?: ClientHttp2Session
  private readonly started = Date.now()
  private status?: {code: number; details: string; endorsers: EndorserDetail[]}
  private readonly stream?: ClientHttp2Stream
  private streamError?: Error
  private timer?: NodeJS.Timeout

  constructor(
    private readonly client: GrpcClient,
    private readonly path: string,
    deadline: number | undefined,
    private readonly maxBytes: number,
  ) {
    super()
    try {
      this.session = client.connection()
      this.stream = this.session.request(client.headers(path, deadline), {endStream: false})
    } catch (error) {
      // a session that cannot take a stream (closing): fail the call as a connection failure, after the caller
      // has attached its listeners
      process.nextTick(() =>
        this.finish(
          client.connectionFailure(error as Error) ??
            new GrpcError(Status.UNAVAILABLE, `cannot open a call to ${client.address}: ${(error as Error).message}`),
        ),
      )
      return
    }

    const st = this.stream
    st.on('response', (h: IncomingHttpHeaders) => {
      this.httpStatus = Number(h[':status'] ?? 0)
      // trailers-only: the status comes with the headers (a call refused before any message)
      if (h['grpc-status'] !== undefined) this.takeStatus(h)
    })
    st.on('trailers', (h: IncomingHttpHeaders) => this.takeStatus(h))
    st.on('data', (chunk: Buffer) => this.receive(chunk))
    st.on('error', (error: Error) => {
      // the outcome is decided on 'close' (the status may be known already; else the connection's failure)
      this.streamError = error
    })
    st.on('close', () => this.closed())
    if (deadline !== undefined) {
      this.timer = setTimeout(
        () => {
          const sock = this.session?.socket
          const at = sock?.remoteAddress ? `,remote_addr=${sock.remoteAddress}:${sock.remotePort}` : ''
          this.abort(
            new GrpcError(
              Status.DEADLINE_EXCEEDED,
              `Deadline exceeded after ${((deadline - this.started) / 1000).toFixed(3)}s${at}`,
            ),
          )
        },
        Math.max(0, deadline - Date.now()),
      )
    }
  }

  cancel(): void {
    if (this.finished) return
    this.finished = true
    this.clearTimer()
    this.stream?.close(http2.constants.NGHTTP2_CANCEL)
  }

  end(): void {
    if (this.stream && !this.stream.destroyed && !this.stream.writableEnded) this.stream.end()
  }

  write(message: Uint8Array): void {
    if (!this.stream || this.stream.destroyed || this.stream.writableEnded) return
    const frame = Buffer.allocUnsafe(5 + message.length)
    frame[0] = 0
    frame.writeUInt32BE(message.length, 1)
    frame.set(message, 5)
    this.stream.write(frame)
  }

  private abort(error: GrpcError): void {
    if (this.finished) return
    this.stream?.close(http2.constants.NGHTTP2_CANCEL)
    this.finish(error)
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = undefined
  }

  private closed(): void {
    if (this.finished) return
    const st = this.stream!
    let failure: GrpcError | undefined
    if (this.status) {
      const {code, details, endorsers} = this.status
      failure = code === Status.OK ? undefined : new GrpcError(code, details, endorsers)
    } else if (this.httpStatus && this.httpStatus !== 200)
      failure = new GrpcError(httpStatusCode(this.httpStatus), `the server answered HTTP ${this.httpStatus}, not gRPC`)
    else
      failure =
        this.client.connectionFailure(this.streamError) ??
        (st.rstCode && st.rstCode !== http2.constants.NGHTTP2_NO_ERROR
          ? new GrpcError(rstCode(st.rstCode), `stream reset by the server (HTTP/2 error code ${st.rstCode})`)
          : new GrpcError(Status.UNAVAILABLE, `the connection to ${this.client.address} closed before a status`))
    this.finish(failure)
  }

  private finish(error?: GrpcError): void {
    if (this.finished) return
    this.finished = true
    this.clearTimer()
    if (error) this.emit('error', error)
    else this.emit('end')
  }

  /**
   * Length-prefixed messages: 1 byte compressed flag, 4 bytes length (big-endian), the message. Chunks are kept until
   * a whole message is there and joined once (joining on every chunk is quadratic in a large message).
   */
  private receive(chunk: Buffer): void {
    if (this.finished) return
    this.chunks.push(chunk)
    this.bufferedBytes += chunk.length
    while (this.bufferedBytes >= 5) {
      if (this.chunks[0].length < 5) this.chunks = [Buffer.concat(this.chunks)]
      const head = this.chunks[0]
      if (head[0] !== 0) {
        this.abort(new GrpcError(Status.INTERNAL, `${this.path}: a compressed message, but no compression was offered`))
        return
      }

      const len = head.readUInt32BE(1)
      if (len > this.maxBytes) {
        this.abort(
          new GrpcError(Status.RESOURCE_EXHAUSTED, `${this.path}: a message of ${len} bytes (limit ${this.maxBytes})`),
        )
        return
      }

      if (this.bufferedBytes < 5 + len) return
      const all = this.chunks.length === 1 ? head : Buffer.concat(this.chunks, this.bufferedBytes)
      const message = all.subarray(5, 5 + len)
      const rest = all.subarray(5 + len)
      this.chunks = rest.length > 0 ? [rest] : []
      this.bufferedBytes = rest.length
      this.emit('data', message)
      if (this.finished) return
    }
  }

  private takeStatus(h: IncomingHttpHeaders): void {
    const raw = h['grpc-status']
    const code = Number(Array.isArray(raw) ? raw[0] : raw)
    this.status = {
      code: Number.isInteger(code) ? code : Status.UNKNOWN,
      details: Number.isInteger(code) ? decodeMessage(h['grpc-message']) : `grpc-status "${raw}" is not a number`,
      endorsers: endorserDetails(h['grpc-status-details-bin']),
    }
  }
}
