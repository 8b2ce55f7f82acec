import {common} from '@hyperledger/fabric-protos'
import {expect} from 'chai'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import type {NetworkConfig, OrgConfig} from '../../../src/lib/project/schema.js'

import {
  approveArgs,
  checkCommitReadinessArgs,
  commitArgs,
  type Definition,
  desiredDefinition,
} from '../../../src/lib/fabric/definition.js'
import {loadIdentity} from '../../../src/lib/fabric/identity.js'
import {queryApproved} from '../../../src/lib/fabric/lifecycle.js'
import {broadcast} from '../../../src/lib/fabric/orderer.js'
import {FabricSession} from '../../../src/lib/fabric/session.js'
import {submit} from '../../../src/lib/fabric/submit.js'
import {endorse, signedTransaction, transactionPayload} from '../../../src/lib/fabric/tx.js'
import {type Fabnet, fabnetOrSkip, networkConfig, uniqueName} from './fabnet.js'

const FOREIGN_MSP = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/fabric/msp/admin')

async function definition(name: string): Promise<Definition> {
  return desiredDefinition({definition: {initRequired: false}, name, version: '1.0'} as never)
}

function approval(org: OrgConfig, def: Definition, packageId: string, channel: string) {
  return {
    endorsers: [{org, peer: org.peers[0]}],
    input: {
      args: [approveArgs(def, 1, packageId)],
      chaincode: '_lifecycle',
      channel,
      fn: 'ApproveChaincodeDefinitionForMyOrg',
    },
    op: `approve ${def.name} for ${org.mspId}`,
    org,
  }
}

async function caught(p: Promise<unknown>): Promise<Error & {detail?: Record<string, unknown>; hint?: string}> {
  try {
    await p
  } catch (error) {
    return error as Error
  }

  throw new Error('expected a rejection')
}

