import {expect} from 'chai'
import {mkdtemp, writeFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {parseAllDocuments} from 'yaml'

import {applyable, clusterFix} from '../../../src/lib/doctor/fix/cluster.js'
import {FIXED_RULES} from '../../../src/lib/doctor/fix/plan.js'
import {ownedByScanned} from '../../../src/lib/doctor/input/cluster.js'
import {runDoctor} from '../../../src/lib/doctor/run.js'
import {runCli} from '../../support/cli.js'
import {FakeKubeApiServer, type Obj} from '../../support/kube-api-server.js'
import {ids} from './helpers.js'

const NS = 'fabric'

/** A peer that reaches Docker through a ConfigMap (envFrom) and mounts the host socket; a DinD StatefulSet; a clean pod. */
function objects(ns: string): Obj[] {
  const peerTemplate = {
    metadata: {labels: {app: 'peer0'}},
    spec: {
      containers: [
        {
          command: ['peer', 'node', 'start'],
          envFrom: [{configMapRef: {name: 'peer0-env'}}],
          image: 'hyperledger/fabric-peer:2.2',
          name: 'peer',
          volumeMounts: [{mountPath: '/host/var/run/', name: 'run'}],
        },
      ],
      securityContext: {runAsNonRoot: true, runAsUser: 1000},
      volumes: [{hostPath: {path: '/var/run/'}, name: 'run'}],
    },
  }
  return [
    {
      apiVersion: 'v1',
      data: {CORE_PEER_ID: 'peer0', CORE_VM_ENDPOINT: 'unix:///host/var/run/docker.sock'},
      kind: 'ConfigMap',
      metadata: {name: 'peer0-env', namespace: ns},
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {name: 'peer0', namespace: ns},
      spec: {replicas: 1, selector: {matchLabels: {app: 'peer0'}}, template: peerTemplate},
    },
    {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: {name: 'dind', namespace: ns},
      spec: {
        selector: {matchLabels: {app: 'dind'}},
        serviceName: 'dind',
        template: {
          metadata: {labels: {app: 'dind'}},
          spec: {
            containers: [
              {
                image: 'docker:24-dind',
                name: 'dind',
                securityContext: {privileged: true, runAsNonRoot: true, runAsUser: 1000},
              },
            ],
          },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {name: 'clean', namespace: ns},
      spec: {
        containers: [
          {image: 'registry.local/app:1', name: 'app', securityContext: {runAsNonRoot: true, runAsUser: 1000}},
        ],
      },
    },
  ]
}

/**
 * A namespace of its own on the bed's kube-apiserver holding objects(ns), made before the describe's tests and deleted
 * after them; without the bed the tests skip, saying why.
 */
function bedNamespace(prefix: string): {kubeconfig: string; ns: string} {
  const kubeconfig = process.env.FABK8S_TEST_KUBECONFIG ?? ''
  const ns = `${prefix}-${process.pid}`
  let created = false
  const api = async () => {
    const {KubeConfig, KubernetesObjectApi} = await import('@kubernetes/client-node')
    const kc = new KubeConfig()
    kc.loadFromFile(kubeconfig)
    return KubernetesObjectApi.makeApiClient(kc)
  }

  before(async function () {
    if (!kubeconfig) {
      console.log(
        '    skipped: FABK8S_TEST_KUBECONFIG is not set (start the bed: bash test/bed/bed.sh up kube; source "$(bash test/bed/bed.sh env)")',
      )
      this.skip()
    }

    const k = await api()
    await k.create({apiVersion: 'v1', kind: 'Namespace', metadata: {name: ns}})
    created = true
    for (const o of objects(ns)) await k.create(o as never)
  })

  after(async () => {
    if (!created) return
    await (await api()).delete({apiVersion: 'v1', kind: 'Namespace', metadata: {name: ns}}).catch(() => {})
  })
  return {kubeconfig, ns}
}

function expectFindings(findings: Awaited<ReturnType<typeof runDoctor>>['findings']): void {
  const mine = findings.filter((f) => ['clean', 'dind', 'peer0'].includes(f.name ?? ''))
  expect(ids(mine)).to.deep.equal([
    'dind-sidecar@dind',
    'docker-socket-mount@peer',
    'peer-no-external-builder@peer',
    'peer-vm-endpoint@peer',
    'privileged-container@dind',
  ])
  const vm = mine.find((f) => f.rule === 'peer-vm-endpoint')!
  expect(vm.message).to.contain('envFrom ConfigMap "peer0-env"')
  expect(vm).to.include({file: null, line: null, namespace: NS})
}

describe('doctor --cluster (fake kube-apiserver from test/support)', () => {
  let server: FakeKubeApiServer
  let dir: string

  before(async () => {
    server = await new FakeKubeApiServer().start()
    dir = await mkdtemp(path.join(os.tmpdir(), 'doctor-cluster-'))
    server.put({apiVersion: 'v1', kind: 'Namespace', metadata: {name: NS}})
    server.put({apiVersion: 'v1', kind: 'Namespace', metadata: {name: 'other'}})
    for (const o of objects(NS)) server.put(o)
    server.put({
      ...objects('other')[3],
      metadata: {name: 'elsewhere', namespace: 'other'},
      spec: {...objects('other')[3].spec, hostNetwork: true},
    })
    // a ReplicaSet and a Pod owned by controllers: checked on their owner, not again
    server.put({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: 'peer0-abc',
        namespace: NS,
        ownerReferences: [{apiVersion: 'apps/v1', controller: true, kind: 'Deployment', name: 'peer0', uid: 'u1'}],
      },
      spec: {selector: {matchLabels: {app: 'peer0'}}, template: objects(NS)[1].spec.template},
    })
    server.put({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'peer0-abc-1',
        namespace: NS,
        ownerReferences: [{apiVersion: 'apps/v1', controller: true, kind: 'ReplicaSet', name: 'peer0-abc', uid: 'u2'}],
      },
      spec: objects(NS)[1].spec.template.spec,
    })
  })

  after(async () => server?.stop())

  it('-n: finds the socket, the envFrom VM endpoint (ConfigMap from the cluster) and DinD, once per workload', async () => {
    const r = await runDoctor({
      cluster: {kubeconfig: server.kubeconfig(path.join(dir, 'admin')), namespace: NS},
      noDefaultIgnoreFile: true,
    })
    expect(r.errors).to.deep.equal([])
    expectFindings(r.findings)
    expect(r.findings.filter((f) => f.name === 'peer0-abc' || f.name === 'peer0-abc-1')).to.deep.equal([])
    expect(r.findings.map((f) => f.namespace)).to.not.include('other')
    expect(r.summary).to.include({exitCode: 1, source: 'cluster'})
  })

  it('all namespaces without -n', async () => {
    const r = await runDoctor({
      cluster: {kubeconfig: server.kubeconfig(path.join(dir, 'admin2'))},
      noDefaultIgnoreFile: true,
    })
    expect(r.errors).to.deep.equal([])
    expect(ids(r.findings.filter((f) => f.name === 'elsewhere'))).to.deep.equal(['host-namespaces@-'])
  })

  it('-n naming a namespace that does not exist is exit 2 naming it, not a clean pass; an empty one is clean', async () => {
    const kubeconfig = server.kubeconfig(path.join(dir, 'admin-ns'))
    const r = await runDoctor({cluster: {kubeconfig, namespace: 'fabirc'}, noDefaultIgnoreFile: true})
    expect(r.summary).to.include({exitCode: 2, objects: 0})
    expect(r.errors.map((e) => e.message)).to.deep.equal([
      '-n/--namespace: namespace "fabirc" not found (context "fake"): nothing to check (kubectl get namespaces lists them)',
    ])
    server.put({apiVersion: 'v1', kind: 'Namespace', metadata: {name: 'empty'}})
    const e = await runDoctor({cluster: {kubeconfig, namespace: 'empty'}, noDefaultIgnoreFile: true})
    expect(e.errors).to.deep.equal([])
    expect(e.summary.exitCode).to.equal(0)
  })

  it('a user without rights gets exit 2 with the forbidden line (no partial "clean")', async () => {
    const r = await runDoctor({
      cluster: {kubeconfig: server.kubeconfig(path.join(dir, 'viewer'), {token: 'viewer-token'}), namespace: NS},
      noDefaultIgnoreFile: true,
    })
    expect(r.summary.exitCode).to.equal(2)
    expect(r.errors[0].message).to.match(/forbidden \(403\)/)
  })

  it('ownedByScanned only skips objects controlled by kinds doctor scans', () => {
    expect(ownedByScanned({metadata: {ownerReferences: [{controller: true, kind: 'ReplicaSet'}]}})).to.equal(true)
    expect(ownedByScanned({metadata: {ownerReferences: [{controller: true, kind: 'FabricPeer'}]}})).to.equal(false)
    expect(ownedByScanned({metadata: {}})).to.equal(false)
  })
})

describe('doctor --cluster @integration (real kube-apiserver of the test bed)', function () {
  this.timeout(120_000)
  const {kubeconfig, ns} = bedNamespace('doctor')

  it("finds the applied objects' problems in the namespace, skipping controller-owned ReplicaSets and Pods", async () => {
    // the controller-manager creates ReplicaSets/Pods; give it a moment so the owner filter is exercised
    await new Promise((r) => setTimeout(r, 3000))
    const r = await runDoctor({cluster: {kubeconfig, namespace: ns}, noDefaultIgnoreFile: true})
    expect(r.errors).to.deep.equal([])
    const renamed = r.findings.map((f) => ({...f, namespace: f.namespace === ns ? NS : f.namespace}))
    expectFindings(renamed)
    expect(r.findings.filter((f) => f.kind === 'ReplicaSet' || (f.kind === 'Pod' && f.name !== 'clean'))).to.deep.equal(
      [],
    )
  })
})

describe('doctor --fix --cluster: what a user would apply', () => {
  it('drops what the API server owns (status, managedFields, uid, resourceVersion, last-applied) and keeps the rest', () => {
    const o = applyable({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        annotations: {'a/b': 'c', 'kubectl.kubernetes.io/last-applied-configuration': '{}'},
        creationTimestamp: 'x',
        generation: 3,
        labels: {app: 'p'},
        managedFields: [{}],
        name: 'p',
        namespace: 'n',
        resourceVersion: '9',
        uid: 'u',
      },
      spec: {replicas: 1},
      status: {readyReplicas: 1},
    })
    expect(o).to.deep.equal({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {annotations: {'a/b': 'c'}, labels: {app: 'p'}, name: 'p', namespace: 'n'},
      spec: {replicas: 1},
    })
  })
})

