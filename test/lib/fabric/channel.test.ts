import {expect} from 'chai'

import {checkPolicyNames, policyPath, policyShortfall} from '../../../src/lib/fabric/channel.js'
import {applicationPolicy} from '../../../src/lib/fabric/policy.js'

describe('fabric channel: whether the endorsing orgs satisfy a channel policy', () => {
  const never = () => false
  const majority = {rule: 'MAJORITY', subPolicy: 'Endorsement'} as const

  it("MAJORITY: more than half of the channel's orgs; 1 of 2 and 2 of 4 are short, 2 of 3 is enough", () => {
    expect(policyShortfall(majority, ['Org1MSP', 'Org2MSP'], ['Org1MSP'], never)).to.deep.equal({
      needs: "MAJORITY Endorsement (peers of 2 of the channel's 2 orgs)",
      outside: ['Org2MSP'],
    })
    expect(policyShortfall(majority, ['A', 'B', 'C', 'D'], ['A', 'B'], never)).to.deep.equal({
      needs: "MAJORITY Endorsement (peers of 3 of the channel's 4 orgs)",
      outside: ['C', 'D'],
    })
    expect(policyShortfall(majority, ['A', 'B', 'C'], ['A', 'B'], never)).to.equal(undefined)
  })

  it('ANY is met by one org, ALL only by every org; endorsers outside the channel do not count', () => {
    expect(policyShortfall({rule: 'ANY', subPolicy: 'Endorsement'}, ['A', 'B'], ['A'], never)).to.equal(undefined)
    expect(policyShortfall({rule: 'ANY', subPolicy: 'Endorsement'}, ['A', 'B'], ['Z'], never)).to.deep.equal({
      needs: "ANY Endorsement (peers of one of the channel's 2 orgs)",
      outside: ['A', 'B'],
    })
    expect(policyShortfall({rule: 'ALL', subPolicy: 'Endorsement'}, ['A', 'B', 'C'], ['A', 'B'], never)).to.deep.equal({
      needs: "ALL Endorsement (peers of all the channel's 3 orgs)",
      outside: ['C'],
    })
  })

  it('a signature policy is evaluated over the endorsing orgs that are in the channel', () => {
    const seen: string[][] = []
    const policy = {signature: new Uint8Array([1]), text: "OR('A.peer', 'B.peer')"}
    const satisfies = (_: Uint8Array, orgs: string[]) => {
      seen.push(orgs)
      return orgs.includes('B')
    }

    expect(policyShortfall(policy, ['A', 'B', 'C'], ['A', 'Z'], satisfies)).to.deep.equal({
      needs: "OR('A.peer', 'B.peer')",
      outside: ['B', 'C'],
    })
    expect(policyShortfall(policy, ['A', 'B', 'C'], ['B'], satisfies)).to.equal(undefined)
    expect(seen).to.deep.equal([['A'], ['B']])
  })
})

describe('fabric channel: an endorsement policy names what the channel has', () => {
  const names = {
    orgs: ['Org1MSP', 'Org2MSP'],
    policies: ['/Channel/Application/Endorsement', '/Channel/Application/Org1MSP/Peers', '/Channel/Readers'],
  }
  const vp = (o: {channelConfigPolicy?: string; signaturePolicy?: string}) => applicationPolicy(o).serializeBinary()
  const check = (o: {channelConfigPolicy?: string; signaturePolicy?: string}, source: string) => () =>
    checkPolicyNames(vp(o), names, 'mychannel', source)

  it("a reference resolves as Fabric's policy manager does: absolute under /Channel, or relative to it", () => {
    expect(policyPath('/Channel/Application/Endorsement')).to.equal('/Channel/Application/Endorsement')
    expect(policyPath('Application/Endorsement')).to.equal('/Channel/Application/Endorsement')
    expect(check({channelConfigPolicy: 'Application/Org1MSP/Peers'}, '--channel-config-policy')).not.to.throw()
    expect(check({channelConfigPolicy: '/Channel/Readers'}, '--channel-config-policy')).not.to.throw()
  })

  it('a signature policy naming an MSP ID outside the channel: a usage error naming the flag and the org', () => {
    expect(check({signaturePolicy: "OR('Org1MSP.peer','Org2MSP.member')"}, '--signature-policy')).not.to.throw()
    expect(check({signaturePolicy: "OR('Org1MSP.peer','Org3MSP.peer')"}, '--signature-policy'))
      .to.throw('--signature-policy: Org3MSP is not an org of channel mychannel (its orgs: Org1MSP, Org2MSP)')
      .with.property('code', 'USAGE')
    expect(check({signaturePolicy: "AND('Org3MSP.peer','Org4MSP.peer')"}, 'signaturePolicy'))
      .to.throw(/^fabk8s\.yaml definition\.signaturePolicy: Org3MSP, Org4MSP are not orgs of channel mychannel/)
      .with.property('code', 'PROJECT')
  })

  it('a channel config policy that the channel does not have: a usage error naming the flag and the policy', () => {
    expect(check({channelConfigPolicy: '/Channel/Application/Nope'}, '--channel-config-policy'))
      .to.throw(
        /^--channel-config-policy: \/Channel\/Application\/Nope is not a policy of channel mychannel \(its Application policies: \/Channel\/Application\/Endorsement\)$/,
      )
      .with.property('code', 'USAGE')
    // another channel's root, or a group's name without a policy
    expect(check({channelConfigPolicy: '/Other/Application/Endorsement'}, '--channel-config-policy')).to.throw(
      /is not a policy/,
    )
    expect(check({channelConfigPolicy: '/Channel/Application'}, '--channel-config-policy')).to.throw(/is not a policy/)
  })
})
