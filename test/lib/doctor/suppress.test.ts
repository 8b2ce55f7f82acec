import {expect} from 'chai'
import {mkdtemp, writeFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

import {runDoctor} from '../../../src/lib/doctor/run.js'

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
})
