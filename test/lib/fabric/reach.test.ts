import {expect} from 'chai'
import {readFileSync} from 'node:fs'
import path from 'node:path'

import {mapFabricError} from '../../../src/lib/fabric/errmap.js'
import {chaincodeReach} from '../../../src/lib/fabric/reach.js'

/** Real peer error texts (see the README there). */
const real = (name: string) =>
  readFileSync(path.resolve(import.meta.dirname, '../../fixtures/fabric/peer-errors', `${name}.txt`), 'utf8').trim()

describe('fabric: why the peers cannot reach the chaincode (real Fabric v2.5 peer errors)', () => {
  it('a name the peer cannot resolve: one plain line naming the address, with what to do', () => {
    const r = chaincodeReach(real('no-such-host'))!
    expect(r.kind).to.equal('resolve')
    expect(r.message).to.equal(
      'the peers cannot reach the chaincode at rn.fabk8s.svc.cluster.local:9999 (the name rn.fabk8s.svc.cluster.local does not resolve on the peer)',
    )
    expect(r.hint)
      .to.match(/^peers must reach the chaincode Service at that address/)
      .and.match(/NodePort/)
    expect(r.peers).to.deep.equal(['Org1MSP localhost:7051', 'Org2MSP localhost:9051'])
    expect(r.cause).to.equal(
      'error while dialing: dial tcp: lookup rn.fabk8s.svc.cluster.local on 10.255.255.53:53: no such host',
    )
  })

  it('nothing listening, no answer, a connection closed, TLS to a plain server', () => {
    const refused = chaincodeReach(real('connection-refused'))!
    expect(refused.kind).to.equal('refused')
    expect(refused.message).to.equal(
      'the peers cannot reach the chaincode at 127.0.0.1:1 (connection refused: nothing listens there)',
    )
    const silent = chaincodeReach(real('dial-timeout'))!
    expect(silent.kind).to.equal('no-answer')
    expect(silent.message).to.match(
      /^the peers cannot reach the chaincode at 127\.0\.0\.1:\d+ \(no answer within the dial timeout\)$/,
    )
    expect(chaincodeReach(real('tls-to-plain-server'))!.kind).to.equal('no-answer')
    expect(chaincodeReach(real('tls-to-plain-server'))!.hint).to.match(/TLS/)
    const closed = chaincodeReach(real('closed-connection'))!
    expect(closed.kind).to.equal('closed')
    expect(closed.message).to.match(/\(the connection was closed: write tcp .*use of closed network connection\)$/)
  })

  it('a peer that does not answer the call (it waits for a chaincode with another CHAINCODE_ID)', () => {
    const r = chaincodeReach(real('peer-deadline-wrong-chaincode-id'))!
    expect(r.kind).to.equal('peer-timeout')
    expect(r.hint).to.match(/CHAINCODE_ID/)
  })

  it('errors that are not about reaching the chaincode are left alone', () => {
    expect(chaincodeReach('10 ABORTED: failed to endorse transaction: chaincode response 500, asset a1 does not exist'))
      .to.be.undefined
    expect(chaincodeReach('14 UNAVAILABLE: No connection established. Last error: connect ECONNREFUSED 127.0.0.1:7051'))
      .to.be.undefined
  })

  it('query/invoke errors say it once instead of the 1.5 KB per peer', () => {
    const e = mapFabricError(new Error(real('no-such-host')), {address: 'localhost:7051', op: 'query kv GetMetadata'})
    expect(e.exitCode).to.equal(9)
    expect(e.message).to.equal(
      'query kv GetMetadata: the peers cannot reach the chaincode at rn.fabk8s.svc.cluster.local:9999 (the name rn.fabk8s.svc.cluster.local does not resolve on the peer)',
    )
    expect(e.detail?.raw).to.contain('no such host')
    // dial-timeout used to read as "cannot reach localhost:7051 … is the peer running?"
    const t = mapFabricError(new Error(real('dial-timeout')), {address: 'localhost:7051', op: 'query kv GetMetadata'})
    expect(t.message).to.match(/the peers cannot reach the chaincode at 127\.0\.0\.1:\d+ \(no answer/)
  })
})
