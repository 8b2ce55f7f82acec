import {expect} from 'chai'
import {mkdtemp, writeFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

import {runDoctor} from '../../../src/lib/doctor/run.js'

const PEER = (name: string) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: {name, namespace: 'f'},
  spec: {
    template: {
      spec: {
        containers: [
          {
            command: ['peer', 'node', 'start'],
            envFrom: [{configMapRef: {name: `${name}-env`}}],
            image: 'hyperledger/fabric-peer:2.5',
            name: 'peer',
          },
        ],
        securityContext: {runAsNonRoot: true, runAsUser: 1000},
      },
    },
  },
})
const CM = (name: string) => ({
  apiVersion: 'v1',
  data: {CORE_VM_ENDPOINT: 'unix:///host/var/run/docker.sock'},
  kind: 'ConfigMap',
  metadata: {name: `${name}-env`, namespace: 'f'},
})

describe('doctor run: objects are checked as they are parsed', () => {
  let dir: string

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'doctor-run-'))
  })

  const doctor = async (name: string, text: string) => {
    const f = path.join(dir, name)
    await writeFile(f, text)
    return runDoctor({files: [f], noDefaultIgnoreFile: true})
  }

  it('a ConfigMap later in the stream still reaches the workloads before it (documents, a List, JSON, another file)', async () => {
    const {stringify} = await import('yaml')
    const docs = [PEER('p1'), PEER('p2'), CM('p2'), CM('p1')].map((o) => stringify(o)).join('---\n')
    const list = stringify({apiVersion: 'v1', items: [PEER('p1'), PEER('p2'), CM('p2'), CM('p1')], kind: 'List'})
    const json = JSON.stringify(
      {apiVersion: 'v1', items: [PEER('p1'), PEER('p2'), CM('p2'), CM('p1')], kind: 'List'},
      null,
      2,
    )
    for (const [name, text] of [
      ['docs.yaml', docs],
      ['list.yaml', list],
      ['list.json', json],
    ]) {
      const r = await doctor(name, text)
      const vm = r.findings.filter((f) => f.rule === 'peer-vm-endpoint')
      expect(
        vm.map((f) => f.name),
        name,
      ).to.deep.equal(['p1', 'p2'])
      for (const f of vm) expect(f.message, name).to.contain(`envFrom ConfigMap "${f.name}-env"`)
      const lines = text.split('\n')
      for (const f of vm) expect(lines[f.line! - 1], name).to.match(/envFrom/)
      expect(r.summary.objects).to.equal(4)
    }

    // across files: the ConfigMap in a later file of the same run
    const a = path.join(dir, 'a-peer.yaml')
    const b = path.join(dir, 'b-cm.yaml')
    await writeFile(a, stringify(PEER('p3')))
    await writeFile(b, stringify(CM('p3')))
    const r = await runDoctor({files: [a, b], noDefaultIgnoreFile: true})
    expect(r.findings.filter((f) => f.rule === 'peer-vm-endpoint').map((f) => [f.name, f.file])).to.deep.equal([
      ['p3', a],
    ])
  })

  it('a ConfigMap that never appears leaves the workload checked once, as is', async () => {
    const {stringify} = await import('yaml')
    const r = await doctor('alone.yaml', stringify(PEER('p4')))
    expect(r.findings.filter((f) => f.rule === 'peer-vm-endpoint')).to.deep.equal([])
    expect(r.summary.objects).to.equal(1)
  })
})
