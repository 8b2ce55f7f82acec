import {common, msp, peer} from '@hyperledger/fabric-protos'
import {expect} from 'chai'
import {createPublicKey, verify, X509Certificate} from 'node:crypto'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {FabError} from '../../../src/lib/errors.js'
import {loadIdentity, type SigningIdentity} from '../../../src/lib/fabric/identity.js'
import {buildProposal} from '../../../src/lib/fabric/proposal.js'
import {
  compareEndorsements,
  type Endorsement,
  endorsementFailures,
  endorserMismatch,
  signedTransaction,
  type Target,
  transactionPayload,
} from '../../../src/lib/fabric/tx.js'

const MSP = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/fabric/msp/admin')

/** A ProposalResponse as a peer builds it: payload = ProposalResponsePayload{proposal hash, ChaincodeAction}. */
function response(o: {
  address?: string
  ccVersion?: string
  endorser?: string
  endorserMsp?: string
  payload?: string
  results?: string
  status?: number
}): peer.ProposalResponse {
  const ccResponse = new peer.Response()
  ccResponse.setStatus(o.status ?? 200)
  ccResponse.setPayload(Buffer.from(o.payload ?? 'ok'))
  const id = new peer.ChaincodeID()
  id.setName('kv')
  id.setVersion(o.ccVersion ?? 'kv_1.0:aa')
  const action = new peer.ChaincodeAction()
  action.setResults(Buffer.from(o.results ?? 'rwset'))
  action.setResponse(ccResponse)
  action.setChaincodeId(id)
  const prp = new peer.ProposalResponsePayload()
  prp.setProposalHash(Buffer.alloc(32, 1))
  prp.setExtension$(action.serializeBinary())
  const endorsement = new peer.Endorsement()
  if (o.endorserMsp) {
    const si = new msp.SerializedIdentity()
    si.setMspid(o.endorserMsp)
    si.setIdBytes(Buffer.from('-----BEGIN CERTIFICATE-----'))
    endorsement.setEndorser(si.serializeBinary())
  } else endorsement.setEndorser(Buffer.from(o.endorser ?? 'peer0'))
  endorsement.setSignature(Buffer.from('sig'))
  const r = new peer.ProposalResponse()
  r.setVersion(1)
  r.setResponse(ccResponse)
  r.setPayload(prp.serializeBinary())
  r.setEndorsement(endorsement)
  return r
}

const e = (mspId: string, address: string, r: peer.ProposalResponse): Endorsement => ({address, mspId, response: r})

