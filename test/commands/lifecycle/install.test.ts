import {expect} from 'chai'

import {fabnetOrSkip, networkYaml, offlineProject, tempProject, uniqueName} from '../../lib/fabric/fabnet.js'
import {json, runCli} from '../../support/cli.js'

describe('fabk8s lifecycle install', () => {
  it('a --peer that is not in fabk8s.yaml is a usage error naming it, also beside one that is (not left out)', async () => {
    const dir = offlineProject()
    for (const peers of [['127.0.0.1:4'], ['127.0.0.1:2', '127.0.0.1:4']]) {
      const r = await runCli(['lifecycle', 'install', ...peers.flatMap((p) => ['--peer', p]), '--json'], {cwd: dir})
      expect(r.code, r.stdout + r.stderr).to.equal(2)
      expect(json<{error: {message: string}}>(r).error.message).to.equal(
        '--peer 127.0.0.1:4: not a peer address in fabk8s.yaml network.orgs[].peers (127.0.0.1:2, 127.0.0.1:3)',
      )
    }
  })

  it('an --org that is not in fabk8s.yaml is a usage error naming it, also beside one that is', async () => {
    const r = await runCli(['lifecycle', 'install', '--org', 'Org1MSP', '--org', 'Org3MSP', '--json'], {
      cwd: offlineProject(),
    })
    expect(r.code, r.stdout + r.stderr).to.equal(2)
    expect(json<{error: {message: string}}>(r).error.message).to.equal(
      '--org Org3MSP: not in fabk8s.yaml network.orgs (Org1MSP, Org2MSP)',
    )
  })
})

describe('--package (lifecycle install, approve; register)', () => {
  for (const cmd of [['lifecycle', 'install'], ['lifecycle', 'approve'], ['register']])
    it(`${cmd.join(' ')} --package "": a usage error naming the flag, not the project's package without a word`, async () => {
      const r = await runCli([...cmd, '--package', '', '--json'], {cwd: offlineProject()})
      expect(r.code, r.stdout + r.stderr).to.equal(2)
      expect(json<{error: {message: string}}>(r).error.message).to.equal('--package: empty value')
    })
})

describe('fabk8s lifecycle install (Fabric network)', function () {
  this.timeout(120_000)

  it('one peer that cannot be reached does not stop the install on the others; the error says what each did', async function () {
    const f = fabnetOrSkip(this)
    const name = uniqueName()
    const dir = tempProject(f, {name, network: networkYaml(f, {orgs: [undefined, {peerAddress: '127.0.0.1:1'}]})})
    const r = await runCli(['lifecycle', 'install', '--json'], {cwd: dir})
    expect(r.code, r.stdout + r.stderr).to.equal(9)
    const e = json<{error: {detail: {peers: Record<string, string>}; message: string}}>(r).error
    expect(e.message).to.match(/^cannot reach 127\.0\.0\.1:1 .* during install on 127\.0\.0\.1:1; (\S+) installed$/)
    expect(e.message.split('; ')[1]).to.equal(`${f.orgs[0].peerAddress} installed`)
    expect(e.detail.peers[f.orgs[0].peerAddress]).to.equal('installed')
    // the reachable peer has it now
    const again = await runCli(['lifecycle', 'install', '--org', f.orgs[0].mspId, '--json'], {cwd: dir})
    expect(again.code, again.stderr).to.equal(0)
    expect(json<{peers: {installed: boolean}[]}>(again).peers.map((p) => p.installed)).to.deep.equal([false])
  })
})
