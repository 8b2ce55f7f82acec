import {gateway} from '@hyperledger/fabric-protos'
import * as rpc from '@hyperledger/fabric-protos/lib/google/rpc/status_pb.js'
/**
 * The gRPC client against servers the test starts: node:http2 TLS servers that speak gRPC's wire format byte by byte,
 * so each case controls what a real server may send (messages split across or packed into DATA frames, the status in
 * trailers or trailers-only, a reset, GOAWAY, silence). The client against real peers and orderers is tested by the
 * integration suites (submit, register, probe), which run every call fabk8s makes through it.
 */
import {expect} from 'chai'
import {Any} from 'google-protobuf/google/protobuf/any_pb.js'
import http2, {type Http2SecureServer, type IncomingHttpHeaders, type ServerHttp2Stream} from 'node:http2'
import {createServer as createTcpServer, type Server} from 'node:net'

import {mapFabricError} from '../../../src/lib/fabric/errmap.js'
import {endorserDetails, GrpcClient, GrpcError, Status} from '../../../src/lib/fabric/grpc.js'
import {type CA, issue, newCA, type Pair} from '../network/crypto.js'

type Handler = (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, body: () => Promise<Buffer[]>) => void

function frame(message: Buffer | string, compressed = false): Buffer {
  const m = Buffer.from(message)
  const f = Buffer.alloc(5 + m.length)
  f[0] = compressed ? 1 : 0
  f.writeUInt32BE(m.length, 1)
  m.copy(f, 5)
  return f
}

/** The messages of a request body. */
function messages(data: Buffer): Buffer[] {
  const out: Buffer[] = []
  let at = 0
  while (at + 5 <= data.length) {
    const len = data.readUInt32BE(at + 1)
    out.push(data.subarray(at + 5, at + 5 + len))
    at += 5 + len
  }

  return out
}

