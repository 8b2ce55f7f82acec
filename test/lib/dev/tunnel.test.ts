/**
 * The dev tunnel with real sockets: peers → relay (the real program, in this process or as its own process) →
 * idle streams → TunnelPool → a local server. Streams are plain TCP connections to the relay's tunnel port here;
 * test/commands/dev.test.ts runs the same path through port-forward on the test bed's real node.
 */
import type {Duplex} from 'node:stream'

import {expect} from 'chai'
import {type ChildProcess, spawn} from 'node:child_process'
import {createHash, randomBytes} from 'node:crypto'
import net from 'node:net'
import os from 'node:os'
import tls from 'node:tls'
import {fileURLToPath} from 'node:url'

import {encodeFrame, HELLO, startRelay} from '../../../src/lib/dev/relay/program.js'
import {connectWithRetry, type PeerClosed, type PeerConnection, TunnelPool} from '../../../src/lib/dev/tunnel.js'
import {generateChaincodeTls} from '../../../src/lib/tls/certs.js'

const PROGRAM = fileURLToPath(new URL('../../../src/lib/dev/relay/program.js', import.meta.url))

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function until(what: string, ok: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await sleep(10)
  }
}

function listen(server: net.Server, port = 0): Promise<number> {
  return new Promise((resolve) => {
    server.listen(port, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port))
  })
}

/** A server that reads until the client half-closes, then answers with what it read, upper-cased, and ends. */
function halfCloseServer(): net.Server {
  return net.createServer({allowHalfOpen: true}, (s) => {
    const chunks: Buffer[] = []
    s.on('data', (d) => chunks.push(d))
    s.on('end', () => s.end(Buffer.concat(chunks).toString().toUpperCase()))
  })
}

/** Send `data`, half-close, read everything until the other side ends. */
function exchange(port: number, data: Buffer | string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = net.connect({allowHalfOpen: true, host: '127.0.0.1', port}, () => s.end(data))
    const got: Buffer[] = []
    s.on('data', (d) => got.push(d))
    s.on('end', () => resolve(Buffer.concat(got)))
    s.on('error', reject)
  })
}

function plainStream(port: number): () => Promise<Duplex> {
  return () =>
    new Promise((resolve, reject) => {
      const s = net.connect({allowHalfOpen: true, host: '127.0.0.1', port}, () => resolve(s))
      s.once('error', reject)
    })
}

