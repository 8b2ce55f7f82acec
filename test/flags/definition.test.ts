import {expect} from 'chai'

import {offlineProject} from '../lib/fabric/fabnet.js'
import {json, runCli} from '../support/cli.js'

describe('definition flags (lifecycle approve, commit, status; register)', () => {
  const dir = offlineProject(['definition:', `  signaturePolicy: "OR('Org1MSP.peer')"`].join('\n'))
  for (const cmd of [['lifecycle', 'approve'], ['lifecycle', 'commit'], ['lifecycle', 'status'], ['register']])
    for (const flag of ['--signature-policy', '--channel-config-policy', '--collections-config'])
      it(`${cmd.join(' ')} ${flag} "": a usage error naming the flag, not fabk8s.yaml's definition without a word`, async () => {
        const r = await runCli([...cmd, flag, '', '--json'], {cwd: dir})
        expect(r.code, r.stdout + r.stderr).to.equal(2)
        expect(json<{error: {message: string}}>(r).error.message).to.equal(`${flag}: empty value`)
      })
})