describe('gRPC client (node:http2, against test servers)', () => {
  let ca: CA
  let other: CA
  let pair: Pair
  let named: Pair
  const servers: Http2SecureServer[] = []
  let handler: Handler
  let port: number
  let seen: IncomingHttpHeaders[]

  async function start(p: Pair): Promise<number> {
    const server = http2.createSecureServer({allowHTTP1: false, cert: p.cert, key: p.key})
    server.on('stream', (stream, headers) => {
      seen.push(headers)
      const chunks: Buffer[] = []
      const ended = new Promise<Buffer[]>((resolve) => {
        stream.on('data', (c: Buffer) => chunks.push(c))
        stream.on('end', () => resolve(messages(Buffer.concat(chunks))))
      })
      stream.on('error', () => {})
      handler(stream, headers, () => ended)
    })
    servers.push(server)
    return new Promise((resolve) => {
      server.listen(0, '127.0.0.1', () => resolve((server.address() as {port: number}).port))
    })
  }

  before(async () => {
    ca = await newCA('tlsca.test')
    other = await newCA('tlsca.other')
    pair = await issue(ca, {cn: 'localhost', sans: ['localhost', '127.0.0.1']})
    named = await issue(ca, {cn: 'peer0.org1.example.com', sans: ['peer0.org1.example.com']})
    port = await start(pair)
  })

  beforeEach(() => {
    seen = []
  })

  after(async () => {
    for (const s of servers) await new Promise<void>((resolve) => s.close(() => resolve()))
  })

  const client = (o: {address?: string; ca?: string; hostnameOverride?: string} = {}) =>
    new GrpcClient(o.address ?? `localhost:${port}`, {ca: o.ca ?? ca.cert, hostnameOverride: o.hostnameOverride})

  async function failure(p: Promise<unknown>): Promise<GrpcError> {
    try {
      await p
    } catch (error) {
      expect(error).to.be.instanceOf(GrpcError)
      return error as GrpcError
    }

    throw new Error('expected the call to fail')
  }

  it('a unary call: gRPC headers, the request framed, the answer read across split DATA frames', async () => {
    handler = async (stream, _h, body) => {
      const [req] = await body()
      const answer = frame(Buffer.concat([Buffer.from('echo:'), req]))
      stream.respond({':status': 200, 'content-type': 'application/grpc'}, {waitForTrailers: true})
      stream.on('wantTrailers', () => stream.sendTrailers({'grpc-status': '0'}))
      // the 5-byte prefix and the message in pieces: the client must join them
      stream.write(answer.subarray(0, 3))
      setTimeout(() => {
        stream.write(answer.subarray(3, 9))
        stream.end(answer.subarray(9))
      }, 5)
    }

    const c = client()
    try {
      const out = await c.unary('/test.Echo/Say', Buffer.from('hello'), {deadline: Date.now() + 5000})
      expect(out.toString()).to.equal('echo:hello')
      expect(seen[0][':path']).to.equal('/test.Echo/Say')
      expect(seen[0][':method']).to.equal('POST')
      expect(seen[0]['content-type']).to.equal('application/grpc')
      expect(seen[0].te).to.equal('trailers')
      expect(seen[0]['grpc-timeout']).to.match(/^\d{1,8}m$/)
    } finally {
      c.close()
    }
  })

  it('large messages both ways (a package of 24 MiB up, 24 MiB down) arrive whole', async () => {
    handler = async (stream, _h, body) => {
      const [req] = await body()
      stream.respond({':status': 200, 'content-type': 'application/grpc'}, {waitForTrailers: true})
      stream.on('wantTrailers', () => stream.sendTrailers({'grpc-status': '0'}))
      stream.end(frame(Buffer.from(req).reverse()))
    }

    const big = Buffer.alloc(24 * 1024 * 1024)
    for (let i = 0; i < big.length; i += 4096) big[i] = i % 251
    const c = client()
    try {
      const out = await c.unary('/test.S/Big', big, {deadline: Date.now() + 30_000})
      expect(out.length).to.equal(big.length)
      expect(out.equals(Buffer.from(big).reverse())).to.equal(true)
    } finally {
      c.close()
    }
  })

  it('a stream: several messages in one DATA frame arrive one by one, in order, then end', async () => {
    handler = (stream) => {
      stream.respond({':status': 200, 'content-type': 'application/grpc'}, {waitForTrailers: true})
      stream.on('wantTrailers', () => stream.sendTrailers({'grpc-status': '0'}))
      stream.end(Buffer.concat([frame('a'), frame(''), frame('ccc')]))
    }

    const c = client()
    try {
      const got: string[] = []
      await new Promise<void>((resolve, reject) => {
        const call = c.call('/test.S/Many')
        call.on('data', (m) => got.push(m.toString()))
        call.on('error', reject)
        call.on('end', resolve)
        call.end()
      })
      expect(got).to.deep.equal(['a', '', 'ccc'])
    } finally {
      c.close()
    }
  })

  it('a status in the trailers: code and details (percent-decoded), and the message grpc-js would give', async () => {
    handler = (stream) => {
      stream.respond({':status': 200, 'content-type': 'application/grpc'}, {waitForTrailers: true})
      stream.on('wantTrailers', () =>
        stream.sendTrailers({'grpc-message': 'access denied: 100%25 sure%0Ayes', 'grpc-status': '7'}),
      )
      stream.end()
    }

    const c = client()
    try {
      const e = await failure(c.unary('/test.S/Deny', Buffer.from('x')))
      expect(e.code).to.equal(Status.PERMISSION_DENIED)
      expect(e.details).to.equal('access denied: 100% sure\nyes')
      expect(e.message).to.equal('7 PERMISSION_DENIED: access denied: 100% sure\nyes')
    } finally {
      c.close()
    }
  })

  it('a trailers-only answer (the status with the headers) and an HTTP status that is not gRPC', async () => {
    handler = (stream, h) => {
      if (h[':path'] === '/test.S/Refuse')
        stream.respond(
          {':status': 200, 'content-type': 'application/grpc', 'grpc-message': 'no such method', 'grpc-status': '12'},
          {endStream: true},
        )
      else stream.respond({':status': 503}, {endStream: true})
    }

    const c = client()
    try {
      const refused = await failure(c.unary('/test.S/Refuse', Buffer.from('x')))
      expect([refused.code, refused.details]).to.deep.equal([Status.UNIMPLEMENTED, 'no such method'])
      const http = await failure(c.unary('/test.S/Http', Buffer.from('x')))
      expect(http.code).to.equal(Status.UNAVAILABLE)
      expect(http.details).to.match(/HTTP 503/)
    } finally {
      c.close()
    }
  })

  it('refuses a compressed message it did not ask for, and a message over the size limit', async () => {
    handler = (stream, h) => {
      stream.respond({':status': 200, 'content-type': 'application/grpc'})
      if (h[':path'] === '/test.S/Zip') stream.write(frame('zz', true))
      else {
        const big = Buffer.alloc(5)
        big.writeUInt32BE(2000, 1)
        stream.write(big)
      }
    }

    const c = client()
    const small = new GrpcClient(`localhost:${port}`, {ca: ca.cert, maxReceiveBytes: 1000})
    try {
      expect((await failure(c.unary('/test.S/Zip', Buffer.from('x')))).code).to.equal(Status.INTERNAL)
      const big = await failure(small.unary('/test.S/Big', Buffer.from('x')))
      expect(big.code).to.equal(Status.RESOURCE_EXHAUSTED)
      expect(big.details).to.match(/2000 bytes \(limit 1000\)/)
    } finally {
      c.close()
      small.close()
    }
  })

  it('a server that never answers: DEADLINE_EXCEEDED naming the remote address (errmap: no answer)', async () => {
    handler = (stream) => stream.respond({':status': 200, 'content-type': 'application/grpc'})
    const c = client()
    try {
      const e = await failure(c.unary('/test.S/Slow', Buffer.from('x'), {deadline: Date.now() + 150}))
      expect(e.code).to.equal(Status.DEADLINE_EXCEEDED)
      expect(e.details).to.match(/^Deadline exceeded after 0\.\d{3}s,remote_addr=127\.0\.0\.1:\d+$/)
      expect(mapFabricError(e, {address: `localhost:${port}`, op: 'test'}).detail).to.include({kind: 'no-answer'})
    } finally {
      c.close()
    }
  })

  it('nothing listening: UNAVAILABLE with the connection error (errmap: unreachable)', async () => {
    const tcp: Server = createTcpServer()
    const closed = await new Promise<number>((resolve) => {
      tcp.listen(0, '127.0.0.1', () => {
        const p = (tcp.address() as {port: number}).port
        tcp.close(() => resolve(p))
      })
    })
    const c = client({address: `127.0.0.1:${closed}`})
    try {
      const e = await failure(c.unary('/test.S/X', Buffer.from('x'), {deadline: Date.now() + 5000}))
      expect(e.code).to.equal(Status.UNAVAILABLE)
      expect(e.details).to.match(/^No connection established\. Last error: connect ECONNREFUSED 127\.0\.0\.1:\d+$/)
      const fe = mapFabricError(e, {address: `127.0.0.1:${closed}`, op: 'test'})
      expect(fe.detail).to.include({kind: 'unreachable'})
      expect(fe.message).to.match(/^cannot reach 127\.0\.0\.1:\d+ \(connect ECONNREFUSED/)
    } finally {
      c.close()
    }
  })

  it('a server that accepts the connection and never answers (no TLS handshake): UNAVAILABLE once the connect time is up, long before the deadline (errmap: unreachable)', async () => {
    const sockets: import('node:net').Socket[] = []
    const tcp: Server = createTcpServer((sock) => sockets.push(sock))
    const silent = await new Promise<number>((resolve) => {
      tcp.listen(0, '127.0.0.1', () => resolve((tcp.address() as {port: number}).port))
    })
    const c = new GrpcClient(`127.0.0.1:${silent}`, {ca: ca.cert, connectTimeoutMs: 300})
    try {
      const t0 = Date.now()
      const e = await failure(c.unary('/test.S/X', Buffer.from('x'), {deadline: Date.now() + 30_000}))
      expect(Date.now() - t0, 'failed at the connect time, not at the deadline').to.be.below(10_000)
      expect(e.code).to.equal(Status.UNAVAILABLE)
      expect(e.details).to.equal(
        'No connection established. Last error: the connection was accepted, but nothing answered within 0.3 s',
      )
      const fe = mapFabricError(e, {address: `127.0.0.1:${silent}`, op: 'test', tlsCACert: '/ca.pem'})
      expect(fe.detail).to.include({kind: 'unreachable'})
      expect(fe.message).to.equal(
        `cannot reach 127.0.0.1:${silent} (the connection was accepted, but nothing answered within 0.3 s) during test`,
      )
    } finally {
      c.close()
      for (const sock of sockets) sock.destroy()
      tcp.close()
    }
  })

  it('TLS: a CA that did not sign the certificate, and a name the certificate lacks (errmap: tls, tls-name)', async () => {
    const wrongCa = client({ca: other.cert})
    const namedPort = await start(named)
    const wrongName = client({address: `localhost:${namedPort}`})
    try {
      const e = await failure(wrongCa.unary('/test.S/X', Buffer.from('x')))
      expect(e.code).to.equal(Status.UNAVAILABLE)
      expect(mapFabricError(e, {address: 'a:1', op: 'test', tlsCACert: 'ca.pem'}).detail).to.include({kind: 'tls'})
      const n = await failure(wrongName.unary('/test.S/X', Buffer.from('x')))
      expect(n.details).to.match(/altnames/)
      expect(mapFabricError(n, {address: 'a:1', op: 'test'}).detail).to.include({kind: 'tls-name'})
    } finally {
      wrongCa.close()
      wrongName.close()
    }
  })

  it('hostnameOverride: the certificate is checked against that name, which is also the :authority', async () => {
    const namedPort = await start(named)
    handler = (stream) => {
      stream.respond({':status': 200, 'content-type': 'application/grpc'}, {waitForTrailers: true})
      stream.on('wantTrailers', () => stream.sendTrailers({'grpc-status': '0'}))
      stream.end(frame('ok'))
    }

    const c = client({address: `127.0.0.1:${namedPort}`, hostnameOverride: 'peer0.org1.example.com'})
    try {
      expect((await c.unary('/test.S/X', Buffer.from('x'))).toString()).to.equal('ok')
      expect(seen[0][':authority']).to.equal('peer0.org1.example.com')
    } finally {
      c.close()
    }
  })

  it('after the server closes the connection (GOAWAY), the next call connects again', async () => {
    handler = (stream) => {
      stream.respond({':status': 200, 'content-type': 'application/grpc'}, {waitForTrailers: true})
      stream.on('wantTrailers', () => {
        stream.sendTrailers({'grpc-status': '0'})
        // the server goes away after answering
        setTimeout(() => stream.session?.close(), 1)
      })
      stream.end(frame('one'))
    }

    const c = client()
    try {
      expect((await c.unary('/test.S/X', Buffer.from('x'))).toString()).to.equal('one')
      await new Promise((r) => {
        setTimeout(r, 50)
      })
      expect((await c.unary('/test.S/X', Buffer.from('x'))).toString()).to.equal('one')
      expect(seen).to.have.length(2)
    } finally {
      c.close()
    }
  })

  it('a stream the server resets is an error; a call cancelled by the client says nothing more', async () => {
    handler = (stream, h) => {
      if (h[':path'] === '/test.S/Reset') stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR)
      else stream.respond({':status': 200, 'content-type': 'application/grpc'})
    }

    const c = client()
    try {
      const e = await failure(c.unary('/test.S/Reset', Buffer.from('x')))
      expect([e.code, e.details]).to.deep.equal([Status.INTERNAL, 'stream reset by the server (HTTP/2 error code 2)'])
      const call = c.call('/test.S/Hang')
      const events: string[] = []
      call.on('data', () => events.push('data'))
      call.on('error', () => events.push('error'))
      call.on('end', () => events.push('end'))
      call.write(Buffer.from('x'))
      await new Promise((r) => {
        setTimeout(r, 30)
      })
      call.cancel()
      await new Promise((r) => {
        setTimeout(r, 30)
      })
      expect(events).to.deep.equal([])
    } finally {
      c.close()
    }
  })
})