describe('dev tunnel: relay ↔ idle streams ↔ local chaincode, with real sockets', () => {
  const cleanups: (() => Promise<unknown> | void)[] = []

  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c()
  })

  async function rig(o: {ackMs?: number; local?: net.Server; size?: number; waitMs?: number} = {}) {
    const logs: string[] = []
    const relay = await startRelay({ackMs: o.ackMs, log: (l) => logs.push(l), port: 0, tunnelPort: 0, waitMs: o.waitMs})
    cleanups.push(() => relay.close())
    const local = o.local ?? halfCloseServer()
    const localPort = await listen(local)
    cleanups.push(() => new Promise((r) => local.close(r)))
    const peers: PeerConnection[] = []
    const closed: PeerClosed[] = []
    const opened: Duplex[] = []
    const open = plainStream(relay.tunnelPort)
    const pool = new TunnelPool({
      connectLocal: () => connectWithRetry(localPort, {waitMs: 3000}),
      onPeer: (c) => peers.push(c),
      onPeerClosed: (c) => closed.push(c),
      async open() {
        const s = await open()
        opened.push(s)
        return s
      },
      size: o.size ?? 2,
    })
    cleanups.push(() => pool.stop())
    return {closed, localPort, logs, opened, peers, pool, relay}
  }

  it('carries a connection with half-closes both ways: the local server sees the peer’s FIN, the peer sees the answer and then its FIN', async () => {
    const t = await rig()
    t.pool.start()
    await until('two idle streams at the relay', () => t.relay.idle() === 2)
    const answer = await exchange(t.relay.port, 'hello chaincode')
    expect(answer.toString()).to.equal('HELLO CHAINCODE')
    await until('the connection reported closed', () => t.closed.length === 1)
    expect(t.peers).to.have.length(1)
    expect(t.peers[0].peer).to.match(/^127\.0\.0\.1:\d+$/)
    expect(t.closed[0]).to.include({bytesIn: 15, bytesOut: 15, id: 1, reason: 'closed'})
    // the stream that was taken is replaced: the relay has two idle streams again
    await until('a replacement stream', () => t.relay.idle() === 2)
    expect(t.opened).to.have.length(3)
  })

  it('a connection that leaves without a word (a kubelet TCP probe) takes no stream and is no peer connection', async () => {
    const t = await rig()
    t.pool.start()
    await until('two idle streams at the relay', () => t.relay.idle() === 2)
    for (let i = 0; i < 5; i++)
      await new Promise<void>((resolve) => {
        const s = net.connect({host: '127.0.0.1', port: t.relay.port}, () => s.end())
        s.on('close', () => resolve())
      })
    await sleep(100)
    expect(t.peers).to.deep.equal([])
    expect(t.relay.idle()).to.equal(2)
    expect(t.opened).to.have.length(2)
    expect((await exchange(t.relay.port, 'then a peer')).toString()).to.equal('THEN A PEER')
  })

  it('a stream that died unnoticed gives no ACK: the relay tries the next one and the peer’s bytes still arrive', async () => {
    const t = await rig({ackMs: 300, size: 1})
    // a stale stream: it said HELLO, then went silent (its fabk8s end is gone and the relay has not noticed)
    const stale = await plainStream(t.relay.tunnelPort)()
    cleanups.push(() => {
      stale.destroy()
    })
    stale.write(encodeFrame(HELLO, '{"v":1}'))
    await until('the stale stream idle', () => t.relay.idle() === 1)
    t.pool.start()
    await until('the pool’s stream idle too', () => t.relay.idle() === 2)
    expect((await exchange(t.relay.port, 'still here')).toString()).to.equal('STILL HERE')
    expect(t.logs.join('\n')).to.match(/stream gave no answer within 0\.3s; trying another/)
    expect(t.peers).to.have.length(1)
  })

  it('keeps data intact both ways under backpressure: 8 MiB each way, checked by hash', async () => {
    const size = 8 * 1024 * 1024
    const upload = randomBytes(size)
    const download = randomBytes(size)
    const local = net.createServer({allowHalfOpen: true}, (s) => {
      const h = createHash('sha256')
      s.on('data', (d) => h.update(d))
      s.on('end', () => s.end(Buffer.concat([Buffer.from(h.digest('hex')), download])))
    })
    const t = await rig({local})
    t.pool.start()
    const got = await exchange(t.relay.port, upload)
    expect(got.subarray(0, 64).toString()).to.equal(createHash('sha256').update(upload).digest('hex'))
    expect(createHash('sha256').update(got.subarray(64)).digest('hex')).to.equal(
      createHash('sha256').update(download).digest('hex'),
    )
  })

  it('serves many connections at once from a pool of two (each waits for a replacement stream)', async () => {
    const t = await rig({size: 2})
    t.pool.start()
    const answers = await Promise.all(Array.from({length: 20}, (_, i) => exchange(t.relay.port, `call ${i}`)))
    expect(answers.map(String)).to.deep.equal(Array.from({length: 20}, (_, i) => `CALL ${i}`))
    await until('every connection reported', () => t.closed.length === 20)
    expect(new Set(t.peers.map((p) => p.id)).size).to.equal(20)
  })

  it('a peer that dials before fabk8s dev has streams open waits, then is served', async () => {
    const t = await rig()
    const answer = exchange(t.relay.port, 'early')
    await sleep(200)
    t.pool.start()
    expect((await answer).toString()).to.equal('EARLY')
  })

  it('a peer is dropped when no stream comes within the relay’s wait', async () => {
    const t = await rig({waitMs: 300})
    const r = await exchange(t.relay.port, 'nobody there').catch((error: Error) => error)
    expect(r instanceof Error ? '' : r.toString()).to.equal('')
    expect(t.logs.join('\n')).to.match(/dropped: no fabk8s dev within 0\.3s/)
  })

  it('holds the peer while the local chaincode (re)starts, then connects it', async () => {
    const local = halfCloseServer()
    const t = await rig({local})
    await new Promise((r) => local.close(r))
    t.pool.start()
    const answer = exchange(t.relay.port, 'restarting')
    await sleep(400)
    await listen(local, t.localPort)
    expect((await answer).toString()).to.equal('RESTARTING')
  })

  it('resets the peer when the local chaincode cannot be reached, and says why', async () => {
    const local = halfCloseServer()
    const relay = await startRelay({log() {}, port: 0, tunnelPort: 0})
    cleanups.push(() => relay.close())
    const closed: PeerClosed[] = []
    const port = await listen(local)
    await new Promise((r) => local.close(r))
    const pool = new TunnelPool({
      connectLocal: () => connectWithRetry(port, {waitMs: 200}),
      onPeerClosed: (c) => closed.push(c),
      open: plainStream(relay.tunnelPort),
    })
    cleanups.push(() => pool.stop())
    pool.start()
    const got = await exchange(relay.port, 'x').catch((error: Error) => error)
    expect(got instanceof Error || got.length === 0).to.equal(true)
    await until('the failure reported', () => closed.length === 1)
    expect(closed[0].reason).to.match(/did not listen on 127\.0\.0\.1:\d+ within 0\.2s/)
  })

  it('a stream that dies mid-connection resets the peer; the pool opens new streams', async () => {
    const local = net.createServer({allowHalfOpen: true}, (s) => s.on('data', () => {}).on('end', () => s.end()))
    const t = await rig({local, size: 1})
    t.pool.start()
    await until('an idle stream', () => t.relay.idle() === 1)
    const peer = net.connect({host: '127.0.0.1', port: t.relay.port})
    const ended = new Promise((r) => peer.on('close', r))
    peer.write('start')
    await until('the connection carried', () => t.peers.length === 1)
    await until('a replacement', () => t.opened.length === 2)
    t.opened[0].destroy()
    await ended
    await until('the connection reported', () => t.closed.length === 1)
    expect(t.closed[0].reason).to.match(/tunnel stream closed|reset/)
    expect(t.relay.idle()).to.equal(1)
  })

  it('an idle stream that dies is replaced', async () => {
    const t = await rig({size: 1})
    t.pool.start()
    await until('an idle stream', () => t.relay.idle() === 1)
    t.opened[0].destroy()
    await until('a new stream', () => t.opened.length === 2 && t.relay.idle() === 1)
  })

  it('passes TLS and mutual TLS through untouched: the peer verifies the local server’s certificate, the server the peer’s', async () => {
    const files = await generateChaincodeTls(['127.0.0.1'])
    const local = tls.createServer(
      {
        ca: files['ca.crt'],
        cert: files['server.crt'],
        key: files['server.key'],
        rejectUnauthorized: true,
        requestCert: true,
      },
      (s) => {
        s.end(`hello ${s.getPeerCertificate().subject.CN}`)
      },
    )
    const t = await rig({local: local as unknown as net.Server})
    t.pool.start()
    const answer = await new Promise<string>((resolve, reject) => {
      const s = tls.connect({
        ca: files['ca.crt'],
        cert: files['client.crt'],
        host: '127.0.0.1',
        key: files['client.key'],
        port: t.relay.port,
      })
      let text = ''
      s.on('data', (d) => (text += d))
      s.on('end', () => resolve(text))
      s.on('error', reject)
    })
    expect(answer).to.equal('hello chaincode-peer-client')

    // without a client certificate the local server refuses: the relay does not terminate TLS
    const refused = await new Promise<string>((resolve) => {
      const s = tls.connect({ca: files['ca.crt'], host: '127.0.0.1', port: t.relay.port})
      s.on('data', () => resolve('answered'))
      s.on('error', (error) => resolve(error.message))
      s.on('end', () => resolve('ended'))
    })
    expect(refused).to.not.equal('answered')
  })

  describe('the relay as its own process (what the relay image runs)', () => {
    let child: ChildProcess | undefined

    afterEach(() => {
      child?.kill('SIGKILL')
    })

    it('`node program.js` listens on FABK8S_RELAY_PORT and FABK8S_RELAY_TUNNEL_PORT, relays, and exits 0 on SIGTERM', async () => {
      const ports = await Promise.all([0, 0].map(() => freePort()))
      child = spawn(process.execPath, [PROGRAM], {
        env: {...process.env, FABK8S_RELAY_PORT: String(ports[0]), FABK8S_RELAY_TUNNEL_PORT: String(ports[1])},
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      let out = ''
      child.stdout!.on('data', (d) => (out += d))
      child.stderr!.on('data', (d) => (out += d))
      await until('the relay listening', () => /fabk8s dev streams/.test(out), 10_000)
      expect(out).to.include(`127.0.0.1:${ports[1]}`)

      const local = halfCloseServer()
      const localPort = await listen(local)
      cleanups.push(() => new Promise((r) => local.close(r)))
      const pool = new TunnelPool({
        connectLocal: () => connectWithRetry(localPort, {waitMs: 1000}),
        open: plainStream(ports[1]),
      })
      cleanups.push(() => pool.stop())
      pool.start()
      expect((await exchange(ports[0], 'from a peer')).toString()).to.equal('FROM A PEER')
      await until('the relay logged the connection', () => /connection 1 ended .*closed/.test(out))

      const exited = new Promise<null | number>((r) => child!.on('exit', (code) => r(code)))
      child.kill('SIGTERM')
      expect(await exited).to.equal(0)
    })

    it('the tunnel port is bound to 127.0.0.1 only', async function () {
      const other = nonLoopbackAddress()
      if (!other) {
        console.log('      skipped: this machine has no non-loopback IPv4 address to dial from')
        this.skip()
      }

      const ports = await Promise.all([0, 0].map(() => freePort()))
      child = spawn(process.execPath, [PROGRAM], {
        env: {...process.env, FABK8S_RELAY_PORT: String(ports[0]), FABK8S_RELAY_TUNNEL_PORT: String(ports[1])},
        stdio: ['ignore', 'pipe', 'inherit'],
      })
      let out = ''
      child.stdout!.on('data', (d) => (out += d))
      await until('the relay listening', () => /fabk8s dev streams/.test(out), 10_000)
      const err = await new Promise<string>((resolve) => {
        const s = net.connect({host: other!, port: ports[1]}, () => resolve('connected'))
        s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message))
      })
      expect(err).to.equal('ECONNREFUSED')
    })
  })
})

async function freePort(): Promise<number> {
  const s = net.createServer()
  const port = await listen(s)
  await new Promise((r) => s.close(r))
  return port
}

function nonLoopbackAddress(): string | undefined {
  const nets = os.networkInterfaces()
  for (const list of Object.values(nets))
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address
  return undefined
}