describe('doctor --fix --cluster @integration (real kube-apiserver of the test bed)', function () {
  this.timeout(120_000)
  const {kubeconfig, ns} = bedNamespace('doctor-fix')

  it('prints each changed object whole; doctor on them shows only what it listed as not fixed; the cluster is untouched', async () => {
    const before = await runDoctor({cluster: {kubeconfig, namespace: ns}, noDefaultIgnoreFile: true})
    const r = await clusterFix({kubeconfig, namespace: ns}, {})
    expect(r.errors).to.deep.equal([])
    expect(r.patches.map((p) => p.object).sort()).to.deep.equal([`${ns}/ConfigMap/peer0-env`, `${ns}/Deployment/peer0`])
    for (const p of r.patches) {
      const docs = parseAllDocuments(p.manifest)
      expect(Array.isArray(docs) && docs.length === 1 && docs[0].errors.length === 0, p.object).to.equal(true)
      const o = (docs as {toJS(): Record<string, {uid?: string}>}[])[0].toJS()
      expect(o.metadata.uid, p.object).to.equal(undefined)
      expect(o.status, p.object).to.equal(undefined)
      expect(p.diff).to.match(/^--- a\//)
    }

    const cm = parseAllDocuments(r.patches.find((p) => p.object.includes('ConfigMap'))!.manifest)
    expect((cm as {toJS(): {data: Record<string, string>}}[])[0].toJS().data.CORE_VM_ENDPOINT).to.equal('')

    // doctor on the printed objects (and the unchanged ones beside them): of the fixed rules only what was listed
    const dir = await mkdtemp(path.join(os.tmpdir(), 'doctor-fix-cluster-'))
    const file = path.join(dir, 'fixed.yaml')
    await writeFile(file, r.patches.map((p) => p.manifest).join('---\n'))
    const after = await runDoctor({files: [file], noDefaultIgnoreFile: true})
    const fixedRules = new Set<string>(FIXED_RULES)
    expect(after.findings.filter((f) => fixedRules.has(f.rule) && f.name === 'peer0')).to.deep.equal([])
    expect(r.notFixed.map((n) => `${n.rule}@${n.name}`).sort()).to.include('dind-sidecar@dind')

    // never applied: the cluster reads as before
    const again = await runDoctor({cluster: {kubeconfig, namespace: ns}, noDefaultIgnoreFile: true})
    expect(ids(again.findings)).to.deep.equal(ids(before.findings))
  })

  it('the command prints the objects as one YAML stream on stdout and the summary on stderr; --in-place is refused', async () => {
    const r = await runCli(['doctor', '--cluster', '-n', ns, '--fix', '--kubeconfig', kubeconfig])
    expect(r.code, r.stderr).to.equal(1) // the DinD StatefulSet stays: not fixed, and critical
    const docs = parseAllDocuments(r.stdout)
    expect(Array.isArray(docs) ? docs.map((d) => d.errors.length) : []).to.deep.equal([0, 0])
    expect(r.stdout).to.match(/^# .*: review, then kubectl apply --server-side/)
    expect(r.stderr)
      .to.match(/doctor --fix: \d+ fix\(es\)/)
      .and.contain('not fixed')
      .and.match(/; \d+ changed object\(s\) on stdout; the cluster is not changed; exit 1\n$/)
      .and.not.contain('--diff')
    const refused = await runCli(['doctor', '--cluster', '--fix', '--in-place', '--kubeconfig', kubeconfig])
    expect(refused.code).to.equal(2)
    expect(refused.stderr).to.contain('--in-place does not apply with --cluster')
  })
})
