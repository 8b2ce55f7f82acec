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

  it('a policy naming an org or a policy the channel does not have: exit 2 naming the flag, and nothing is approved', async function () {
    const f = fabnetOrSkip(this)
    const dir = tempProject(f, {name: uniqueName('ha')})
    const org = await runCli(['lifecycle', 'approve', '--signature-policy', "OR('Org1MSP.peer','Org9MSP.peer')"], {
      cwd: dir,
    })
    expect(org.code, org.stderr).to.equal(2)
    expect(org.stderr.split('\n')[0]).to.equal(
      `Error: --signature-policy: Org9MSP is not an org of channel ${f.channel} (its orgs: Org1MSP, Org2MSP)`,
    )
    const ref = await runCli(['lifecycle', 'approve', '--json', '--channel-config-policy', 'Application/Nope'], {
      cwd: dir,
    })
    expect(ref.code, ref.stdout).to.equal(2)
    const e = json<{error: {code: string; message: string}}>(ref).error
    expect(e.code).to.equal('USAGE')
    expect(e.message).to.match(
      /^--channel-config-policy: Application\/Nope is not a policy of channel \S+ \(its Application policies: .*\/Channel\/Application\/Endorsement/,
    )
    const st = json<{channelApprovals: Record<string, boolean>}>(
      await runCli(['lifecycle', 'status', '--json'], {cwd: dir}),
    )
    expect(st.channelApprovals).to.deep.equal({Org1MSP: false, Org2MSP: false})
  })
})
