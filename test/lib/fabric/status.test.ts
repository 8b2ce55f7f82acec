import {expect} from 'chai'
import {readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {fabricView} from '../../../src/lib/fabric/status.js'
import {loadProject} from '../../../src/lib/project/load.js'
import {json, runCli} from '../../support/cli.js'
import {fabnetOrSkip, tempProject, uniqueName} from './fabnet.js'

describe('fabricView (fabk8s status) on the Fabric network', function () {
  this.timeout(120_000)

  it('a definition changed in fabk8s.yaml but not registered: the approvals are those of the committed sequence, whose package the peers launch', async function () {
    const f = fabnetOrSkip(this)
    const dir = tempProject(f, {name: uniqueName()})
    const reg = await runCli(['register', '--json'], {cwd: dir})
    expect(reg.code, reg.stdout + reg.stderr).to.equal(0)
    const {packageId} = json<{packageId: string}>(reg)
    // a new endorsement policy: register would approve and commit sequence 2, which no org has approved yet
    const file = path.join(dir, 'fabk8s.yaml')
    writeFileSync(
      file,
      readFileSync(file, 'utf8').replace('network:', `definition:\n  signaturePolicy: "OR('Org1MSP.peer')"\nnetwork:`),
    )
    const project = await loadProject(file, process.env)
    const view = await fabricView(project, packageId, packageId)
    expect(view.error).to.equal(undefined)
    expect(view.committedSequence).to.equal(1)
    expect(view.approved).to.deep.equal({Org1MSP: packageId, Org2MSP: packageId})
    expect(view.missingOn).to.deep.equal([])
    expect(view.planned?.sequence).to.equal(2)
  })
})
