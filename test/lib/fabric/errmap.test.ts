import {expect} from 'chai'

import {
  chaincodeProblem,
  isAlreadyApproved,
  isAlreadyInstalled,
  isNotFound,
  mapFabricError,
} from '../../../src/lib/fabric/errmap.js'
import {PeerResponseError} from '../../../src/lib/fabric/session.js'

const ctx = {
  address: 'localhost:7051',
  channel: 'mychannel',
  mspId: 'Org1MSP',
  mspPath: '/msp/user',
  op: 'install on localhost:7051',
  orderer: 'localhost:7050',
  tlsCACert: '/ca/tlsca.pem',
}
// messages as grpc-js 1.14 and Fabric v2.5 report them (seen on the fabnet network)
const grpc = (code: number, details: string) => Object.assign(new Error(`${code} X: ${details}`), {code, details})

describe('fabric error mapping', () => {
  it('unreachable peer: names the address, exit 9', () => {
    const e = mapFabricError(
      grpc(14, 'No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:7051. Resolution note: '),
      ctx,
    )
    expect(e.exitCode).to.equal(9)
    expect(e.message).to.equal(
      'cannot reach localhost:7051 (connect ECONNREFUSED 127.0.0.1:7051) during install on localhost:7051',
    )
  })

  it('TLS with the wrong CA: names the CA file', () => {
    const e = mapFabricError(
      grpc(
        14,
        'No connection established. Last error: Error: unable to verify the first certificate. Resolution note: ',
      ),
      ctx,
    )
    expect(e.message).to.match(
      /^TLS handshake with localhost:7051 failed \(unable to verify the first certificate\); check the CA file \/ca\/tlsca.pem$/,
    )
  })

  it('TLS host name not in the certificate: says which name', () => {
    const e = mapFabricError(
      grpc(
        14,
        "No connection established. Last error: Error [ERR_TLS_CERT_ALTNAME_INVALID]: Hostname/IP does not match certificate's altnames: Host: wrong.example.com. is not in the cert's altnames: DNS:peer0.org1.example.com, DNS:localhost",
      ),
      {...ctx, hostnameOverride: 'wrong.example.com'},
    )
    expect(e.message).to.match(/^TLS: host name "wrong.example.com" is not in the certificate of localhost:7051/)
    expect(e.hint).to.match(/hostnameOverride/)
  })

  it('not an admin: names the org and the MSP folder', () => {
    const e = mapFabricError(
      new Error(
        "Failed to authorize invocation due to failed ACL check: Failed verifying that proposal's creator satisfies local MSP principal during channelless check policy with policy [Admins]: [The identity is not an admin under this MSP [Org1MSP]: The identity does not contain OU [ADMIN], MSP: [Org1MSP]]",
      ),
      ctx,
    )
    expect(e.message).to.match(/^access denied at localhost:7051 for Org1MSP/)
    expect(e.hint).to.contain('/msp/user')
  })

  // Fabric v2.5's text when the peer cannot read the signer as an identity of its MSP ID (seen on fabnet)
  it("an identity the peer cannot take as the org's: says so (peer of another org, mspId not on the channel), not 'must be an ADMIN'", () => {
    const channelless = mapFabricError(
      new Error('error validating proposal: access denied: channel [] creator org unknown, creator is malformed'),
      {...ctx, mspId: 'Org2MSP'},
    )
    expect(channelless.message).to.equal(
      'access denied at localhost:7051 for Org2MSP (install on localhost:7051): the peer does not take the identity as one of Org2MSP',
    )
    expect(channelless.hint).to.equal(
      "a peer takes channelless calls only from its own org: is localhost:7051 a peer of Org2MSP (network.orgs[].peers), and is the certificate in mspPath (/msp/user) issued by Org2MSP's CA?",
    )
    const onChannel = mapFabricError(
      new Error(
        'error validating proposal: access denied: channel [mychannel] creator org unknown, creator is malformed',
      ),
      {...ctx, mspId: 'Org3MSP', op: 'query committed definition of kv'},
    )
    expect(onChannel.message).to.equal(
      'access denied at localhost:7051 for Org3MSP (query committed definition of kv): channel mychannel does not take the identity as one of Org3MSP',
    )
    expect(onChannel.hint).to.match(/^is Org3MSP an org of channel mychannel \(network\.orgs\[\]\.mspId\)/)
    expect(onChannel.detail).to.include({kind: 'access'})
  })

  it('channel missing', () => {
    const e = mapFabricError(new Error("channel 'nochannel' not found"), ctx)
    expect(e.exitCode).to.equal(9)
    expect(e.message).to.match(/^channel "mychannel" does not exist on localhost:7051/)
  })

  it('a chaincode error keeps the chaincode message and where it came from', () => {
    const err = Object.assign(
      new Error('10 ABORTED: failed to endorse transaction, see attached details for more info'),
      {
        code: 10,
        details: [
          {address: 'localhost:7051', message: 'chaincode response 500, asset zz does not exist', mspId: 'Org1MSP'},
        ],
      },
    )
    const e = mapFabricError(err, {...ctx, op: 'invoke kv DeleteAsset'})
    expect(e.message).to.equal(
      'invoke kv DeleteAsset: the chaincode returned an error (status 500) at Org1MSP localhost:7051: asset zz does not exist',
    )
  })

  it('a chaincode that found no CORE_PEER_LOCALMSPID (shim.GetMSPID()): the hint says to run one pod per peer', () => {
    const why =
      "CreateAsset cannot be performed: Error failed getting the peer's MSPID: 'CORE_PEER_LOCALMSPID' is not set"
    const e = mapFabricError(new PeerResponseError(500, why, 'localhost:7051'), {
      ...ctx,
      chaincode: 'kv',
      op: 'invoke kv CreateAsset',
    })
    expect(e.message).to.equal(
      `invoke kv CreateAsset: the chaincode returned an error (status 500) at Org1MSP localhost:7051: ${why}`,
    )
    expect(e.hint).to.match(/one pod per peer \(chaincode\.address with \{\{\.peername\}\}/)
    const other = mapFabricError(new PeerResponseError(500, 'asset a1 does not exist', 'localhost:7051'), {
      ...ctx,
      chaincode: 'kv',
      op: 'query kv ReadAsset',
    })
    expect(other.hint).to.equal(undefined)
  })

  it('recognises the _lifecycle answers that mean "already done" or "not there"', () => {
    expect(isAlreadyInstalled(new Error("chaincode already successfully installed (package ID 'x:1')"))).to.equal(true)
    expect(
      isAlreadyApproved(
        new Error('attempted to redefine uncommitted sequence (1) for namespace kv with unchanged content'),
      ),
    ).to.equal(true)
    expect(
      isAlreadyApproved(
        new Error('attempted to redefine the current committed sequence (2) for namespace kv with unchanged content'),
      ),
    ).to.equal(true)
    expect(
      isNotFound(
        new Error("could not fetch approved chaincode definition (name: 'kv', sequence: '1') on channel 'mychannel'"),
      ),
    ).to.equal(true)
    expect(isNotFound(Object.assign(new Error('namespace kv is not defined'), {status: 404}))).to.equal(true)
    expect(isNotFound(new Error("channel 'x' not found"))).to.equal(false)
  })
})

// What Fabric v2.5.16 peers answered (ProposalResponse.response.message) when they could not run a CCaaS chaincode,
// captured on the fabnet network with chaincode.address set to each case
const PKG = 'kv_1.0:91d4106f808da036870c7340d95c1a5902ffbab256d7c01ce7f0732d18ff122a'
const TX = 'a95417de201d190a03aca4128e97f6c0bc1664969166fc8f0618ab1aafe3294e'
const launch = (rest: string) =>
  `error in simulation: failed to execute transaction ${TX}: could not launch chaincode ${PKG}: ${rest}`
const dial = (address: string, rest: string) =>
  launch(
    `connection to ${PKG} failed: error cannot create connection for ${PKG}: error creating grpc connection to ${address}: ${rest}`,
  )
const PEER_TEXT = {
  closed: dial(
    'localhost:7050',
    'failed to create new connection: write tcp 127.0.0.1:35782->127.0.0.1:7050: use of closed network connection',
  ),
  noSuchHost: dial(
    'nosuchhost.invalid:9999',
    'failed to create new connection: connection error: desc = "transport: error while dialing: dial tcp: lookup nosuchhost.invalid on 10.255.255.53:53: no such host"',
  ),
  refused: dial(
    '192.0.2.2:30117',
    'failed to create new connection: connection error: desc = "transport: error while dialing: dial tcp 192.0.2.2:30117: connect: connection refused"',
  ),
  terminated: launch(`chaincode registration failed: connection to ${PKG} terminated`),
  // a TLS server whose certificate the peer does not trust: Go's blocking dial hides the x509 error behind the deadline
  tlsTimeout: launch(
    `chaincode registration failed: connection to ${PKG} failed: error cannot create connection for ${PKG}: error creating grpc connection to localhost:7050: failed to create new connection: context deadline exceeded`,
  ),
}

describe('chaincode problems reported by the peers', () => {
  it('connection refused: says once that the peers cannot reach the chaincode, and what to run', () => {
    const e = mapFabricError(Object.assign(new Error(PEER_TEXT.refused), {status: 500}), {
      ...ctx,
      op: 'query kv Get',
    })
    expect(e.exitCode).to.equal(9)
    expect(e.message).to.equal(
      'the peers cannot reach the chaincode at 192.0.2.2:30117 (connection refused): is it running? `fabk8s status`; start it with `fabk8s up`',
    )
    expect(e.detail).to.include({chaincode: 'refused', raw: PEER_TEXT.refused})
  })

  it('the Gateway form (both peers, each with the same text) gives the same single line', () => {
    const both = Object.assign(new Error('10 ABORTED: failed to evaluate transaction, see attached details'), {
      code: 10,
      details: [
        {address: 'localhost:7051', message: PEER_TEXT.refused, mspId: 'Org1MSP'},
        {address: 'localhost:9051', message: PEER_TEXT.refused, mspId: 'Org2MSP'},
      ],
    })
    const e = mapFabricError(both, ctx)
    expect(e.message).to.match(/^the peers cannot reach the chaincode at 192\.0\.2\.2:30117 \(connection refused\)/)
    expect(e.message.match(/cannot reach/g)).to.have.length(1)
  })

  it('a host the peers cannot resolve', () => {
    const p = chaincodeProblem(PEER_TEXT.noSuchHost)!
    expect(p.kind).to.equal('no-such-host')
    expect(p.message).to.equal(
      'the peers cannot resolve nosuchhost.invalid, the host of the chaincode at nosuchhost.invalid:9999 (no such host)',
    )
    expect(p.hint).to.match(/chaincode\.address/)
  })

  it('a dial that times out (which is also how a TLS handshake failure looks from the peer)', () => {
    const p = chaincodeProblem(PEER_TEXT.tlsTimeout)!
    expect(p.kind).to.equal('timeout')
    expect(p.message).to.match(
      /^the peers cannot reach the chaincode at localhost:7050 \(no answer within chaincode\.dialTimeout\).*TLS handshake/,
    )
  })

  // the x509 text is the form Go's grpc gives when a dial does not block (v2.5's ccaas dial blocks: see tlsTimeout)
  it('TLS errors the peer does report, and a connection closed while setting up', () => {
    const x509 = chaincodeProblem(
      dial(
        'kv.fabk8s.svc.cluster.local:9999',
        'failed to create new connection: connection error: desc = "transport: authentication handshake failed: tls: failed to verify certificate: x509: certificate is valid for kv, not kv.fabk8s.svc.cluster.local"',
      ),
    )!
    expect(x509.kind).to.equal('tls')
    expect(x509.message).to.equal(
      'TLS between the peers and the chaincode at kv.fabk8s.svc.cluster.local:9999 failed (tls: failed to verify certificate: x509: certificate is valid for kv, not kv.fabk8s.svc.cluster.local)',
    )
    const closed = chaincodeProblem(PEER_TEXT.closed)!
    expect(closed.kind).to.equal('tls')
    expect(closed.message).to.match(/^the chaincode at localhost:7050 closed the connection .*TLS on one side only/)
  })

  it('a server that connects but does not register, and one that registers under another package ID', () => {
    const t = chaincodeProblem(PEER_TEXT.terminated)!
    expect(t.kind).to.equal('terminated')
    expect(t.hint).to.contain(PKG)
    // a server running with another CHAINCODE_ID: the peer waits chaincode.startuptimeout (here 5 s) for it
    const id = chaincodeProblem(launch(`timeout expired while starting chaincode ${PKG} for transaction`))!
    expect(id.kind).to.equal('id-mismatch')
    expect(id.message).to.equal(
      `the chaincode never registered with the peers as ${PKG}: is the server running with another CHAINCODE_ID (package ID)?`,
    )
  })

  it('leaves other errors alone (a chaincode error, an unreachable peer)', () => {
    expect(chaincodeProblem('chaincode response 500, key k not found')).to.equal(undefined)
    expect(chaincodeProblem('No connection established. Last error: connect ECONNREFUSED 127.0.0.1:7051')).to.equal(
      undefined,
    )
  })
})

describe('orderer and gateway errors name what failed', () => {
  it('an unreachable orderer is named as the orderer', () => {
    const e = mapFabricError(
      grpc(14, 'No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:7050. Resolution note: '),
      {...ctx, address: 'localhost:7050', op: 'broadcast', role: 'orderer'},
    )
    expect(e.message).to.equal(
      'orderer localhost:7050 is unreachable (connect ECONNREFUSED 127.0.0.1:7050) during broadcast',
    )
    expect(e.hint).to.match(/network\.orderer/)
  })

  // grpc-js's text for a method the server does not serve (seen on fabnet: the orderer at a peer's address and back)
  it("a peer's address given as the orderer: says it is not an orderer, and which field to fix", () => {
    const e = mapFabricError(grpc(12, 'unknown service orderer.AtomicBroadcast'), {
      ...ctx,
      address: 'localhost:7051',
      op: 'approve kv sequence 1 for Org1MSP',
      role: 'orderer',
    })
    expect(e.message).to.equal(
      'orderer localhost:7051 is not an orderer: it has no orderer.AtomicBroadcast service (is it a peer?) during approve kv sequence 1 for Org1MSP',
    )
    expect(e.hint).to.match(/^network\.orderer\.address in fabk8s\.yaml/)
    expect(e.detail).to.include({kind: 'wrong-node'})
  })

  it("a peer's address given as the orderer, called without the orderer's role (network import --check's Deliver): still not an orderer", () => {
    const e = mapFabricError(grpc(12, 'unknown service orderer.AtomicBroadcast'), {
      ...ctx,
      op: 'Deliver on mychannel',
    })
    expect(e.message).to.equal(
      'localhost:7051 is not an orderer: it has no orderer.AtomicBroadcast service (is it a peer?) during Deliver on mychannel',
    )
    expect(e.hint).to.match(/^network\.orderer\.address in fabk8s\.yaml/)
  })

  it("the orderer's address given as a peer: says it is not a peer, and which field to fix", () => {
    const e = mapFabricError(grpc(12, 'unknown service protos.Endorser'), {
      ...ctx,
      address: 'localhost:7050',
      op: 'query Org2MSP approval of kv',
    })
    expect(e.message).to.equal(
      'localhost:7050 is not a peer: it has no protos.Endorser service (is it an orderer?) during query Org2MSP approval of kv',
    )
    expect(e.hint).to.match(/^network\.orgs\[\]\.peers\[\]\.address in fabk8s\.yaml/)
  })

  it("a gateway that sees no peer of another org is not 'cannot reach'", () => {
    const e = mapFabricError(grpc(14, 'failed to find any endorsing peers for org(s): Org2MSP'), {
      ...ctx,
      op: 'commit kv sequence 1',
    })
    expect(e.message).to.equal(
      "peer localhost:7051's gateway sees no peer of Org2MSP (gossip/anchor peers) during commit kv sequence 1",
    )
  })
})
