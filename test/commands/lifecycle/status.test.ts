import {expect} from 'chai'
import {readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {fabnetOrSkip, tempProject, uniqueName} from '../../lib/fabric/fabnet.js'
import {runCli} from '../../support/cli.js'

describe('fabk8s lifecycle status (Fabric network)', function () {
  this.timeout(180_000)

  it('the next line names the installs and approvals left to do when the committed definition is up to date', async function () {
    const f = fabnetOrSkip(this)
    const dir = tempProject(f, {name: uniqueName()})
    const peers = f.orgs.map((o) => o.peerAddress).join(', ')
    const next = async () => {
      const r = await runCli(['lifecycle', 'status'], {cwd: dir})
      expect(r.code, r.stderr).to.equal(0)
      return r.stdout.trim().split('\n').at(-1)
    }

    expect(await next()).to.equal(
      `next: not committed yet → install on ${peers}; approve for Org1MSP, Org2MSP at sequence 1; commit sequence 1`,
    )
    for (const step of ['approve', 'commit']) {
      const r = await runCli(['lifecycle', step], {cwd: dir})
      expect(r.code, `${step}: ${r.stderr}`).to.equal(0)
    }

    // committed, but no peer has the package: invokes fail until it is installed
    expect(await next()).to.equal(`next: committed definition (sequence 1) is up to date → install on ${peers}`)
    // another address is another package: every org approves it again at the same sequence
    const file = path.join(dir, 'fabk8s.yaml')
    writeFileSync(file, readFileSync(file, 'utf8').replace('127.0.0.1:9999', '127.0.0.1:9998'))
    expect(await next()).to.equal(
      `next: committed definition (sequence 1) is up to date → install on ${peers}; approve for Org1MSP, Org2MSP at sequence 1`,
    )
    const install = await runCli(['lifecycle', 'install'], {cwd: dir})
    expect(install.code, install.stderr).to.equal(0)
    const approve = await runCli(['lifecycle', 'approve'], {cwd: dir})
    expect(approve.code, approve.stderr).to.equal(0)
    expect(await next()).to.equal('next: committed definition (sequence 1) is up to date → nothing to do')
  })
})
