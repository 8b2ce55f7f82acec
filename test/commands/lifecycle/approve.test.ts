import {expect} from 'chai'

import {fabnetOrSkip, tempProject, uniqueName} from '../../lib/fabric/fabnet.js'
import {json, runCli} from '../../support/cli.js'

describe('fabk8s lifecycle approve (Fabric network)', function () {
  this.timeout(120_000)

  it('an --org given twice approves once for it, not twice in one block (MVCC_READ_CONFLICT)', async function () {
    const f = fabnetOrSkip(this)
    const dir = tempProject(f, {name: uniqueName()})
    const r = await runCli(['lifecycle', 'approve', '--org', 'Org1MSP', '--org', 'Org1MSP', '--json'], {cwd: dir})
    expect(r.code, r.stdout + r.stderr).to.equal(0)
    const out = json<{orgs: {approved: boolean; mspId: string; validation?: string}[]}>(r)
    expect(out.orgs).to.have.length(1)
    expect(out.orgs[0]).to.include({approved: true, mspId: 'Org1MSP', validation: 'VALID'})
  })
})
