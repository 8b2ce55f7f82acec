import {common} from '@hyperledger/fabric-protos'
import {expect} from 'chai'
import {createPublicKey, verify, X509Certificate} from 'node:crypto'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {loadIdentity} from '../../../src/lib/fabric/identity.js'
import {
  buildProposal,
  computeTxId,
  decodeProposal,
  serializedIdentity,
  signProposal,
} from '../../../src/lib/fabric/proposal.js'

const MSP = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/fabric/msp/admin')
const ORG = {mspId: 'Org1MSP', mspPath: MSP, peers: []}
// order of the P-256 group: a low-S signature has s <= N/2
const N = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551')

/** r and s of a DER ECDSA signature. */
function derRS(sig: Uint8Array): {r: bigint; s: bigint} {
  const b = Buffer.from(sig)
  expect(b[0]).to.equal(0x30)
  let off = 2
  const int = () => {
    expect(b[off]).to.equal(0x02)
    const len = b[off + 1]
    const v = BigInt('0x' + b.subarray(off + 2, off + 2 + len).toString('hex'))
    off += 2 + len
    return v
  }

  return {r: int(), s: int()}
}

describe('fabric proposal', () => {
  it('builds an InstallChaincode proposal that decodes back to what was put in (channel "", _lifecycle)', async () => {
    const id = await loadIdentity(ORG)
    const nonce = new Uint8Array(24).fill(7)
    const {bytes, txId} = buildProposal(id, {
      args: [new Uint8Array([1, 2, 3])],
      chaincode: '_lifecycle',
      channel: '',
      fn: 'InstallChaincode',
      nonce,
    })
    const d = decodeProposal(bytes)
    expect(d.channel).to.equal('')
    expect(d.chaincode).to.equal('_lifecycle')
    expect(d.headerType).to.equal(common.HeaderType.ENDORSER_TRANSACTION)
    expect(Buffer.from(d.args[0]).toString()).to.equal('InstallChaincode')
    expect([...d.args[1]]).to.deep.equal([1, 2, 3])
    expect(d.creator.mspId).to.equal('Org1MSP')
    expect(d.creator.idBytes).to.equal(id.certPem.toString())
    expect([...d.nonce]).to.deep.equal([...nonce])
    expect(d.txId).to.equal(txId)
    // protoutil.ComputeTxID: hex(sha256(nonce ‖ creator))
    expect(txId).to.equal(computeTxId(nonce, serializedIdentity(id)))
    expect(txId).to.match(/^[0-9a-f]{64}$/)
  })

  it('keeps the channel for channel queries and gives a fresh nonce and tx ID each time', async () => {
    const id = await loadIdentity(ORG)
    const a = buildProposal(id, {chaincode: '_lifecycle', channel: 'mychannel', fn: 'QueryChaincodeDefinition'})
    const b = buildProposal(id, {chaincode: '_lifecycle', channel: 'mychannel', fn: 'QueryChaincodeDefinition'})
    expect(decodeProposal(a.bytes).channel).to.equal('mychannel')
    expect(a.txId).to.not.equal(b.txId)
  })

  it('signs the proposal bytes with ECDSA-SHA256 that verifies with the certificate, low-S', async () => {
    const id = await loadIdentity(ORG)
    const pub = createPublicKey(new X509Certificate(id.certPem).publicKey.export({format: 'pem', type: 'spki'}))
    for (let i = 0; i < 8; i++) {
      const {signed} = await signProposal(id, {chaincode: '_lifecycle', channel: '', fn: 'QueryInstalledChaincodes'})
      const sig = signed.getSignature_asU8()
      expect(verify('sha256', signed.getProposalBytes_asU8(), pub, sig)).to.equal(true)
      expect(derRS(sig).s <= N / 2n).to.equal(true)
      // a flipped byte must not verify
      const bad = Buffer.from(signed.getProposalBytes_asU8())
      bad[bad.length - 1] = bad.at(-1) === 0 ? 1 : 0
      expect(verify('sha256', bad, pub, sig)).to.equal(false)
    }
  })

  it('reads the admin identity: mspId, OUs, CN', async () => {
    const id = await loadIdentity(ORG)
    expect(id.mspId).to.equal('Org1MSP')
    expect(id.ous).to.include('admin')
    expect(id.subject).to.equal('Admin@org1.example.com')
  })

  it('says which folder is missing when mspPath is wrong', async () => {
    const err = await loadIdentity({mspId: 'Org1MSP', mspPath: '/nonexistent/msp', peers: []}).catch((error) => error)
    expect(err.exitCode).to.equal(3)
    expect(err.message).to.match(/no signcerts folder in \/nonexistent\/msp/)
  })
})
