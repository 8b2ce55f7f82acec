import {expect} from 'chai'
import {readFileSync} from 'node:fs'
import path from 'node:path'

import {mapFabricError} from '../../../src/lib/fabric/errmap.js'

/** Real peer error texts (see the README there). */
const real = (name: string) =>
  readFileSync(path.resolve(import.meta.dirname, '../../fixtures/fabric/peer-errors', `${name}.txt`), 'utf8').trim()

const ctx = {address: 'localhost:7051', chaincode: 'kv', mspId: 'Org1MSP', op: 'query kv GetMetadata'}
const mapped = (name: string, code?: number) =>
  mapFabricError(Object.assign(new Error(real(name)), code === undefined ? {} : {code}), ctx)

describe('fabric: why the peers cannot run the chaincode (real Fabric v2.5 peer errors)', () => {
  it('a name the peer cannot resolve: one plain line naming the host and the address, with what to do', () => {
    const e = mapped('no-such-host')
    expect(e.exitCode).to.equal(9)
    expect(e.message).to.equal(
      'the peers cannot resolve rn.fabk8s.svc.cluster.local, the host of the chaincode at rn.fabk8s.svc.cluster.local:9999 (no such host)',
    )
    expect(e.hint)
      .to.match(/chaincode\.address/)
      .and.match(/NodePort/)
    expect(e.detail?.raw).to.contain('no such host')
  })

  it('nothing listening: says so, names the address and `fabk8s status` / `fabk8s up`', () => {
    const e = mapped('connection-refused')
    expect(e.message).to.equal(
      'the peers cannot reach the chaincode at 127.0.0.1:1 (connection refused): is it running? `fabk8s status`; start it with `fabk8s up`',
    )
    expect(e.message.length).to.be.below(200)
  })

  it('no route to the address (a Service left without endpoints): one short line, like a refusal', () => {
    const e = mapped('no-route-to-host')
    expect(e.message).to.equal(
      'the peers cannot reach the chaincode at 10.96.0.57:9999 (no route to host): is it running? `fabk8s status`; start it with `fabk8s up`',
    )
    expect(e.detail?.raw).to.contain('no route to host')
  })

  it('no answer, TLS to a plain server, a connection closed: timeout or TLS, never "is the peer running?"', () => {
    for (const name of ['dial-timeout', 'tls-to-plain-server']) {
      const e = mapped(name)
      expect(e.message, name).to.match(/^the peers cannot reach the chaincode at 127\.0\.0\.1:\d+ \(no answer within chaincode\.dialTimeout\): is it running\? `fabk8s status`/)
      expect(e.message, name).to.match(/TLS handshake failure/)
    }

    const closed = mapped('closed-connection')
    expect(closed.message).to.match(/closed the connection while the peers set it up: TLS on one side only\?/)
    expect(closed.detail?.chaincode).to.equal('tls')
  })

  it('a peer that never answers (it waits for a chaincode with another CHAINCODE_ID): points at CHAINCODE_ID', () => {
    const e = mapped('peer-deadline-wrong-chaincode-id', 4)
    expect(e.message)
      .to.match(/localhost:7051 did not answer within the deadline/)
      .and.match(/CHAINCODE_ID/)
    expect(e.hint).to.match(/fabk8s status/)
  })

  it('each is one line, far shorter than the peers’ text', () => {
    for (const name of ['no-such-host', 'connection-refused', 'dial-timeout', 'closed-connection']) {
      const e = mapped(name)
      expect(e.message, name).not.to.contain('\n')
      expect(e.message.length, name).to.be.below(real(name).length / 3)
    }
  })
})
