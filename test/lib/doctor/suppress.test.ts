import {expect} from 'chai'
import {mkdir, mkdtemp, writeFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

import {runDoctor} from '../../../src/lib/doctor/run.js'
import {findIgnoreFile} from '../../../src/lib/doctor/suppress.js'

const POD = (name: string, annotations = '', templateAnn = '') => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  namespace: fabric
${annotations ? `  annotations: {${annotations}}\n` : ''}spec:
  template:
    metadata:
${templateAnn ? `      annotations: {${templateAnn}}\n` : '      labels: {a: b}\n'}    spec:
      containers:
        - {name: c, image: "a:1", securityContext: {privileged: true}}
      volumes:
        - {name: s, hostPath: {path: /var/run/docker.sock}}
`

describe('doctor suppression', () => {
  let dir: string

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'doctor-suppress-'))
  })

  async function run(yaml: string, ignore?: string) {
    const f = path.join(dir, `m-${Math.random().toString(36).slice(2)}.yaml`)
    await writeFile(f, yaml)
    let ignoreFile: string | undefined
    if (ignore !== undefined) {
      ignoreFile = path.join(dir, `ignore-${Math.random().toString(36).slice(2)}.yaml`)
      await writeFile(ignoreFile, ignore)
    }

    return runDoctor({files: [f], ignoreFile, noDefaultIgnoreFile: true})
  }

  it('without suppression: privileged, unmounted socket and run-as-root', async () => {
    const r = await run(POD('a'))
    expect(r.findings.map((f) => f.rule).sort()).to.deep.equal([
      'privileged-container',
      'run-as-root',
      'runtime-socket-volume',
    ])
    expect(r.suppressed).to.equal(0)
  })

  it('the annotation on the object or on the pod template suppresses listed rules, counted', async () => {
    const a = await run(POD('a', '"fabk8s.io/ignore": "privileged-container, run-as-root"'))
    expect(a.findings.map((f) => f.rule)).to.deep.equal(['runtime-socket-volume'])
    expect(a.suppressed).to.equal(2)
    expect(a.summary.suppressed).to.equal(2)
    const b = await run(POD('b', '', '"fabk8s.io/ignore": all'))
    expect(b.findings).to.deep.equal([])
    expect(b.suppressed).to.equal(3)
    expect(b.summary.exitCode).to.equal(0)
  })

  it('the ignore file matches by kind/namespace/name (globs) and rule', async () => {
    const yaml = POD('peer0') + '---\n' + POD('other')
    const r = await run(
      yaml,
      'ignore:\n  - rule: [runtime-socket-volume, run-as-root]\n    kind: Deployment\n    namespace: fabric\n    name: peer*\n    reason: migrating\n',
    )
    expect(r.findings.filter((f) => f.name === 'peer0').map((f) => f.rule)).to.deep.equal(['privileged-container'])
    expect(r.findings.filter((f) => f.name === 'other')).to.have.length(3)
    expect(r.suppressed).to.equal(2)
  })

  it('a bad ignore file is an input error (exit 2) naming the file', async () => {
    const r = await run(POD('a'), 'ignore:\n  - rule: no-such-rule\n')
    expect(r.summary.exitCode).to.equal(2)
    expect(r.errors[0].message).to.match(/ignore file .*unknown rule no-such-rule/)
    const missing = await runDoctor({files: [path.join(dir, 'x.yaml')], ignoreFile: path.join(dir, 'nope.yaml')})
    expect(missing.errors.map((e) => e.message).join('\n')).to.contain('nope.yaml')
  })

  it('issue 12 #6: an unknown key in an entry is an error naming the key, file and line, with the nearest valid key', async () => {
    const r = await run(POD('p'), 'ignore:\n  - rule: all\n    nmae: p\n')
    expect(r.summary.exitCode).to.equal(2)
    expect(r.suppressed).to.equal(0)
    expect(r.errors).to.have.length(1)
    expect(r.errors[0].line).to.equal(3)
    expect(r.errors[0].file).to.match(/ignore-.*\.yaml$/)
    expect(r.errors[0].message).to.match(/unknown key "nmae" in ignore\[0\].*did you mean "name"\?/)
    const top = await run(POD('p'), '# suppressions\nignroe:\n  - rule: all\n')
    expect(top.errors.map((e) => [e.line, e.message])).to.deep.equal([
      [2, `ignore file ${top.errors[0].file}: unknown key "ignroe" — did you mean "ignore"? (valid: ignore)`],
    ])
  })

  it('issue 12 #9/#13: an alias bomb or a second document in the ignore file is an input error in our words', async () => {
    const levels = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    for (let i = 1; i < 9; i++) {
      const p = String.fromCodePoint(97 + i - 1)
      levels.push(
        `${String.fromCodePoint(97 + i)}: &${String.fromCodePoint(97 + i)} [${Array.from({length: 9}, () => '*' + p).join(',')}]`,
      )
    }

    const bomb = await run(POD('p'), `${levels.join('\n')}\nignore:\n  - {rule: *i}\n`)
    expect(bomb.summary.exitCode).to.equal(2)
    expect(bomb.errors[0].message).to.match(/aliases/)
    const cyc = await run(POD('p'), 'ignore: &a\n  - rule: all\n  - *a\n')
    expect(cyc.summary.exitCode).to.equal(2)
    expect(cyc.errors[0].message).to.match(/alias .*\(a cycle\)/)
    const two = await run(POD('p'), 'ignore:\n  - rule: all\n---\nignore: []\n')
    expect(two.summary.exitCode).to.equal(2)
    expect(two.errors[0]).to.include({line: 3})
    expect(two.errors[0].message).to.contain('one YAML document').and.not.contain('parseAllDocuments')
    const bad = await run(POD('p'), 'ignore:\n  - rule: all\n   name: x\n')
    expect(bad.errors[0].line).to.equal(3)
    expect(bad.errors[0].message).to.not.match(/at line \d/)
  })

  it('the default ignore file is found in the working folder or above it up to the repository root, not beyond', async () => {
    const top = await mkdtemp(path.join(os.tmpdir(), 'doctor-find-'))
    const repo = path.join(top, 'repo')
    const deep = path.join(repo, 'deploy', 'peers')
    await mkdir(deep, {recursive: true})
    // outside a repository, only the working folder counts: a file in a folder above is not picked up
    await writeFile(path.join(repo, '.fabk8s-doctor.yaml'), 'ignore: []\n')
    expect(findIgnoreFile(deep)).to.equal(undefined)
    expect(findIgnoreFile(repo)).to.equal('.fabk8s-doctor.yaml')
    // inside one (.git a folder, or a file in a worktree), the nearest up to its root, named relative to cwd
    await mkdir(path.join(repo, '.git'))
    expect(findIgnoreFile(deep)).to.equal(path.join('..', '..', '.fabk8s-doctor.yaml'))
    await writeFile(path.join(repo, 'deploy', '.fabk8s-doctor.yaml'), 'ignore: []\n')
    expect(findIgnoreFile(deep)).to.equal(path.join('..', '.fabk8s-doctor.yaml'))
    // a file above the repository root is not the repository's
    const inner = path.join(top, 'other')
    await mkdir(path.join(inner, 'sub'), {recursive: true})
    await writeFile(path.join(inner, '.git'), 'gitdir: /elsewhere\n')
    await writeFile(path.join(top, '.fabk8s-doctor.yaml'), 'ignore: []\n')
    expect(findIgnoreFile(path.join(inner, 'sub'))).to.equal(undefined)
  })
})
