import {expect} from 'chai'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {json, runCli} from '../../support/cli.js'

/** A project whose network is never reached: the selection is checked before any identity or connection. */
function project(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'fabk8s-install-'))
  writeFileSync(
    path.join(dir, 'fabk8s.yaml'),
    [
      'name: pk',
      'version: "2.0"',
      'chaincode:',
      '  address: pk.fabk8s.svc.cluster.local:9999',
      '  tls: false',
      'network:',
      '  channel: ch',
      '  orderer: {address: "127.0.0.1:1", tlsCACert: ca.pem}',
      '  orgs:',
      '    - mspId: Org1MSP',
      '      mspPath: msp1',
      '      peers: [{address: "127.0.0.1:2", tlsCACert: ca.pem}]',
      '    - mspId: Org2MSP',
      '      mspPath: msp2',
      '      peers: [{address: "127.0.0.1:3", tlsCACert: ca.pem}]',
      '',
    ].join('\n'),
  )
  return dir
}

describe('fabk8s lifecycle install', () => {
  it('a --peer that is not in fabk8s.yaml is a usage error naming it, also beside one that is (not left out)', async () => {
    const dir = project()
    for (const peers of [['127.0.0.1:4'], ['127.0.0.1:2', '127.0.0.1:4']]) {
      const r = await runCli(['lifecycle', 'install', ...peers.flatMap((p) => ['--peer', p]), '--json'], {cwd: dir})
      expect(r.code, r.stdout + r.stderr).to.equal(2)
      expect(json<{error: {message: string}}>(r).error.message).to.equal(
        '--peer 127.0.0.1:4: not a peer address in fabk8s.yaml network.orgs[].peers (127.0.0.1:2, 127.0.0.1:3)',
      )
    }
  })

  it('an --org that is not in fabk8s.yaml is a usage error naming it, also beside one that is', async () => {
    const r = await runCli(['lifecycle', 'install', '--org', 'Org1MSP', '--org', 'Org3MSP', '--json'], {cwd: project()})
    expect(r.code, r.stdout + r.stderr).to.equal(2)
    expect(json<{error: {message: string}}>(r).error.message).to.equal(
      '--org Org3MSP: not in fabk8s.yaml network.orgs (Org1MSP, Org2MSP)',
    )
  })
})

describe('--package (lifecycle install, approve; register)', () => {
  for (const cmd of [['lifecycle', 'install'], ['lifecycle', 'approve'], ['register']])
    it(`${cmd.join(' ')} --package "": a usage error naming the flag, not the project's package without a word`, async () => {
      const r = await runCli([...cmd, '--package', '', '--json'], {cwd: project()})
      expect(r.code, r.stdout + r.stderr).to.equal(2)
      expect(json<{error: {message: string}}>(r).error.message).to.equal('--package: empty value')
    })
})
