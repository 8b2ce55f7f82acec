import {expect} from 'chai'
import {writeFileSync} from 'node:fs'
import path from 'node:path'

import type {DeployOptions} from '../../../src/lib/kube/deploy.js'

import {connect} from '../../../src/lib/kube/client.js'
import {deleteManaged, listManaged} from '../../../src/lib/kube/down.js'
import {chaincodeStatus} from '../../../src/lib/kube/status.js'
import {deploy, planFor} from '../../support/tasks.js'
import {cleanup, fakeTarget, makeProject, project, type Target, targetOrSkip, tmp} from './support.js'

type Any = any

const sleep = (ms: number) =>
  new Promise((resolve) => {
    setTimeout(resolve, ms)
  })

/** The same scenarios against the fake API server and (when there) the test bed's real kube-apiserver. */
for (const kind of ['fake', 'real'] as const) {
  describe(`kube deploy/status/down lib against the ${kind === 'fake' ? 'fake API server' : 'test-bed kube-apiserver @integration'}`, function () {
    this.timeout(kind === 'real' ? 300_000 : 60_000)
    let dir: string
    let t: Target
    let projDir: string

    before(async function () {
      dir = tmp()
      t = await targetOrSkip(this, kind, dir)
      projDir = makeProject(path.join(dir, 'proj'), {namespace: t.namespace, tls: 'on'})
    })

    after(async () => {
      await t?.stop()
      cleanup(dir)
    })

    const opts = (): Omit<DeployOptions, 'packageId'> & {json: boolean} => ({
      json: true,
      kubeconfig: t.kubeconfig,
      pollMs: 200,
      timeoutMs: kind === 'real' ? 180_000 : 20_000,
      wait: true,
    })

    it('first deploy creates the namespace, Secret, Service and Deployment and waits until ready', async () => {
      const p = await project(projDir)
      const r = await deploy(p, opts())
      expect(r.changed).to.equal(true)
      expect(r.ready).to.equal(true)
      expect(r.rolledOut).to.equal(true)
      expect(r.resources.map((x) => [x.kind, x.action])).to.deep.equal([
        ['Namespace', 'created'],
        ['Secret', 'created'],
        ['Service', 'created'],
        ['Deployment', 'created'],
      ])
      const c = await connect({kubeconfig: t.kubeconfig})
      const d = await c.apps.readNamespacedDeployment({name: 'kv', namespace: t.namespace})
      const env = Object.fromEntries((d.spec!.template.spec!.containers[0].env ?? []).map((e) => [e.name, e.value]))
      expect(env.CHAINCODE_ID).to.equal(r.packageId)
      expect(d.metadata?.managedFields?.some((m) => m.manager === 'fabk8s' && m.operation === 'Apply')).to.equal(true)
      const ns = await c.core.readNamespace({name: t.namespace})
      expect(ns.metadata?.labels?.['pod-security.kubernetes.io/enforce']).to.equal('restricted')
    })

    it('a second deploy with nothing changed changes nothing and says so', async () => {
      const p = await project(projDir)
      const c = await connect({kubeconfig: t.kubeconfig})
      const before = await c.apps.readNamespacedDeployment({name: 'kv', namespace: t.namespace})
      const r = await deploy(p, opts())
      expect(r.changed).to.equal(false)
      expect(r.rolledOut).to.equal(false)
      expect(r.ready).to.equal(true)
      expect(r.resources.map((x) => x.action)).to.deep.equal(['exists', 'unchanged', 'unchanged', 'unchanged'])
      const after = await c.apps.readNamespacedDeployment({name: 'kv', namespace: t.namespace})
      expect(after.metadata?.resourceVersion).to.equal(before.metadata?.resourceVersion)
      expect(after.metadata?.generation).to.equal(before.metadata?.generation)
    })

    it('a changed package ID rolls out a new revision running the new CHAINCODE_ID', async () => {
      const before = await planFor(await project(projDir))
      makeProject(projDir, {namespace: t.namespace, tls: 'on', version: '1.0.1'})
      const p = await project(projDir)
      const r = await deploy(p, opts())
      expect(r.packageId).to.not.equal(before.packageId)
      expect(r.packageId).to.match(/^kv_1\.0\.1:[a-f0-9]{64}$/)
      expect(r.changed).to.equal(true)
      expect(r.rolledOut).to.equal(true)
      expect(r.ready).to.equal(true)
      const s = await chaincodeStatus(
        {kubeconfig: t.kubeconfig},
        {expectedPackageId: r.packageId, name: 'kv', namespace: t.namespace},
      )
      expect(s.packageId).to.equal(r.packageId)
      expect(s.packageIdMatches).to.equal(true)
      expect(s.ready).to.equal(true)
      expect(s.image).to.equal(p.image)
      expect(s.service?.port).to.equal(9999)
      const current = s.pods.filter((x) => x.packageId === r.packageId)
      expect(current.length).to.be.greaterThan(0)
      expect(current.every((x) => x.ready)).to.equal(true)
    })

    it('chaincodeStatus reports a mismatch with an expected package ID', async () => {
      const s = await chaincodeStatus(
        {kubeconfig: t.kubeconfig},
        {expectedPackageId: 'kv_1.0.0:00', name: 'kv', namespace: t.namespace},
      )
      expect(s.found).to.equal(true)
      expect(s.packageIdMatches).to.equal(false)
      expect(s.expectedPackageId).to.equal('kv_1.0.0:00')
    })

    it('--no-wait applies and returns without waiting', async () => {
      makeProject(projDir, {image: 'kv-chaincode:1.0.2', namespace: t.namespace, tls: 'on', version: '1.0.1'})
      const r = await deploy(await project(projDir), {...opts(), wait: false})
      expect(r.changed).to.equal(true)
      expect(r.image).to.equal('kv-chaincode:1.0.2')
      expect(r.ready).to.be.a('boolean')
    })

    it('down finds exactly what deploy made (by labels) and deletes it; the namespace stays', async () => {
      const c = await connect({kubeconfig: t.kubeconfig})
      // something in the namespace that fabk8s did not make must survive
      await c.core.createNamespacedSecret({
        body: {metadata: {labels: {'fabk8s.io/chaincode': 'kv'}, name: 'not-ours'}, stringData: {a: 'b'}},
        namespace: t.namespace,
      })
      const found = await listManaged(c, t.namespace, 'kv')
      expect(found.map((r) => `${r.kind}/${r.name}`).sort()).to.deep.equal([
        'Deployment/kv',
        'Secret/kv-tls',
        'Service/kv',
      ])
      await deleteManaged(c, found)
      expect(await listManaged(c, t.namespace, 'kv')).to.deep.equal([])
      const s = await chaincodeStatus(c, {name: 'kv', namespace: t.namespace})
      expect(s.found).to.equal(false)
      expect((await c.core.readNamespacedSecret({name: 'not-ours', namespace: t.namespace})).metadata?.name).to.equal(
        'not-ours',
      )
      expect((await c.core.readNamespace({name: t.namespace})).metadata?.name).to.equal(t.namespace)
    })

    it('a user without rights in the namespace gets a clear KUBERNETES error (403)', async function () {
      const f = t.forbiddenKubeconfig()
      if (!f) {
        console.log('      skipped: the test bed has no non-admin kubeconfig (FABK8S_TEST_KUBECONFIG_NOAUTH)')
        this.skip()
      }

      const err: Any = await deploy(await project(projDir), {...opts(), kubeconfig: f}).catch((error) => error)
      expect(err.exitCode).to.equal(7)
      expect(err.message).to.contain('forbidden (403)')
      expect(err.hint).to.contain('RBAC')
    })

    it('credentials the server rejects give a clear KUBERNETES error (401)', async () => {
      const err: Any = await deploy(await project(projDir), {...opts(), kubeconfig: t.badTokenKubeconfig()}).catch(
        (error) => error,
      )
      expect(err.exitCode).to.equal(7)
      expect(err.message).to.contain('unauthorized (401)')
    })
  })
}

