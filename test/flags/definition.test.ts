import {expect} from 'chai'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {json, runCli} from '../support/cli.js'

/** A project whose network is never reached: the flags are checked before any identity or connection. */
function project(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'fabk8s-defflags-'))
  writeFileSync(
    path.join(dir, 'fabk8s.yaml'),
    [
      'name: pk',
      'version: "2.0"',
      'chaincode:',
      '  address: pk.fabk8s.svc.cluster.local:9999',
      '  tls: false',
      'definition:',
      `  signaturePolicy: "OR('Org1MSP.peer')"`,
      'network:',
      '  channel: ch',
      '  orderer: {address: "127.0.0.1:1", tlsCACert: ca.pem}',
      '  orgs:',
      '    - mspId: Org1MSP',
      '      mspPath: msp1',
      '      peers: [{address: "127.0.0.1:2", tlsCACert: ca.pem}]',
      '',
    ].join('\n'),
  )
  return dir
}

describe('definition flags (lifecycle approve, commit, status; register)', () => {
  const dir = project()
  for (const cmd of [['lifecycle', 'approve'], ['lifecycle', 'commit'], ['lifecycle', 'status'], ['register']])
    for (const flag of ['--signature-policy', '--channel-config-policy', '--collections-config'])
      it(`${cmd.join(' ')} ${flag} "": a usage error naming the flag, not fabk8s.yaml's definition without a word`, async () => {
        const r = await runCli([...cmd, flag, '', '--json'], {cwd: dir})
        expect(r.code, r.stdout + r.stderr).to.equal(2)
        expect(json<{error: {message: string}}>(r).error.message).to.equal(`${flag}: empty value`)
      })
})
