import {expect} from 'chai'

import {INIT_DEFAULTS, planProject} from '../../../src/lib/scaffold/init.js'

describe('scaffold/init planProject', () => {
  for (const language of ['typescript', 'javascript', 'go', 'java'] as const) {
    it(`${language}: the README's local run sets the server's environment on the command that starts it`, async () => {
      const files = await planProject({...INIT_DEFAULTS, language, name: 'kv'})
      const readme = files.find((f) => f.path === 'README.md')!.content.toString('utf8')
      const line = /^Run it locally against a peer: `([^`]+)`/m.exec(readme)
      expect(line, readme).to.not.equal(null)
      // `A=1 B=2 build && start` sets A and B for the build only: the server would start without them
      const commands = line![1].split('&&').map((c) => c.trim())
      const start = commands.at(-1)!
      expect(start).to.match(/^CHAINCODE_SERVER_ADDRESS=0\.0\.0\.0:9999 CHAINCODE_ID=<package id> \S/)
      for (const c of commands.slice(0, -1)) expect(c).to.not.include('CHAINCODE_')
    })
  }
})