describe('submit without the gateway @integration (real Fabric network)', function () {
  this.timeout(120_000)
  let f: Fabnet
  let net: NetworkConfig
  let s: FabricSession
  const sessions: FabricSession[] = []
  const session = (n: NetworkConfig) => {
    const x = new FabricSession(n, {timeoutMs: 30_000})
    sessions.push(x)
    return x
  }

  before(function () {
    f = fabnetOrSkip(this)
    net = networkConfig(f)
    s = session(net)
  })

  after(() => {
    for (const x of sessions) x.close()
  })

  it('approvals of both orgs submitted at once: each endorsed by its own peer, ordered, VALID on both peers', async () => {
    const def = await definition(uniqueName('s'))
    const pkg = `${def.name}_1.0:${'ab'.repeat(32)}`
    const out = await Promise.all(
      net.orgs.map((org) => submit(s, {...approval(org, def, pkg, net.channel), waitOn: net.orgs})),
    )
    expect(out.map((o) => o.validation)).to.deep.equal(['VALID', 'VALID'])
    expect(out[0].txId).to.not.equal(out[1].txId)
    expect(out[0].submittedVia).to.equal(`orderer ${f.ordererAddress}`)
    for (const org of net.orgs) expect((await queryApproved(s, org, def.name, 1))?.packageId).to.equal(pkg)
  })

  it('a commit endorsed by too few orgs is committed INVALID and the error gives the validation code', async () => {
    const def = await definition(uniqueName('s'))
    await Promise.all(net.orgs.map((org) => submit(s, {...approval(org, def, '', net.channel), waitOn: net.orgs})))
    const [org1] = net.orgs
    // the channel's LifecycleEndorsement policy is a MAJORITY of the two orgs: one endorsement is not enough
    const err = await caught(
      submit(s, {
        endorsers: [{org: org1, peer: org1.peers[0]}],
        input: {
          args: [commitArgs(def, 1)],
          chaincode: '_lifecycle',
          channel: net.channel,
          fn: 'CommitChaincodeDefinition',
        },
        op: `commit ${def.name} sequence 1`,
        org: org1,
      }),
    )
    expect(err.message).to.match(
      new RegExp(
        `^commit ${def.name} sequence 1: transaction [0-9a-f]{64} was committed INVALID \\(ENDORSEMENT_POLICY_FAILURE\\) in block \\d+`,
      ),
    )
    expect(err.detail).to.include({validation: 'ENDORSEMENT_POLICY_FAILURE'})
  })

  it('of two conflicting approvals endorsed before either commits, the later one is INVALID (MVCC_READ_CONFLICT)', async () => {
    const def = await definition(uniqueName('s'))
    const [org1] = net.orgs
    const target = [{org: org1, peer: org1.peers[0]}]
    const input = (pkg: string) => ({
      args: [approveArgs(def, 1, pkg)],
      chaincode: '_lifecycle',
      channel: net.channel,
      fn: 'ApproveChaincodeDefinitionForMyOrg',
    })
    const [a, b] = await Promise.all(
      ['aa', 'bb'].map((x) => endorse(s, org1, target, input(`${def.name}_1.0:${x.repeat(32)}`), {op: 'approve'})),
    )
    const watcher = await s.watcher(org1)
    const orderer = await s.client(net.orderer)
    for (const e of [a, b])
      await broadcast(orderer, await signedTransaction(e), {
        ...s.ordererCtx('approve'),
        timeoutMs: 30_000,
        txId: e.txId,
      })
    const [sa, sb] = await Promise.all([watcher.wait(a.txId, 30_000), watcher.wait(b.txId, 30_000)])
    expect(sa.validation).to.equal('VALID')
    expect(sb.validation).to.equal('MVCC_READ_CONFLICT')
  })

  it('the orderer refuses an envelope it cannot accept, and is named as the orderer', async () => {
    const def = await definition(uniqueName('s'))
    const [org1] = net.orgs
    const e = await endorse(s, org1, [{org: org1, peer: org1.peers[0]}], approval(org1, def, '', net.channel).input, {
      op: 'approve',
    })
    // the creator in the header is org1's admin, the signature another key's: the channel's Writers policy fails
    const foreign = await loadIdentity({mspId: org1.mspId, mspPath: FOREIGN_MSP, peers: []})
    const payload = transactionPayload(e.proposal, e.endorsements)
    const env = new common.Envelope()
    env.setPayload(payload)
    env.setSignature(await foreign.sign(payload))
    const orderer = await s.client(net.orderer)
    const ctx = {...s.ordererCtx(`approve ${def.name}`), timeoutMs: 30_000, txId: e.txId}
    const forbidden = await caught(broadcast(orderer, env.serializeBinary(), ctx))
    expect(forbidden.message).to.match(
      new RegExp(`^orderer ${f.ordererAddress} rejected transaction ${e.txId} \\(approve ${def.name}\\): FORBIDDEN`),
    )
    expect(forbidden.hint).to.match(/Writers policy/)
    // an Envelope whose payload is not a Payload
    const garbage = new common.Envelope()
    garbage.setPayload(Buffer.from('not a payload'))
    garbage.setSignature(Buffer.from('x'))
    const bad = await caught(broadcast(orderer, garbage.serializeBinary(), ctx))
    expect(bad.message).to.match(new RegExp(`^orderer ${f.ordererAddress} rejected .*: BAD_REQUEST`))
    // bytes that are no Envelope at all fail in the orderer's gRPC layer: still named as the orderer
    const junk = await caught(broadcast(orderer, Buffer.from('not an envelope'), ctx))
    expect(junk.message).to.match(new RegExp(`failed at orderer ${f.ordererAddress}: grpc: failed to unmarshal`))
  })

  it('an orderer this machine cannot reach: the same envelope is submitted through the peer Gateway', async () => {
    const x = session(networkConfig(f, {orderer: {address: '127.0.0.1:1'}}))
    const def = await definition(uniqueName('s'))
    const [org1] = net.orgs
    const out = await submit(x, approval(org1, def, '', net.channel))
    expect(out.validation).to.equal('VALID')
    expect(out.submittedVia).to.equal(
      `peer ${org1.peers[0].address}'s gateway (orderer 127.0.0.1:1 unreachable from here)`,
    )
  })

  it('an orderer with the wrong TLS CA is a TLS error naming the orderer and the CA file (no fallback)', async () => {
    const x = session(networkConfig(f, {orderer: {tlsCACert: f.orgs[0].peerCA}}))
    const def = await definition(uniqueName('s'))
    const [org1] = x.network.orgs
    const err = await caught(submit(x, approval(org1, def, '', net.channel)))
    expect(err.message).to.match(
      new RegExp(`^TLS handshake with orderer ${f.ordererAddress} failed .*check the CA file ${f.orgs[0].peerCA}$`),
    )
  })

  it('the deliver service refuses a stranger (FORBIDDEN) and a channel the peer has not joined (NOT_FOUND)', async () => {
    const stranger = session(networkConfig(f, {orgs: [{mspPath: FOREIGN_MSP}]}))
    const e1 = await caught(stranger.watcher(stranger.network.orgs[0]))
    expect(e1.message).to.match(
      new RegExp(
        `^peer ${f.orgs[0].peerAddress}'s deliver service refused the commit-status stream for Org1MSP: FORBIDDEN`,
      ),
    )
    const nochannel = session({...net, channel: 'nochannel'})
    const e2 = await caught(nochannel.watcher(nochannel.network.orgs[0]))
    expect(e2.message).to.match(/refused the commit-status stream for Org1MSP: NOT_FOUND/)
    expect((e2 as {hint?: string}).hint).to.match(/has not joined the channel/)
  })

  it('a peer listed under the wrong org: its admin check refuses an approval, its endorsement gives it away', async () => {
    const [org1, org2] = net.orgs
    const misplaced = {...org2, peers: [org1.peers[0]]}
    const x = session({...net, orgs: [org1, misplaced]})
    const def = await definition(uniqueName('s'))
    const refused = await caught(submit(x, approval(misplaced, def, '', net.channel)))
    expect(refused.message).to.equal(
      `peer ${org1.peers[0].address} is a peer of ${org1.mspId}, but fabk8s.yaml lists it under ${org2.mspId}: it refuses ${org2.mspId}'s admin (approve ${def.name} for ${org2.mspId})`,
    )
    // a channel call (what an invoke is) has no admin check: the endorser's identity says which org answered
    const err = await caught(
      endorse(
        x,
        misplaced,
        [{org: misplaced, peer: misplaced.peers[0]}],
        {
          args: [checkCommitReadinessArgs(def, 1)],
          chaincode: '_lifecycle',
          channel: net.channel,
          fn: 'CheckCommitReadiness',
        },
        {op: 'check'},
      ),
    )
    expect(err.message).to.equal(
      `peer ${org1.peers[0].address} is listed under ${org2.mspId} in fabk8s.yaml, but it is a peer of ${org1.mspId}`,
    )
  })
})
