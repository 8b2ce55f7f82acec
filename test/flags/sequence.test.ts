import {expect} from 'chai'

import {offlineProject} from '../lib/fabric/fabnet.js'
import {json, runCli} from '../support/cli.js'

describe('--sequence (lifecycle approve, commit)', () => {
  const dir = offlineProject()
  for (const cmd of ['approve', 'commit'])
    for (const value of ['99999999999999999999', '9007199254740993'])
      it(`lifecycle ${cmd} --sequence ${value}: a usage error naming the flag, not sent rounded or "Assertion failed" (exit 9)`, async () => {
        const r = await runCli(['lifecycle', cmd, '--sequence', value, '--json'], {cwd: dir})
        expect(r.code, r.stdout + r.stderr).to.equal(2)
        expect(json<{error: {message: string}}>(r).error.message).to.match(
          /^--sequence: Expected an integer less than or equal to 9007199254740991/,
        )
      })
})
