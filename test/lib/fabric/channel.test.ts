import {expect} from 'chai'

import {policyShortfall} from '../../../src/lib/fabric/channel.js'

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