describe('fabric transaction assembly', () => {
  let id: SigningIdentity

  before(async () => {
    id = await loadIdentity({mspId: 'Org1MSP', mspPath: MSP, peers: []})
  })

  it('builds the Envelope the way Fabric does: proposal header, payload without transient data, every endorsement', async () => {
    const {bytes, txId} = buildProposal(id, {
      args: ['k1', 'v1'],
      chaincode: 'kv',
      channel: 'mychannel',
      fn: 'Put',
      transient: {secret: Buffer.from('hidden')},
    })
    const endorsements = [
      e('Org1MSP', 'p1:7051', response({endorser: 'peer0.org1'})),
      e('Org2MSP', 'p2:9051', response({endorser: 'peer0.org2'})),
    ]
    const envBytes = await signedTransaction({endorsements, proposal: bytes, signer: id, txId})
    const env = common.Envelope.deserializeBinary(envBytes)
    // signed by the proposal's creator, over the payload bytes, low-S DER (verify accepts it)
    const pub = createPublicKey(new X509Certificate(id.certPem).publicKey.export({format: 'pem', type: 'spki'}))
    expect(verify('sha256', env.getPayload_asU8(), pub, env.getSignature_asU8())).to.equal(true)

    const proposal = peer.Proposal.deserializeBinary(bytes)
    const payload = common.Payload.deserializeBinary(env.getPayload_asU8())
    // the header is the proposal's own (same channel header bytes → same tx ID, same signature header)
    expect(Buffer.from(payload.getHeader()!.serializeBinary())).to.deep.equal(Buffer.from(proposal.getHeader_asU8()))
    const ch = common.ChannelHeader.deserializeBinary(payload.getHeader()!.getChannelHeader_asU8())
    expect(ch.getTxId()).to.equal(txId)
    expect(ch.getType()).to.equal(common.HeaderType.ENDORSER_TRANSACTION)

    const tx = peer.Transaction.deserializeBinary(payload.getData_asU8())
    expect(tx.getActionsList()).to.have.length(1)
    const action = tx.getActionsList()[0]
    expect(Buffer.from(action.getHeader_asU8())).to.deep.equal(
      Buffer.from(payload.getHeader()!.getSignatureHeader_asU8()),
    )
    const cap = peer.ChaincodeActionPayload.deserializeBinary(action.getPayload_asU8())
    const cpp = peer.ChaincodeProposalPayload.deserializeBinary(cap.getChaincodeProposalPayload_asU8())
    expect(cpp.getTransientmapMap().getLength()).to.equal(0)
    const original = peer.ChaincodeProposalPayload.deserializeBinary(proposal.getPayload_asU8())
    expect(original.getTransientmapMap().getLength()).to.equal(1)
    expect(Buffer.from(cpp.getInput_asU8())).to.deep.equal(Buffer.from(original.getInput_asU8()))
    const endorsed = cap.getAction()!
    expect(Buffer.from(endorsed.getProposalResponsePayload_asU8())).to.deep.equal(
      Buffer.from(endorsements[0].response.getPayload_asU8()),
    )
    expect(endorsed.getEndorsementsList().map((x) => Buffer.from(x.getEndorser_asU8()).toString())).to.deep.equal([
      'peer0.org1',
      'peer0.org2',
    ])
  })

  it('a transaction needs an endorsement', () => {
    const {bytes} = buildProposal(id, {chaincode: 'kv', channel: 'mychannel', fn: 'Put'})
    expect(() => transactionPayload(bytes, [])).to.throw(/at least one endorsement/)
  })

  it('equal endorsements pass; different ones say between which peers and what differs', () => {
    compareEndorsements([e('Org1MSP', 'p1:7051', response({})), e('Org2MSP', 'p2:9051', response({}))], 'invoke kv Put')
    const cases: [Parameters<typeof response>[0], RegExp][] = [
      [{payload: 'other'}, /\(the chaincode results\)$/],
      [{results: 'other rwset'}, /\(the read\/write sets\)$/],
      [{ccVersion: 'kv_1.0:bb'}, /\(the chaincode package\)$/],
    ]
    for (const [diff, re] of cases) {
      const err = (() => {
        try {
          compareEndorsements(
            [e('Org1MSP', 'p1:7051', response({})), e('Org2MSP', 'p2:9051', response(diff))],
            'invoke kv Put',
          )
        } catch (error) {
          return error as Error & {detail: Record<string, unknown>; exitCode: number; hint: string}
        }
      })()
      expect(err, JSON.stringify(diff)).to.not.equal(undefined)
      expect(err!.exitCode).to.equal(9)
      expect(Object.keys(err!.detail.peers as object)).to.deep.equal(['p1:7051', 'p2:9051'])
      expect((err!.detail.peers as Record<string, string>)['p2:9051']).to.match(/^endorsed, but .* differs from p1:7051's$/)
      expect(err!.message).to.match(
        /^invoke kv Put: the endorsements differ between Org1MSP p1:7051 and Org2MSP p2:9051 /,
      )
      expect(err!.message).to.match(re)
    }
  })

  it('a peer listed under another org than the one it endorses as is a fabk8s.yaml error naming both', () => {
    const target = {
      org: {mspId: 'Org2MSP', mspPath: '/msp', peers: []},
      peer: {address: 'localhost:7051', tlsCACert: '/ca.pem'},
    }
    expect(endorserMismatch(response({endorserMsp: 'Org2MSP'}), target)).to.equal(undefined)
    const err = endorserMismatch(response({endorserMsp: 'Org1MSP'}), target)!
    expect(err.exitCode).to.equal(3)
    expect(err.message).to.equal(
      'peer localhost:7051 is listed under Org2MSP in fabk8s.yaml, but it is a peer of Org1MSP',
    )
  })
})

describe('endorsementFailures: one error for the peers that did not endorse', () => {
  const target = (mspId: string, address: string) =>
    ({org: {mspId, mspPath: '/msp', peers: []}, peer: {address, tlsCACert: '/ca'}}) as unknown as Target
  const a = target('Org1MSP', 'localhost:7051')
  const b = target('Org2MSP', 'localhost:9051')
  const at = (t: Target, why: string) =>
    new FabError(
      'FABRIC',
      `invoke kv CreateAsset: the chaincode returned an error (status 500) at ${t.org.mspId} ${t.peer.address}: ${why}`,
    )

  it('says the reason once when every peer gave it, naming the peers where each message named its own', () => {
    const e = endorsementFailures(
      [
        {error: at(a, 'asset a1 already exists'), target: a},
        {error: at(b, 'asset a1 already exists'), target: b},
      ],
      2,
    )
    expect(e.message).to.equal(
      'invoke kv CreateAsset: the chaincode returned an error (status 500) at all 2 peers (Org1MSP localhost:7051, Org2MSP localhost:9051): asset a1 already exists',
    )
    expect(e.code).to.equal('FABRIC')
    // detail.peers as in every error: each peer's address → what it said
    expect(e.detail?.peers).to.deep.equal({
      'localhost:7051': at(a, 'asset a1 already exists').message,
      'localhost:9051': at(b, 'asset a1 already exists').message,
    })
    const one = endorsementFailures([{error: at(b, 'asset a1 already exists'), target: b}], 2)
    expect(one.message).to.contain('at Org2MSP localhost:9051: asset a1 already exists')
  })

  it("when one org's peer endorsed and the chaincode refused at another org's, the hint names a one-org policy", () => {
    const why = 'client from org Org1MSP is not authorized to read or write private data from an org Org2MSP peer'
    const e = endorsementFailures([{error: at(b, why), target: b}], 2, ['Org1MSP'])
    expect(e.message).to.contain(`at Org2MSP localhost:9051: ${why}`)
    expect(e.hint).to.equal(
      "Org1MSP endorsed; the endorsement policy also asked Org2MSP. If the contract serves only clients of the peer's own org (private data), define it with a policy one org satisfies, " +
        `definition.signaturePolicy: "OR('Org1MSP.peer','Org2MSP.peer')" in fabk8s.yaml (then fabk8s up), and invoke asks only the --org peer`,
    )
    // no peer endorsed, or the refusal is no chaincode error: not that case
    expect(endorsementFailures([{error: at(b, why), target: b}], 2).hint).to.equal(undefined)
    const unreachable = new FabError('FABRIC', 'peer localhost:9051 is unreachable', {hint: 'start it'})
    expect(endorsementFailures([{error: unreachable, target: b}], 2, ['Org1MSP']).hint).to.equal('start it')
  })

  it('keeps each peer when their reasons differ', () => {
    const e = endorsementFailures(
      [
        {error: at(a, 'asset a1 already exists'), target: a},
        {error: at(b, 'timeout'), target: b},
      ],
      3,
    )
    expect(e.message).to.match(/^2 of 3 peers did not endorse: Org1MSP localhost:7051: .*already exists; Org2MSP localhost:9051: .*timeout$/)
  })
})
