import {expect} from 'chai'

import {FabError} from '../../../src/lib/errors.js'
import {approvalsFailed} from '../../../src/lib/fabric/approve.js'

// what submit throws for an approval committed INVALID (see submit.test.ts, which makes one on the real network)
const invalid = (mspId: string, code: string) =>
  new FabError(
    'FABRIC',
    `approve kv sequence 1 for ${mspId}: transaction ${'ab'.repeat(32)} was committed INVALID (${code}) in block 9 (seen on localhost:7051)`,
    {detail: {validation: code}, hint: 'another transaction changed what this one read'},
  )

describe('approvals of several orgs, reported per org', () => {
  it('one failed: names that org and its validation code, and the orgs that were approved', () => {
    const e = approvalsFailed(
      [{approved: true, mspId: 'Org1MSP', reason: 'not approved', sequence: 1, validation: 'VALID'}],
      [{error: invalid('Org2MSP', 'MVCC_READ_CONFLICT'), mspId: 'Org2MSP'}],
    )
    expect(e.exitCode).to.equal(9)
    expect(e.message).to.match(
      /^the approval of Org2MSP failed \(Org1MSP approved \(VALID\)\): approve kv sequence 1 for Org2MSP: transaction [0-9a-f]{64} was committed INVALID \(MVCC_READ_CONFLICT\)/,
    )
    expect(e.detail).to.deep.equal({approvals: {Org1MSP: 'VALID', Org2MSP: 'MVCC_READ_CONFLICT'}})
    expect(e.hint).to.match(/another transaction/)
  })

  it('several failed, one refused before ordering: each org with its own reason', () => {
    const refused = new FabError('FABRIC', 'access denied at localhost:9051 for Org2MSP (approve kv): not an admin')
    const e = approvalsFailed(
      [],
      [
        {error: invalid('Org1MSP', 'ENDORSEMENT_POLICY_FAILURE'), mspId: 'Org1MSP'},
        {error: refused, mspId: 'Org2MSP'},
      ],
    )
    expect(e.message).to.match(
      /^the approvals of Org1MSP, Org2MSP failed: Org1MSP: approve kv .*ENDORSEMENT_POLICY_FAILURE.*; Org2MSP: access denied at localhost:9051/,
    )
    expect(e.detail).to.deep.equal({
      approvals: {Org1MSP: 'ENDORSEMENT_POLICY_FAILURE', Org2MSP: refused.message},
    })
  })

  it('every failure lost a race with another run (lifecycle.ts says so): said once, with what was approved', () => {
    const race = (mspId: string) =>
      new FabError('FABRIC', `approve kv sequence 1 for ${mspId}: another change to the definition committed at …`, {
        detail: {block: 12, concurrentChange: true, validation: 'MVCC_READ_CONFLICT'},
        hint: 'run the command again: it sees what is in place now and does only what is left',
      })
    const e = approvalsFailed(
      [{approved: false, mspId: 'Org3MSP', reason: 'already approved', sequence: 1}],
      [
        {error: race('Org1MSP'), mspId: 'Org1MSP'},
        {error: race('Org2MSP'), mspId: 'Org2MSP'},
      ],
    )
    expect(e.message).to.equal(
      'the approvals of Org1MSP, Org2MSP were not applied (Org3MSP already approved): another change to the definition committed at the same time (MVCC_READ_CONFLICT in block 12)',
    )
    expect(e.detail).to.deep.equal({
      approvals: {Org1MSP: 'MVCC_READ_CONFLICT', Org2MSP: 'MVCC_READ_CONFLICT', Org3MSP: 'already approved'},
      concurrentChange: true,
    })
    expect(e.hint).to.match(/^run the command again/)
  })
})