describe('kube rollout failure modes (fake API server steers the pods)', function () {
  this.timeout(60_000)
  let dir: string
  let t: Target

  before(async () => {
    dir = tmp()
    t = await fakeTarget(dir)
  })

  after(async () => {
    await t.stop()
    cleanup(dir)
  })

  let n = 0
  const run = async (mode: Any, timeoutMs = 20_000) => {
    t.fake!.controller = mode
    const d = makeProject(path.join(dir, `p${++n}`), {name: `cc${n}`, namespace: t.namespace})
    return deploy(await project(d), {json: true, kubeconfig: t.kubeconfig, pollMs: 100, timeoutMs, wait: true}).catch(
      (error) => error,
    )
  }

  it('ErrImageNeverPull → ROLLOUT error saying "run fabk8s load"', async () => {
    const e = await run('ErrImageNeverPull')
    expect(e.exitCode).to.equal(8)
    expect(e.message)
      .to.contain('ErrImageNeverPull')
      .and.to.contain('run fabk8s load')
      .and.to.contain('kv-chaincode:1.0.0')
    expect(e.hint).to.contain('fabk8s load')
  })

  it('ImagePullBackOff → ROLLOUT error saying "run fabk8s load"', async () => {
    const e = await run('ImagePullBackOff')
    expect(e.exitCode).to.equal(8)
    expect(e.message).to.contain('ImagePullBackOff').and.to.contain('run fabk8s load')
  })

  it('CrashLoopBackOff → ROLLOUT error with the last log lines of the crashed container', async () => {
    t.fake!.crashLog = 'line one\nError: CHAINCODE_ID is not set\n'
    const e = await run('CrashLoopBackOff')
    expect(e.exitCode).to.equal(8)
    expect(e.message).to.contain('keeps crashing').and.to.contain('CrashLoopBackOff')
    expect(e.message).to.contain('| Error: CHAINCODE_ID is not set')
    expect(e.message).to.contain('last exit code 1')
  })

  it('Pending (unschedulable) → ROLLOUT error at the timeout with the scheduler message', async () => {
    const e = await run('Unschedulable', 1500)
    expect(e.exitCode).to.equal(8)
    expect(e.message)
      .to.contain('timed out')
      .and.to.contain('cannot be scheduled')
      .and.to.contain('Insufficient memory')
  })

  it('running but never ready → ROLLOUT timeout naming the readiness probe', async () => {
    const e = await run('NotReady', 1500)
    expect(e.exitCode).to.equal(8)
    expect(e.message).to.contain('timed out').and.to.contain('readiness probe')
  })

  it('waits while the controller has not caught up, and finishes when the status says ready', async () => {
    t.fake!.controller = 'manual'
    const d = makeProject(path.join(dir, 'manual'), {name: 'manual', namespace: t.namespace})
    const p = await project(d)
    const pending = deploy(p, {json: true, kubeconfig: t.kubeconfig, pollMs: 50, timeoutMs: 30_000, wait: true})
    // drive the Deployment once the apply has happened

    for (let i = 0; i < 200 && !t.fake!.get('Deployment', t.namespace, 'manual'); i++) await sleep(25)
    const dep = t.fake!.get('Deployment', t.namespace, 'manual')!
    t.fake!.setDeploymentStatus(t.namespace, 'manual', {
      observedGeneration: dep.metadata.generation,
      replicas: 1,
      updatedReplicas: 1,
    })
    await sleep(200)
    t.fake!.setDeploymentStatus(t.namespace, 'manual', {availableReplicas: 1, readyReplicas: 1})
    const r = await pending
    expect(r.ready).to.equal(true)
  })

  it('an unreachable API server → KUBERNETES error naming the server', async () => {
    const f = path.join(dir, 'closed.kubeconfig')
    writeFileSync(
      f,
      'apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters:\n- name: c\n  cluster: {server: "https://127.0.0.1:9"}\nusers:\n- name: u\n  user: {token: x}\ncontexts:\n- name: c\n  context: {cluster: c, user: u}\n',
    )
    const d = makeProject(path.join(dir, 'unreach'), {namespace: t.namespace})
    const e: Any = await deploy(await project(d), {json: true, kubeconfig: f, timeoutMs: 5000, wait: true}).catch(
      (error) => error,
    )
    expect(e.exitCode).to.equal(7)
    expect(e.message).to.contain('cannot reach the Kubernetes API at https://127.0.0.1:9')
  })
})
