import {common, msp, peer} from '@hyperledger/fabric-protos'
import {expect} from 'chai'

import {
  applicationPolicy,
  collectionsFromJson,
  describeApplicationPolicy,
  endorsingOrgs,
  signaturePolicyFromString,
  signaturePolicyMspIds,
  signaturePolicyToString,
} from '../../../src/lib/fabric/policy.js'

const principals = (env: common.SignaturePolicyEnvelope) =>
  env.getIdentitiesList().map((p) => {
    const r = msp.MSPRole.deserializeBinary(p.getPrincipal_asU8())
    return `${r.getMspIdentifier()}/${r.getRole()}`
  })

describe('fabric policy DSL', () => {
  it('encodes OR of two members as NOutOf(1) over SignedBy 0 and 1', () => {
    const env = signaturePolicyFromString("OR('Org1MSP.member', 'Org2MSP.member')")
    expect(principals(env)).to.deep.equal(['Org1MSP/0', 'Org2MSP/0'])
    const rule = env.getRule()!.getNOutOf()!
    expect(rule.getN()).to.equal(1)
    expect(rule.getRulesList().map((r) => r.getSignedBy())).to.deep.equal([0, 1])
    // golden bytes, worked out by hand from the wire format of Go's policydsl result for this policy:
    // envelope{rule(2): NOutOf{n:1, rules:[SignedBy 0, SignedBy 1]}, identities(3): [ROLE{Org1MSP, MEMBER}, ROLE{Org2MSP, MEMBER}]}
    expect(Buffer.from(env.serializeBinary()).toString('hex')).to.equal(
      '120c120a080112020800120208011a0b12090a074f7267314d53501a0b12090a074f7267324d5350',
    )
  })

  it('numbers principals as Fabric does: nested gates first, then the gate’s own strings', () => {
    const env = signaturePolicyFromString("OR('C.peer', AND('A.admin', 'B.client'))")
    expect(principals(env)).to.deep.equal(['A/1', 'B/2', 'C/3'])
    const rules = env.getRule()!.getNOutOf()!.getRulesList()
    expect(rules[0].getSignedBy()).to.equal(2)
    expect(rules[1].getNOutOf()!.getN()).to.equal(2)
    expect(signaturePolicyToString(env)).to.equal("OR('C.peer', AND('A.admin', 'B.client'))")
  })

  it('supports OutOf and lower-case gates', () => {
    const env = signaturePolicyFromString("outof(2, 'A.member', 'B.member', 'C.member')")
    expect(env.getRule()!.getNOutOf()!.getN()).to.equal(2)
    expect(signaturePolicyToString(env)).to.equal("OutOf(2, 'A.member', 'B.member', 'C.member')")
  })

  for (const bad of ["OR('Org1MSP.boss')", "XOR('A.member')", "OR('A.member'", "OutOf(3, 'A.member')", 'OR()']) {
    it(`rejects ${bad}`, () => {
      expect(() => signaturePolicyFromString(bad)).to.throw(/invalid policy/)
    })
  }

  it('makes the default validation parameter /Channel/Application/Endorsement, or a signature policy', () => {
    expect(applicationPolicy({}).getChannelConfigPolicyReference()).to.equal('/Channel/Application/Endorsement')
    const sig = applicationPolicy({signaturePolicy: "AND('Org1MSP.peer','Org2MSP.peer')"})
    expect(sig.hasSignaturePolicy()).to.equal(true)
    expect(describeApplicationPolicy(sig.serializeBinary())).to.equal("AND('Org1MSP.peer', 'Org2MSP.peer')")
    expect(() => applicationPolicy({channelConfigPolicy: '/x', signaturePolicy: "OR('A.member')"})).to.throw(/not both/)
  })

  it('reads a peer-CLI collections config, with its defaults (maxPeerCount 1)', () => {
    const pkg = collectionsFromJson(
      JSON.stringify([
        {blockToLive: 5, memberOnlyRead: true, name: 'private', policy: "OR('Org1MSP.member')", requiredPeerCount: 0},
        {
          endorsementPolicy: {signaturePolicy: "OR('Org2MSP.peer')"},
          maxPeerCount: 3,
          name: 'other',
          policy: "OR('Org2MSP.member')",
        },
      ]),
    )
    const [a, b] = pkg.getConfigList().map((c) => c.getStaticCollectionConfig()!)
    expect(a.getName()).to.equal('private')
    expect(a.getMaximumPeerCount()).to.equal(1)
    expect(a.getBlockToLive()).to.equal(5)
    expect(a.getMemberOnlyRead()).to.equal(true)
    expect(b.getMaximumPeerCount()).to.equal(3)
    expect(b.getEndorsementPolicy()!.hasSignaturePolicy()).to.equal(true)
    expect(peer.CollectionConfigPackage.deserializeBinary(pkg.serializeBinary()).getConfigList()).to.have.length(2)
  })

  it('names the bad collection', () => {
    expect(() => collectionsFromJson('[{"name":"x"}]', 'c.json')).to.throw(
      /c\.json: collection \[0\] \(x\): "policy" is required/,
    )
    expect(() => collectionsFromJson('{', 'c.json')).to.throw(/c\.json: not JSON/)
  })

  it('names a count that is not a whole number and a flag that is not a boolean (the peer CLI reads Go types)', () => {
    const one = (extra: Record<string, unknown>) => () =>
      collectionsFromJson(JSON.stringify([{name: 'x', policy: "OR('Org1MSP.member')", ...extra}]), 'c.json')
    // before: protobuf's "Assertion failed", naming neither the file nor the field
    expect(one({requiredPeerCount: 'abc'})).to.throw(
      'c.json: collection [0] (x): "requiredPeerCount" must be a whole number ≥ 0, got "abc"',
    )
    expect(one({maxPeerCount: 1.5})).to.throw('"maxPeerCount" must be a whole number ≥ 0, got 1.5')
    expect(one({blockToLive: -1})).to.throw('"blockToLive" must be a whole number ≥ 0, got -1')
    // before: "false" (a non-empty string) was taken as true
    expect(one({memberOnlyRead: 'false'})).to.throw(
      'c.json: collection [0] (x): "memberOnlyRead" must be true or false, got "false"',
    )
    expect(one({memberOnlyWrite: 1})).to.throw('"memberOnlyWrite" must be true or false, got 1')
  })
})

