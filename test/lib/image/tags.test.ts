import {expect} from 'chai'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {buildInputsHash, buildTagBase, immutableTag, isBuildTag} from '../../../src/lib/image/tags.js'

describe('image tags: what names one build', () => {
  it('immutableTag appends 12 hex of the image ID to the tag', () => {
    expect(immutableTag('kv:1.0', 'sha256:0123456789abcdef0123')).to.equal('kv:1.0-0123456789ab')
    expect(immutableTag('localhost:5000/acme/kv', 'sha256:0123456789abcdef')).to.equal(
      'localhost:5000/acme/kv:0123456789ab',
    )
  })

  it('isBuildTag: exactly the shape immutableTag makes, as Docker or containerd names it', () => {
    const hex = '0123456789ab'
    for (const ref of [`kv:1.0-${hex}`, `docker.io/library/kv:1.0-${hex}`, `docker.io/kv:1.0-${hex}`])
      expect(isBuildTag('kv:1.0', ref), ref).to.equal(true)
    for (const ref of [
      'kv:1.0',
      'kv:1.0-latest',
      'docker.io/library/kv:1.0-latest',
      `kv:1.0-${hex}0`, // 13 hex
      `kv:1.0-${hex.slice(1)}`, // 11 hex
      'kv:1.0-0123456789AB', // upper case
      `kv:1.0-x${hex}`,
      `kv:1.0.1-${hex}`,
      `kv:2.0-${hex}`,
      `kv:${hex}`, // a build of untagged kv, not of kv:1.0
      `acme/kv:1.0-${hex}`,
      `kv:1.0-${hex}@sha256:${'a'.repeat(64)}`,
      `import-2026-12-07@sha256:${'a'.repeat(52)}${hex}`,
      `sha256:${'a'.repeat(52)}${hex}`,
    ])
      expect(isBuildTag('kv:1.0', ref), ref).to.equal(false)
    // an image without a tag: its builds are <repository>:<12 hex>
    expect(isBuildTag('localhost:5000/acme/kv', `localhost:5000/acme/kv:${hex}`)).to.equal(true)
    expect(isBuildTag('kv', `docker.io/library/kv:${hex}`)).to.equal(true)
    expect(isBuildTag('kv', `kv:latest-${hex}`)).to.equal(false)
    expect(isBuildTag('localhost:5000/acme/kv', `docker.io/acme/kv:${hex}`)).to.equal(false)
  })

  it('buildTagBase: the image a build tag is of, for the image ID it names', () => {
    const id = `sha256:0123456789ab${'c'.repeat(52)}`
    expect(buildTagBase('kv:1.0-0123456789ab', id)).to.equal('kv:1.0')
    expect(buildTagBase('localhost:5000/acme/kv:0123456789ab', id)).to.equal('localhost:5000/acme/kv')
    expect(buildTagBase('kv:1.0-0123456789ab', `sha256:${'d'.repeat(64)}`)).to.equal(undefined) // another ID
    expect(buildTagBase('kv:1.0', id)).to.equal(undefined)
    expect(buildTagBase('kv:1.0-latest', id)).to.equal(undefined)
    expect(buildTagBase('0123456789ab', id)).to.equal(undefined)
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