describe("gRPC client: the peers' errors a Gateway attaches (grpc-status-details-bin)", () => {
  // encoded by the generated protobuf classes, as a peer's Gateway would send them
  const trailer = (details: {address: string; message: string; mspId: string}[], typeUrl = 'gateway.ErrorDetail') => {
    const st = new rpc.Status()
    st.setCode(10)
    st.setMessage('failed to endorse transaction, see attached details for more info')
    st.setDetailsList(
      details.map((d) => {
        const e = new gateway.ErrorDetail()
        e.setAddress(d.address)
        e.setMspId(d.mspId)
        e.setMessage(d.message)
        const any = new Any()
        any.setTypeUrl(`type.googleapis.com/${typeUrl}`)
        any.setValue(e.serializeBinary())
        return any
      }),
    )
    return Buffer.from(st.serializeBinary()).toString('base64')
  }

  it("decodes each ErrorDetail: address, MSP ID and the peer's message", () => {
    const two = [
      {address: 'peer0.org1:7051', message: 'chaincode response 500, key missing not found', mspId: 'Org1MSP'},
      {address: 'peer0.org2:9051', message: 'x'.repeat(300), mspId: 'Org2MSP'},
    ]
    expect(endorserDetails(trailer(two))).to.deep.equal(two)
  })

  it('nothing when the trailer is absent or holds other messages', () => {
    expect(endorserDetails()).to.deep.equal([])
    expect(endorserDetails(trailer([{address: 'a', message: 'b', mspId: 'c'}], 'google.rpc.DebugInfo'))).to.deep.equal(
      [],
    )
  })

  it('errorText and mapFabricError name the peer and its message', () => {
    const err = new GrpcError(10, 'failed to endorse transaction, see attached details for more info', [
      {address: 'peer0.org2:9051', message: 'chaincode response 500, key missing not found', mspId: 'Org2MSP'},
    ])
    const e = mapFabricError(err, {address: 'peer0.org1:7051', chaincode: 'kv', op: 'invoke kv Get'})
    expect(e.message).to.equal(
      'invoke kv Get: the chaincode returned an error (status 500) at Org2MSP peer0.org2:9051: key missing not found',
    )
  })
})
