import {expect} from 'chai'

import {isAlreadyApproved, isAlreadyInstalled, isNotFound, mapFabricError} from '../../../src/lib/fabric/errmap.js'

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
