import {common, orderer as ordererProtos} from '@hyperledger/fabric-protos'
import {expect} from 'chai'
import {createPublicKey, verify} from 'node:crypto'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {createServer as createTcpServer, type Server, type Socket} from 'node:net'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {createServer as createTlsServer} from 'node:tls'

import {loadIdentity} from '../../../src/lib/fabric/identity.js'
import {seekNewestEnvelope} from '../../../src/lib/network/probe/deliver.js'
import {checkNetwork, classifyPeerRefusal} from '../../../src/lib/network/probe/index.js'
import {probeTls} from '../../../src/lib/network/probe/tls.js'
import {type CA, issue, newCA, type Pair, writeMsp} from './crypto.js'

const sockets = new Set<Socket>()

function listen(server: Server): Promise<number> {
  server.on('connection', (sock: Socket) => {
    sockets.add(sock)
    sock.on('close', () => sockets.delete(sock))
  })
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve((server.address() as {port: number}).port))
  })
}

/** Close a server and whatever connections it still holds. */
function close(server: Server): Promise<void> {
  for (const s of sockets) s.destroy()
  return new Promise((resolve) => {
    server.close(() => resolve())
  })
}

describe('network import --check: probes', () => {
  let ca: CA
  let otherCA: CA
  let server: Pair

  before(async () => {
    ca = await newCA('tlsca.org1.example.com')
    otherCA = await newCA('tlsca.org2.example.com')
    server = await issue(ca, {cn: 'peer0.org1.example.com', sans: ['peer0.org1.example.com', 'localhost', '127.0.0.1']})
  })

  describe('TLS handshake', () => {
    const servers: Server[] = []

    after(async () => {
      for (const s of servers) await close(s)
    })

    async function tlsServer(pair: Pair): Promise<number> {
      const s = createTlsServer({ALPNProtocols: ['h2'], cert: pair.cert, key: pair.key}, (sock) => sock.end())
      servers.push(s)
      return listen(s)
    }

    it('passes with the right CA and a name in the certificate, and says what it checked', async () => {
      const port = await tlsServer(server)
      const step = await probeTls({address: `localhost:${port}`, caFile: 'ca.pem', caPem: ca.cert, timeoutMs: 5000})
      expect(step).to.deep.equal({
        message: 'CN=peer0.org1.example.com issued by CN=tlsca.org1.example.com, name "localhost" matches',
        probe: 'tls',
        status: 'ok',
      })
      const ip = await probeTls({address: `127.0.0.1:${port}`, caFile: 'ca.pem', caPem: ca.cert, timeoutMs: 5000})
      expect(ip.status).to.equal('ok')
    })

    it('a wrong CA names the CA file, the CA it holds, and the issuer the server certificate needs', async () => {
      const port = await tlsServer(server)
      const step = await probeTls({
        address: `localhost:${port}`,
        caFile: '/x/org2-ca.pem',
        caPem: otherCA.cert,
        timeoutMs: 5000,
      })
      expect(step.status).to.equal('failed')
      expect(step.code).to.equal('tls-unknown-ca')
      expect(step.message).to.equal(
        `wrong TLS CA: the certificate of localhost:${port} (CN=peer0.org1.example.com, issued by CN=tlsca.org1.example.com) is not signed by /x/org2-ca.pem (CN=tlsca.org2.example.com)`,
      )
      expect(step.hint).to.contain('CN=tlsca.org1.example.com')
    })

    it('a leaf certificate given as the CA is called out', async () => {
      const port = await tlsServer(server)
      const leaf = await issue(otherCA, {cn: 'not-a-ca', sans: ['x']})
      const step = await probeTls({address: `localhost:${port}`, caFile: 'leaf.pem', caPem: leaf.cert, timeoutMs: 5000})
      expect(step.code).to.equal('tls-unknown-ca')
      expect(step.message).to.contain('(CN=not-a-ca (not a CA certificate))')
    })

    it('a name the certificate does not carry lists the names it does carry', async () => {
      const port = await tlsServer(await issue(ca, {cn: 'peer0.org1.example.com', sans: ['peer0.org1.example.com']}))
      const step = await probeTls({address: `localhost:${port}`, caFile: 'ca.pem', caPem: ca.cert, timeoutMs: 5000})
      expect(step.code).to.equal('tls-name-mismatch')
      expect(step.message).to.equal(
        `TLS name mismatch: the certificate of localhost:${port} (CN=peer0.org1.example.com) is for peer0.org1.example.com, not "localhost"`,
      )
      expect(step.hint).to.equal(
        'set hostnameOverride to one of peer0.org1.example.com, or dial a name the certificate carries',
      )
      const fixed = await probeTls({
        address: `localhost:${port}`,
        caFile: 'ca.pem',
        caPem: ca.cert,
        hostnameOverride: 'peer0.org1.example.com',
        timeoutMs: 5000,
      })
      expect(fixed.status).to.equal('ok')
      const wrong = await probeTls({
        address: `localhost:${port}`,
        caFile: 'ca.pem',
        caPem: ca.cert,
        hostnameOverride: 'peer9.example.com',
        timeoutMs: 5000,
      })
      expect(wrong.message).to.match(/not "peer9\.example\.com" \(hostnameOverride\)$/)
    })

    it('an expired server certificate says when it expired', async () => {
      const port = await tlsServer(await issue(ca, {cn: 'old', expired: true, sans: ['localhost']}))
      const step = await probeTls({address: `localhost:${port}`, caFile: 'ca.pem', caPem: ca.cert, timeoutMs: 5000})
      expect(step.code).to.equal('tls-expired')
      expect(step.message).to.match(new RegExp(`^the TLS certificate of localhost:${port} \\(CN=old\\) expired on `))
    })

    it('a closed port is "nothing listens … (connection refused)"', async () => {
      const s = createTcpServer()
      const port = await listen(s)
      await close(s)
      const step = await probeTls({address: `localhost:${port}`, caFile: 'ca.pem', caPem: ca.cert, timeoutMs: 5000})
      expect(step).to.deep.include({
        code: 'connection-refused',
        message: `nothing listens on localhost:${port} (connection refused)`,
        status: 'failed',
      })
    })

    it('a port that does not speak TLS, and one that never answers', async () => {
      const http = createTcpServer((sock) => sock.end('HTTP/1.1 400 Bad Request\r\n\r\n'))
      servers.push(http)
      const port = await listen(http)
      const step = await probeTls({address: `localhost:${port}`, caFile: 'ca.pem', caPem: ca.cert, timeoutMs: 5000})
      expect(step.code).to.equal('tls-handshake')
      expect(step.message).to.match(new RegExp(`^TLS handshake with localhost:${port} failed \\(`))
      expect(step.hint).to.match(/is TLS enabled on that port/)

      const silent = createTcpServer(() => {})
      servers.push(silent)
      const port2 = await listen(silent)
      const step2 = await probeTls({address: `localhost:${port2}`, caFile: 'ca.pem', caPem: ca.cert, timeoutMs: 300})
      expect(step2).to.deep.include({code: 'timeout', message: `no TLS answer from localhost:${port2} within 0.3 s`})
    })

    it('an unknown host is a DNS failure', async () => {
      const step = await probeTls({
        address: 'no-such-host.invalid:7051',
        caFile: 'ca.pem',
        caPem: ca.cert,
        timeoutMs: 5000,
      })
      expect(step.code).to.equal('dns')
      expect(step.message).to.match(/^cannot resolve no-such-host\.invalid \((ENOTFOUND|EAI_AGAIN)\)$/)
    })
  })

  describe("the peer's refusals, in the words Fabric v2.5 uses", () => {
    const who = {
      address: 'localhost:7051',
      mspId: 'Org1MSP',
      mspPath: '/m/User1/msp',
      subject: 'User1@org1.example.com',
    }

    it('a client identity calling an admin function: "is not an admin of Org1MSP"', () => {
      const step = classifyPeerRefusal(
        "Failed to authorize invocation due to failed ACL check: Failed verifying that proposal's creator satisfies local MSP principal during channelless check policy with policy [Admins]: [The identity is not an admin under this MSP [Org1MSP]: The identity does not contain OU [ADMIN], MSP: [Org1MSP]]",
        who,
      )
      expect(step.code).to.equal('not-admin')
      expect(step.message).to.equal(
        'identity User1@org1.example.com (/m/User1/msp) is not an admin of Org1MSP: localhost:7051 refused QueryInstalledChaincodes',
      )
      expect(step.hint).to.contain('The identity does not contain OU [ADMIN]')
    })

    it("another org's identity: not an identity of the peer's org", () => {
      const step = classifyPeerRefusal(
        'error validating proposal: access denied: channel [] creator org unknown, creator is malformed',
        {...who, mspId: 'Org2MSP', subject: 'Admin@org1.example.com'},
      )
      expect(step.code).to.equal('wrong-msp')
      expect(step.message).to.equal(
        'identity Admin@org1.example.com (/m/User1/msp) is not an identity of Org2MSP: localhost:7051 cannot validate it against Org2MSP',
      )
    })

    it('anything else is reported with what the peer said', () => {
      const step = classifyPeerRefusal('some new failure', who)
      expect(step).to.deep.include({code: 'peer-error', status: 'failed'})
      expect(step.message).to.equal('localhost:7051: QueryInstalledChaincodes failed: some new failure')
    })
  })

  it('checkNetwork: per endpoint, a failed step skips the ones after it and says why; a key from another pair is caught', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'fabk8s-check-'))
    const tls = createTlsServer({ALPNProtocols: ['h2'], cert: server.cert, key: server.key}, (sock) => sock.end())
    const closed = createTcpServer()
    try {
      const port = await listen(tls)
      const closedPort = await listen(closed)
      await close(closed)
      const idCA = await newCA('ca.org1.example.com')
      const admin = await issue(idCA, {cn: 'Admin@org1.example.com', ous: ['admin']})
      const other = await issue(idCA, {cn: 'Other', ous: ['admin']})
      const msp = writeMsp(path.join(dir, 'msp'), {cert: admin.cert, key: other.key})
      const caFile = path.join(dir, 'ca.pem')
      writeFileSync(caFile, ca.cert)
      const report = await checkNetwork(
        {
          channel: 'mychannel',
          orderer: {address: `localhost:${closedPort}`, tlsCACert: caFile},
          orgs: [{mspId: 'Org1MSP', mspPath: msp, peers: [{address: `localhost:${port}`, tlsCACert: caFile}]}],
        },
        {names: {[`localhost:${port}`]: 'peer0'}, timeoutMs: 5000},
      )
      expect(report.ok).to.equal(false)
      expect(report.failed).to.equal(2)
      const [peer, orderer] = report.endpoints
      expect(peer).to.deep.include({
        address: `localhost:${port}`,
        kind: 'peer',
        mspId: 'Org1MSP',
        name: 'peer0',
        ok: false,
      })
      expect(peer.steps.map((x) => [x.probe, x.status, x.code])).to.deep.equal([
        ['tls', 'ok', undefined],
        ['identity', 'failed', 'identity-key-mismatch'],
        ['admin', 'skipped', undefined],
        ['channel', 'skipped', undefined],
      ])
      expect(peer.steps[1].message).to.equal(
        `the private key in ${msp}/keystore does not belong to the certificate CN=Admin@org1.example.com in signcerts/`,
      )
      expect(peer.steps[2].message).to.equal('skipped: no usable identity')
      expect(orderer.steps.map((x) => [x.probe, x.status, x.code])).to.deep.equal([
        ['tls', 'failed', 'connection-refused'],
        ['deliver', 'skipped', undefined],
      ])
      expect(JSON.stringify(report)).not.to.contain('PRIVATE KEY')
    } finally {
      await close(tls)
      rmSync(dir, {force: true, recursive: true})
    }
  })

  it("the Deliver request: a DELIVER_SEEK_INFO envelope for the channel's newest block header, signed by the admin", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'fabk8s-deliver-'))
    try {
      const idCA = await newCA('ca.org1.example.com')
      const admin = await issue(idCA, {cn: 'Admin@org1.example.com', ous: ['admin']})
      const msp = writeMsp(path.join(dir, 'msp'), admin)
      const id = await loadIdentity({mspId: 'Org1MSP', mspPath: msp, peers: []})
      const env = await seekNewestEnvelope(id, 'mychannel')
      const payload = common.Payload.deserializeBinary(env.getPayload_asU8())
      const ch = common.ChannelHeader.deserializeBinary(payload.getHeader()!.getChannelHeader_asU8())
      expect(ch.getType()).to.equal(common.HeaderType.DELIVER_SEEK_INFO)
      expect(ch.getChannelId()).to.equal('mychannel')
      expect(ch.getTimestamp()?.getSeconds()).to.be.closeTo(Date.now() / 1000, 60)
      const seek = ordererProtos.SeekInfo.deserializeBinary(payload.getData_asU8())
      expect(seek.getStart()?.hasNewest()).to.equal(true)
      expect(seek.getStop()?.hasNewest()).to.equal(true)
      expect(seek.getContentType()).to.equal(ordererProtos.SeekInfo.SeekContentType.HEADER_WITH_SIG)
      const ok = verify(
        'sha256',
        env.getPayload_asU8(),
        createPublicKey(admin.cert),
        Buffer.from(env.getSignature_asU8()),
      )
      expect(ok).to.equal(true)
    } finally {
      rmSync(dir, {force: true, recursive: true})
    }
  })
})