describe('endorsing orgs for a policy', () => {
  const orgs = ['Org1MSP', 'Org2MSP', 'Org3MSP']
  const sig = (dsl: string) => applicationPolicy({signaturePolicy: dsl}).serializeBinary()

  it('picks the fewest orgs that satisfy the policy, the submitting org first', () => {
    expect(endorsingOrgs(sig("OR('Org1MSP.peer','Org2MSP.peer')"), orgs, 'Org2MSP')).to.deep.equal(['Org2MSP'])
    expect(endorsingOrgs(sig("OR('Org1MSP.peer','Org2MSP.peer')"), orgs, 'Org3MSP')).to.deep.equal(['Org1MSP'])
    expect(endorsingOrgs(sig("AND('Org1MSP.peer','Org2MSP.peer')"), orgs, 'Org1MSP')).to.deep.equal([
      'Org1MSP',
      'Org2MSP',
    ])
    expect(
      endorsingOrgs(sig("OutOf(2, 'Org1MSP.member', 'Org2MSP.member', 'Org3MSP.member')"), orgs, 'Org3MSP'),
    ).to.deep.equal(['Org3MSP', 'Org1MSP'])
    expect(endorsingOrgs(sig("AND('Org1MSP.peer', OR('Org2MSP.peer','Org3MSP.peer'))"), orgs, 'Org3MSP')).to.deep.equal(
      ['Org3MSP', 'Org1MSP'],
    )
  })

  it('undefined where it cannot know or cannot satisfy: channel policy reference, org not listed, one org twice', () => {
    const ref = applicationPolicy({channelConfigPolicy: '/Channel/Application/Endorsement'}).serializeBinary()
    expect(endorsingOrgs(ref, orgs)).to.equal(undefined)
    expect(endorsingOrgs(sig("AND('Org1MSP.peer','Org9MSP.peer')"), orgs)).to.equal(undefined)
    // each signature counts once (Fabric's cauthdsl): one peer of Org1MSP cannot sign twice
    expect(endorsingOrgs(sig("AND('Org1MSP.peer','Org1MSP.member')"), orgs)).to.equal(undefined)
  })

  it('the MSP IDs a signature policy names (once each); undefined for a channel policy reference', () => {
    expect(signaturePolicyMspIds(sig("AND('Org1MSP.peer', OR('Org9MSP.peer','Org1MSP.member'))"))).to.have.members([
      'Org1MSP',
      'Org9MSP',
    ])
    const ref = applicationPolicy({channelConfigPolicy: '/Channel/Application/Endorsement'}).serializeBinary()
    expect(signaturePolicyMspIds(ref)).to.equal(undefined)
    expect(signaturePolicyMspIds(new Uint8Array([0xff, 0xff]))).to.equal(undefined)
  })
})
