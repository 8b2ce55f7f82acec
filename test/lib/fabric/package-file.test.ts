import {expect} from 'chai'
import {mkdirSync, promises, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {restore, stub} from 'sinon'

import type {ProjectConfig} from '../../../src/lib/project/schema.js'

import {resolvePackage, writePackage} from '../../../src/lib/fabric/package-file.js'
import {buildPackage} from '../../../src/lib/fabric/package.js'
import {rejection} from '../../support/rejection.js'
import {goldenProject} from './golden.js'

/** A project whose fabk8s.yaml exists (the package's folder is checked against it). */
function project(): ProjectConfig {
  const p = goldenProject({address: 'golden.fabk8s.svc.cluster.local:9999'})
  writeFileSync(p.file, 'name: golden\n')
  return p
}

/** Record fs.promises.rename's calls (from, to); `fail` makes them throw EIO instead. */
function renames(fail = false): [string, string][] {
  const real = promises.rename.bind(promises)
  const calls: [string, string][] = []
  stub(promises, 'rename').callsFake(async (from, to) => {
    calls.push([String(from), String(to)])
    if (fail) throw Object.assign(new Error('EIO: rename failed'), {code: 'EIO'})
    return real(from, to)
  })
  return calls
}

describe('writePackage (lifecycle package -o)', () => {
  afterEach(() => restore())

  it('an output ending in .tgz or .tar.gz (any case) is the file: the built bytes, through a temp file beside it and one rename, and install --package reads it back; anything else, or a folder with such a name, is the folder', async () => {
    const pr = project()
    const built = await buildPackage(pr)
    for (const name of ['mycc.tgz', 'MyCC.TAR.GZ', path.join('new', 'deeper', 'cc.tar.gz')]) {
      restore()
      const calls = renames()
      const file = path.join(pr.dir, name)
      const r = await writePackage(pr, {output: file})
      expect(r).to.deep.include({file, label: 'golden_1.0', packageId: built.packageId})
      expect(readFileSync(file).equals(built.bytes)).to.equal(true)
      expect(calls).to.have.length(1)
      expect(calls[0][1]).to.equal(file)
      expect(path.dirname(calls[0][0])).to.equal(path.dirname(file))
      expect(readdirSync(path.dirname(file)).filter((f) => f.endsWith('.tmp'))).to.deep.equal([])
      // what `lifecycle install --package FILE` (and approve, register) does with it
      expect(await resolvePackage(pr, {file})).to.deep.include({label: 'golden_1.0', packageId: built.packageId})
    }

    // anything else, or a folder that already has such a name (or ends in /), is the folder for <label>.tar.gz
    mkdirSync(path.join(pr.dir, 'old.tgz'))
    for (const out of ['dist', 'old.tgz', `new.tar.gz${path.sep}`, 'pkg.tar']) {
      const r = await writePackage(pr, {output: path.join(pr.dir, out)})
      expect(r.file).to.equal(path.join(pr.dir, out, 'golden_1.0.tar.gz'))
      expect(readFileSync(r.file).equals(built.bytes)).to.equal(true)
    }
  })

  it('a failed write leaves the previous package file as it was and no temp file; the error names the flag (exit 4)', async () => {
    const pr = project()
    const file = path.join(pr.dir, 'mycc.tgz')
    writeFileSync(file, 'old')
    const before = readdirSync(pr.dir).sort()
    renames(true)
    const e = await rejection(writePackage(pr, {output: file}))
    expect(e.exitCode).to.equal(4)
    expect(e.message).to.equal(`-o/--output ${file}: cannot write ${file} (EIO)`)
    expect(readFileSync(file, 'utf8')).to.equal('old')
    expect(readdirSync(pr.dir).sort()).to.deep.equal(before)
  })
})
