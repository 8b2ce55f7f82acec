import {peer} from '@hyperledger/fabric-protos'
import {expect} from 'chai'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {
  approvalNeeded,
  approveArgs,
  type Approved,
  commitArgs,
  type Committed,
  type Definition,
  definitionDiff,
  desiredDefinition,
  planSequence,
} from '../../../src/lib/fabric/definition.js'
import {applicationPolicy} from '../../../src/lib/fabric/policy.js'
import {rejection} from '../../support/rejection.js'

const lc = peer.lifecycle
const def = (o: Partial<Definition> = {}): Definition => ({
  collections: new Uint8Array(),
  endorsementPlugin: 'escc',
  initRequired: false,
  name: 'mycc',
  validationParameter: applicationPolicy({}).serializeBinary(),
  validationPlugin: 'vscc',
  version: '1.0',
  ...o,
})
const committed = (sequence: number, o: Partial<Definition> = {}): Committed => ({...def(o), sequence})
const PKG = 'mycc_1.0:aaaa'

describe('fabric definition: sequence planning', () => {
  it('nothing committed → sequence 1, commit', () => {
    expect(planSequence(undefined, def())).to.include({commit: true, sequence: 1})
  })

  it('committed definition equal → nothing to commit, stays at its sequence', () => {
    const p = planSequence(committed(3), def())
    expect(p).to.include({commit: false, sequence: 3})
    expect(p.changed).to.deep.equal([])
  })

  it('definition changed (policy) → committed + 1', () => {
    const p = planSequence(
      committed(1),
      def({validationParameter: applicationPolicy({signaturePolicy: "OR('Org1MSP.peer')"}).serializeBinary()}),
    )
    expect(p).to.include({commit: true, sequence: 2})
    expect(p.changed).to.deep.equal(['endorsementPolicy'])
  })

  it('version, initRequired and collections changes each bump the sequence', () => {
    expect(planSequence(committed(4), def({version: '1.1'})).sequence).to.equal(5)
    expect(planSequence(committed(4), def({initRequired: true})).changed).to.deep.equal(['initRequired'])
    const coll = new peer.CollectionConfigPackage()
    coll.addConfig(new peer.CollectionConfig())
    expect(planSequence(committed(4), def({collections: coll.serializeBinary()})).changed).to.deep.equal([
      'collections',
    ])
  })

  it('an empty plugin name equals the default the peer stores (escc / vscc)', () => {
    expect(definitionDiff(committed(1), def({endorsementPlugin: '', validationPlugin: ''}))).to.deep.equal([])
  })

  it('only the package changed → re-approve at the committed sequence, no commit', () => {
    const plan = planSequence(committed(2), def())
    const approved: Approved = {...def(), packageId: 'mycc_1.0:old', sequence: 2}
    expect(plan).to.include({commit: false, sequence: 2})
    expect(approvalNeeded(approved, def(), plan.sequence, PKG)).to.match(/approved package is mycc_1.0:old/)
  })

  it('an org whose approval matches (definition and package) is skipped', () => {
    expect(approvalNeeded({...def(), packageId: PKG, sequence: 1}, def(), 1, PKG)).to.equal(undefined)
    expect(approvalNeeded(undefined, def(), 1, PKG)).to.match(/not approved at sequence 1/)
    expect(approvalNeeded({...def(), packageId: PKG, sequence: 1}, def({version: '2'}), 1, PKG)).to.match(
      /approval differs \(version\)/,
    )
  })
})

describe('fabric definition: _lifecycle arguments', () => {
  it('approve args carry name, version, sequence, policy and the local package', () => {
    const a = lc.ApproveChaincodeDefinitionForMyOrgArgs.deserializeBinary(approveArgs(def(), 7, PKG))
    expect(a.getName()).to.equal('mycc')
    expect(a.getVersion()).to.equal('1.0')
    expect(a.getSequence()).to.equal(7)
    expect(a.getEndorsementPlugin()).to.equal('escc')
    expect(a.getValidationPlugin()).to.equal('vscc')
    expect(
      peer.ApplicationPolicy.deserializeBinary(a.getValidationParameter_asU8()).getChannelConfigPolicyReference(),
    ).to.equal('/Channel/Application/Endorsement')
    expect(a.getSource()!.getLocalPackage()!.getPackageId()).to.equal(PKG)
    expect(a.hasCollections()).to.equal(false)
  })

  it('approve without a package ID says "unavailable"; commit args have no source', () => {
    const a = lc.ApproveChaincodeDefinitionForMyOrgArgs.deserializeBinary(approveArgs(def(), 1, ''))
    expect(a.getSource()!.hasUnavailable()).to.equal(true)
    const c = lc.CommitChaincodeDefinitionArgs.deserializeBinary(commitArgs(def({initRequired: true}), 2))
    expect(c.getSequence()).to.equal(2)
    expect(c.getInitRequired()).to.equal(true)
  })
})

describe('fabric definition: a bad policy or collections file names where it came from', () => {
  const project = (definition: Record<string, unknown>) =>
    ({definition: {initRequired: false, ...definition}, name: 'mycc', version: '1.0'}) as never

  it('fabk8s.yaml definition.signaturePolicy: the project error (exit 3) naming the field, on one line', async () => {
    const e = await rejection(desiredDefinition(project({signaturePolicy: "OR('Org1MSP.peer'"})))
    expect(e.code).to.equal('PROJECT')
    expect(e.message).to.match(/^fabk8s\.yaml definition\.signaturePolicy: \S/)
    expect(e.message).to.not.contain('\n')
  })

  it('--signature-policy: the usage error naming the flag, even when fabk8s.yaml has a policy too', async () => {
    const e = await rejection(
      desiredDefinition(project({signaturePolicy: "OR('Org1MSP.peer')"}), {signaturePolicy: 'NOPE('}),
    )
    expect(e.code).to.equal('USAGE')
    expect(e.message).to.match(/^--signature-policy: \S/)
  })

  it('collectionsConfig: a file that cannot be read, or is not JSON, named with the field or the flag', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'fabk8s-def-'))
    try {
      const missing = await rejection(desiredDefinition(project({collectionsConfig: path.join(dir, 'nope.json')})))
      expect(missing.code).to.equal('PROJECT')
      expect(missing.message).to.equal(
        `fabk8s.yaml definition.collectionsConfig: cannot read ${path.join(dir, 'nope.json')}`,
      )
      const bad = path.join(dir, 'bad.json')
      writeFileSync(bad, 'nope\nnot json\n')
      const notJson = await rejection(desiredDefinition(project({}), {collectionsConfig: bad}))
      expect(notJson.code).to.equal('USAGE')
      expect(notJson.message).to.match(
        new RegExp(`^--collections-config: ${bad.replaceAll('/', String.raw`\/`)}: not JSON`),
      )
      expect(notJson.message).to.not.contain('\n')
    } finally {
      rmSync(dir, {force: true, recursive: true})
    }
  })
})
