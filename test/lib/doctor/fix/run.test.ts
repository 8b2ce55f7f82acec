import {expect} from 'chai'
import {mkdirSync, mkdtempSync, promises, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {restore, type SinonStub, stub} from 'sinon'

import {runFix} from '../../../../src/lib/doctor/fix/run.js'
import {FabError} from '../../../../src/lib/errors.js'
import {rejection} from '../../../support/rejection.js'

/** A peer that mounts the Docker socket: --fix changes it. */
const PEER = `apiVersion: v1
kind: Pod
metadata: {name: p0}
spec:
  containers:
  - name: peer
    image: hyperledger/fabric-peer:2.5
    securityContext: {runAsNonRoot: true}
    volumeMounts:
    - name: sock
      mountPath: /host/var/run/docker.sock
  volumes:
  - name: sock
    hostPath: {path: /var/run/docker.sock}
`

/** Every entry of `dir` and what each file holds (folders as '<dir>'). */
function contents(dir: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const e of readdirSync(dir, {withFileTypes: true}))
    out[e.name] = e.isDirectory() ? '<dir>' : readFileSync(path.join(dir, e.name), 'utf8')
  return out
}

/** Make fs.promises.rename fail with `code` for the paths `fails` picks; every other rename runs. */
function failRename(fails: (from: string, to: string) => boolean, code = 'EIO'): SinonStub {
  const real = promises.rename.bind(promises)
  return stub(promises, 'rename').callsFake(async (from, to) => {
    if (fails(String(from), String(to))) throw Object.assign(new Error(`${code}: rename failed`), {code})
    return real(from, to)
  })
}

describe('doctor --fix: writing the fixed files (all or nothing)', () => {
  let dir: string
  let a: string
  let b: string

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'doctor-fix-write-'))
    a = path.join(dir, 'a.yaml')
    b = path.join(dir, 'b.yaml')
    writeFileSync(a, PEER)
    writeFileSync(b, PEER)
  })

  afterEach(() => restore())

  it('a folder named like an output: exit 4 naming it, before any file is written', async () => {
    mkdirSync(path.join(dir, 'b.fixed.yaml'))
    const before = contents(dir)
    const e = await rejection(runFix({files: [a, b], mode: 'beside', noDefaultIgnoreFile: true}))
    expect(e).to.be.instanceOf(FabError)
    expect(e.exitCode).to.equal(4)
    expect(e.message).to.equal(
      `${path.join(dir, 'b.fixed.yaml')}: cannot write (EISDIR: a folder has that name); no file was changed`,
    )
    expect(e.message.split('\n')).to.have.length(1)
    expect(e.hint).to.not.match(/bug/)
    expect(contents(dir)).to.deep.equal(before) // no a.fixed.yaml, no temporary file
  })

  it('a rename that fails after others were done: those are undone, earlier outputs come back, nothing is left', async () => {
    writeFileSync(path.join(dir, 'a.fixed.yaml'), 'previous output\n')
    const before = contents(dir)
    const renames = failRename((_, to) => to.endsWith('b.fixed.yaml'))
    const e = await rejection(runFix({files: [a, b], mode: 'beside', noDefaultIgnoreFile: true}))
    expect(renames.called).to.equal(true)
    expect(e.exitCode).to.equal(4)
    expect(e.message).to.equal(`${path.join(dir, 'b.fixed.yaml')}: cannot write (EIO); no file was changed`)
    expect(contents(dir)).to.deep.equal(before)
  })

  it('--in-place: a failed rename puts every input back byte for byte', async () => {
    writeFileSync(a, '# a\n' + PEER)
    const before = contents(dir)
    failRename((_, to) => to === b)
    const e = await rejection(runFix({files: [a, b], mode: 'in-place', noDefaultIgnoreFile: true}))
    expect(e.exitCode).to.equal(4)
    expect(e.message).to.equal(`${b}: cannot write (EIO); no file was changed`)
    expect(contents(dir)).to.deep.equal(before)
  })

  it('when undoing fails too, the error says which files were written, which not, and where the old one is', async () => {
    // a's output goes in, b's rename fails, and putting a's previous output back fails as well
    writeFileSync(path.join(dir, 'a.fixed.yaml'), 'previous output\n')
    failRename((from, to) => to.endsWith('b.fixed.yaml') || from.endsWith('.orig'))
    const e = await rejection(runFix({files: [a, b], mode: 'beside', noDefaultIgnoreFile: true}))
    const out = (n: string) => path.join(dir, n)
    expect(e.exitCode).to.equal(4)
    expect(e.message).to.equal(
      `${out('b.fixed.yaml')}: cannot write (EIO); written: ${out('a.fixed.yaml')}; not written: ${out('b.fixed.yaml')}`,
    )
    const kept = readdirSync(dir).find((n) => n.endsWith('.orig'))!
    expect(e.hint).to.equal(`could not put back ${out('a.fixed.yaml')} (EIO): the previous file is at ${out(kept)}`)
    expect(readFileSync(out(kept), 'utf8')).to.equal('previous output\n')
    expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).to.deep.equal([])
    expect(readdirSync(dir)).to.not.include('b.fixed.yaml')
  })

  it('two inputs with one output (peer and peer.yaml → peer.fixed.yaml): exit 4 naming it and both, nothing written', async () => {
    const bare = path.join(dir, 'a')
    writeFileSync(bare, PEER)
    const before = contents(dir)
    const e = await rejection(runFix({files: [bare, a], mode: 'beside', noDefaultIgnoreFile: true}))
    expect(e.exitCode).to.equal(4)
    expect(e.message).to.equal(
      `${path.join(dir, 'a.fixed.yaml')}: both ${bare} and ${a} would be written to it; no file was changed`,
    )
    expect(contents(dir)).to.deep.equal(before)
  })
})
