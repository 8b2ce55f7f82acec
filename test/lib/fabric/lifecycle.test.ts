import {expect} from 'chai'

import type {NetworkConfig} from '../../../src/lib/project/schema.js'

import {type Definition, desiredDefinition} from '../../../src/lib/fabric/definition.js'
import {approve, commit} from '../../../src/lib/fabric/lifecycle.js'
import {FabricSession} from '../../../src/lib/fabric/session.js'
import {fabnetOrSkip, networkConfig, uniqueName} from './fabnet.js'

async function definition(name: string): Promise<Definition> {
  return desiredDefinition({definition: {initRequired: false}, name, version: '1.0'} as never)
}

describe('_lifecycle transactions @integration (real Fabric network)', function () {
  this.timeout(120_000)
  let net: NetworkConfig
  let s: FabricSession

  before(function () {
    net = networkConfig(fabnetOrSkip(this))
    s = new FabricSession(net, {timeoutMs: 30_000})
  })

  after(() => s?.close())

  it('two commits of one definition at once: one is VALID, the other says another change committed at the same time (exit 9, MVCC_READ_CONFLICT in --json detail)', async () => {
    const def = await definition(uniqueName('ha'))
    await Promise.all(net.orgs.map((org) => approve(s, org, def, 1, '', {waitOn: net.orgs})))
    // both endorsed before either is ordered: they land in one block, and the second reads what the first wrote
    const both = await Promise.allSettled([commit(s, def, 1), commit(s, def, 1)])
    expect(both.filter((r) => r.status === 'fulfilled')).to.have.length(1)
    const lost = both.find((r) => r.status === 'rejected')!.reason as Error & {
      code: string
      detail: Record<string, unknown>
      exitCode: number
      hint: string
    }
    expect(lost.message).to.match(
      new RegExp(
        `^commit ${def.name} sequence 1: another change to the definition committed at the same time, so this one was not applied \\(transaction [0-9a-f]{64} INVALID: MVCC_READ_CONFLICT in block \\d+\\)$`,
      ),
    )
    expect(lost.exitCode).to.equal(9)
    expect(lost.detail).to.include({concurrentChange: true, validation: 'MVCC_READ_CONFLICT'})
    expect(lost.hint).to.match(/run the command again/)
  })

  it('two approvals for one org at once: one is VALID, the other says another change committed at the same time', async () => {
    const def = await definition(uniqueName('ha'))
    const [org1] = net.orgs
    const both = await Promise.allSettled([approve(s, org1, def, 1, ''), approve(s, org1, def, 1, '')])
    expect(both.filter((r) => r.status === 'fulfilled')).to.have.length(1)
    const lost = both.find((r) => r.status === 'rejected')!.reason as Error & {detail: Record<string, unknown>}
    expect(lost.message).to.match(
      new RegExp(
        `^approve ${def.name} sequence 1 for ${org1.mspId}: another change to the definition committed at the same time`,
      ),
    )
    expect(lost.detail).to.include({concurrentChange: true, validation: 'MVCC_READ_CONFLICT'})
  })
})
