import {expect} from 'chai'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {buildInputsHash, immutableTag} from '../../../src/lib/image/tags.js'

describe('image tags: what names one build', () => {
  it('immutableTag appends 12 hex of the image ID to the tag', () => {
    expect(immutableTag('kv:1.0', 'sha256:0123456789abcdef0123')).to.equal('kv:1.0-0123456789ab')
    expect(immutableTag('localhost:5000/acme/kv', 'sha256:0123456789abcdef')).to.equal(
      'localhost:5000/acme/kv:0123456789ab',
    )
  })

  describe('buildInputsHash', () => {
    let dir: string

    beforeEach(() => {
      dir = mkdtempSync(path.join(tmpdir(), 'fabk8s-tags-'))
      writeFileSync(path.join(dir, 'Dockerfile'), 'FROM scratch\nCOPY server.js /\n')
      writeFileSync(path.join(dir, 'server.js'), 'console.log(1)\n')
      writeFileSync(path.join(dir, '.dockerignore'), 'notes.txt\n')
    })

    afterEach(() => rmSync(dir, {force: true, recursive: true}))

    const hash = (o = {}) => buildInputsHash({dir}, o)

    it('is the same for the same inputs, and changes with every input a build uses', async () => {
      const base = await hash({baseImage: 'node:20', buildArgs: ['A=1'], network: 'host'})
      expect(await hash({baseImage: 'node:20', buildArgs: ['A=1'], network: 'host'})).to.equal(base)
      expect(await hash({baseImage: 'node:22', buildArgs: ['A=1'], network: 'host'})).to.not.equal(base)
      expect(await hash({baseImage: 'node:20', buildArgs: ['A=2'], network: 'host'})).to.not.equal(base)
      expect(await hash({baseImage: 'node:20', buildArgs: ['A=1'], network: 'bridge'})).to.not.equal(base)
      writeFileSync(path.join(dir, 'server.js'), 'console.log(2)\n')
      expect(await hash({baseImage: 'node:20', buildArgs: ['A=1'], network: 'host'})).to.not.equal(base)
    })

    it('leaves out what .dockerignore excludes', async () => {
      const before = await hash()
      writeFileSync(path.join(dir, 'notes.txt'), 'not sent to docker\n')
      expect(await hash()).to.equal(before)
      writeFileSync(path.join(dir, 'other.txt'), 'sent to docker\n')
      expect(await hash()).to.not.equal(before)
    })
  })
})
