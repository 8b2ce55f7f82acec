import {expect} from 'chai'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {type BadServer, silentServer} from '../support/bad-servers.js'
import {json, startCli} from '../support/cli.js'

const MSP = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/fabric/msp/admin')
const CERT = path.join(MSP, 'signcerts', 'Admin@org1.example.com-cert.pem')

/**
 * Ctrl-C in the Fabric commands that run without a task list: exit 130 and what it left behind, in one JSON document
 * under --json, not Node's silent exit by signal (no output, no exit code of ours).
 */
describe('Ctrl-C in lifecycle approve, commit, install, invoke and query', function () {
  this.timeout(60_000)
  let peer: BadServer
  let dir: string

  before(async () => {
    // a peer and an orderer that take the connection and never answer: the command waits there
    peer = await silentServer()
    const address = peer.url.replace('https://', '')
    dir = mkdtempSync(path.join(tmpdir(), 'fabk8s-interrupt-'))
    writeFileSync(
      path.join(dir, 'fabk8s.yaml'),
      [
        'name: kv',
        'version: "1.0"',
        'chaincode: {address: "127.0.0.1:9999", tls: false}',
        'network:',
        '  channel: mychannel',
        `  orderer: {address: "${address}", tlsCACert: ${CERT}}`,
        '  orgs:',
        `    - {mspId: Org1MSP, mspPath: ${MSP}, peers: [{address: "${address}", tlsCACert: ${CERT}}]}`,
        '',
      ].join('\n'),
    )
  })

  after(async () => {
    await peer.stop()
    rmSync(dir, {force: true, recursive: true})
  })

  const cases: [string[], string][] = [
    [
      ['lifecycle', 'approve'],
      "interrupted during lifecycle approve: approvals already sent may still commit; `fabk8s lifecycle status` shows each org's approval",
    ],
    [
      ['lifecycle', 'commit'],
      'interrupted during lifecycle commit: a commit already sent may still be committed; `fabk8s lifecycle status` shows the committed definition',
    ],
    [
      ['lifecycle', 'install'],
      'interrupted during lifecycle install: installs already sent may still complete; `fabk8s lifecycle status` shows what each peer holds',
    ],
    [
      ['invoke', 'Put', 'k', 'v'],
      'interrupted during invoke: a transaction already sent may still commit; `fabk8s query` shows the state',
    ],
    [['query', 'Get', 'k'], 'interrupted during query: nothing was changed (a query commits nothing)'],
  ]
  for (const [args, message] of cases)
    it(`${args.slice(0, 2).join(' ')} --json: exit 130 and one JSON document saying what may have been sent`, async () => {
      const {hits} = peer
      const run = startCli([...args, '--json'], {cwd: dir})
      for (let i = 0; i < 200 && peer.hits === hits; i++)
        await new Promise((r) => {
          setTimeout(r, 50)
        })
      expect(peer.hits, 'the command connected to the peer').to.be.above(hits)
      run.kill('SIGINT')
      const r = await run.done
      expect(r.code, r.stdout + r.stderr).to.equal(130)
      expect(json<{error: unknown}>(r).error).to.deep.equal({code: 'ABORTED', exitCode: 130, message})
    })
})
