import {expect} from 'chai'
import path from 'node:path'

import {connect} from '../../src/lib/kube/client.js'
import {
  cleanup,
  currentContext,
  currentContextNote,
  editDeployment,
  makeProject,
  project,
  type Target,
  targetOrSkip,
  tmp,
} from '../lib/kube/support.js'
import {json, runCli} from '../support/cli.js'
import {deploy} from '../support/tasks.js'

type Any = any

for (const kind of ['fake', 'real'] as const) {
  describe(`fabk8s status against the ${kind === 'fake' ? 'fake API server' : 'test-bed kube-apiserver @integration'}`, function () {
    this.timeout(kind === 'real' ? 300_000 : 60_000)
    let dir: string
    let t: Target
    let proj: string
    let packageId: string

    before(async function () {
      dir = tmp('fabk8s-status-')
      t = await targetOrSkip(this, kind, dir)
      proj = makeProject(path.join(dir, 'proj'), {namespace: t.namespace})
    })

    after(async () => {
      await t?.stop()
      cleanup(dir)
    })

    const cli = (args: string[]) => runCli(['status', '-p', proj, '--kubeconfig', t.kubeconfig, ...args])

    it('before deploy: says it is not deployed (exit 0)', async () => {
      const r = await cli([])
      expect(r.code, r.stderr).to.equal(0)
      expect(r.stdout).to.contain('not deployed: no deployment/kv in namespace')
      const j = json<Any>(await cli(['--json']))
      expect(j.found).to.equal(false)
      // the peers expect a package and nothing runs: said plainly, not as a package ID mismatch
      const expected = `kv_1.0.0:${'0'.repeat(64)}`
      const e = await cli(['--package-id', expected])
      expect(e.code, e.stderr).to.equal(0)
      expect(e.stdout).to.contain(`the peers expect ${expected}, and nothing runs it: every invoke will fail`)
      expect(e.stdout).to.contain('start it with: fabk8s up (or fabk8s deploy)')
      expect(e.stdout).to.not.contain('MISMATCH')
      expect(e.stderr).to.contain(`not deployed: the peers expect ${expected}`)
    })

    it('names the namespace and context it reads (human and --json); says on stderr that the current context stood in for kind-kind', async () => {
      const context = currentContext(t.kubeconfig)
      const r = await cli([])
      expect(r.code, r.stderr).to.equal(0)
      expect(r.stdout).to.contain(`chaincode  kv (namespace ${t.namespace}, context ${context})`)
      expect(r.stderr).to.contain(currentContextNote(context))
      const j = await cli(['--json'])
      expect(j.code, j.stderr).to.equal(0)
      expect(json<Any>(j)).to.include({context, namespace: t.namespace})
      expect(j.stderr).to.not.contain('using current context')
      const chosen = await cli(['--context', context])
      expect(chosen.stdout).to.contain(`(namespace ${t.namespace}, context ${context})`)
      expect(chosen.stderr).to.not.contain('using current context')
    })

    it('after deploy: readiness, image and package ID (human and --json)', async () => {
      const r0 = await deploy(await project(proj), {
        json: true,
        kubeconfig: t.kubeconfig,
        pollMs: 200,
        timeoutMs: 180_000,
        wait: true,
      })
      packageId = r0.packageId
      const j = json<Any>(await cli(['--json']))
      expect(j).to.include({
        found: true,
        image: 'kv-chaincode:1.0.0',
        localPackageId: packageId,
        namespace: t.namespace,
        packageId,
        ready: true,
      })
      expect(j.pods.length).to.be.greaterThan(0)
      expect(j.pods[0]).to.include({packageId, ready: true})
      // the Deployments named as deploy --json names them: `deployment`, and `name` in the list (deploy's targets)
      expect(j.deployment).to.equal(r0.deployment)
      expect(j.deployments.map((d: Any) => d.name)).to.deep.equal(r0.targets.map((x) => x.name))
      expect(j.deployments[0]).to.not.have.property('deployment')
      const r = await cli([])
      expect(r.code, r.stderr).to.equal(0)
      expect(r.stdout).to.match(/deployment\s+ready 1\/1 available/)
      expect(r.stdout).to.contain(`package ID ${packageId}`)
      expect(r.stdout).to.contain('image      kv-chaincode:1.0.0')
      expect(r.stdout).to.not.contain('MISMATCH')
    })

    it('--package-id that matches says so; one that differs is shown loudly', async () => {
      const ok = await cli(['--package-id', packageId])
      expect(ok.stdout).to.contain(`package ID matches the expected ${packageId}`)
      const other = `kv_1.0.0:${'0'.repeat(64)}`
      const bad = await cli(['--package-id', other])
      expect(bad.code).to.equal(0)
      expect(bad.stdout).to.contain(`!! PACKAGE ID MISMATCH: the peers expect ${other}`)
      expect(bad.stdout).to.contain(`the pods run CHAINCODE_ID ${packageId}`)
      expect(bad.stderr).to.contain('package ID mismatch')
      const j = json<Any>(await cli(['--package-id', other, '--json']))
      expect(j.packageIdMatches).to.equal(false)
      expect(j.expectedPackageId).to.equal(other)
    })

    it('fabk8s.yaml that now builds another package ID gets a note to deploy', async () => {
      makeProject(proj, {namespace: t.namespace, version: '1.1.0'})
      const r = await cli([])
      expect(r.stdout).to.match(/note: fabk8s.yaml now builds package ID kv_1\.1\.0:[a-f0-9]{64}; run fabk8s deploy/)
    })

    it('a Deployment scaled to 0 is not ready, and the package the peers expect is said to run nowhere', async () => {
      // as kubectl scale --replicas 0 does: through the API, fabk8s's annotations untouched
      const k = await connect({kubeconfig: t.kubeconfig, namespace: t.namespace})
      const put = await editDeployment(k, t.namespace, 'kv', (d) => {
        d.spec!.replicas = 0
      })
      if (t.fake)
        t.fake.setDeploymentStatus(t.namespace, 'kv', {
          availableReplicas: 0,
          observedGeneration: put.metadata?.generation,
          readyReplicas: 0,
          replicas: 0,
          updatedReplicas: 0,
        })
      else
        for (let i = 0; ; i++) {
          // the bed's deployment controller scales it down
          const s = (await k.apps.readNamespacedDeployment({name: 'kv', namespace: t.namespace})).status
          if (s?.observedGeneration === put.metadata?.generation && !s?.replicas) break
          if (i > 300) throw new Error(`deployment/kv was not scaled to 0 within 30 s: ${JSON.stringify(s)}`)
          await new Promise((r) => setTimeout(r, 100))
        }

      const j = json<Any>(await cli(['--json']))
      expect(j).to.include({found: true, ready: false, replicas: 0})
      expect(j.summary).to.match(/scaled to 0/)
      const r = await cli(['--package-id', packageId])
      expect(r.code, r.stderr).to.equal(0)
      expect(r.stdout).to.match(/deployment\s+not ready 0\/0 available \(scaled to 0/)
      expect(r.stdout).to.contain(`the peers expect ${packageId}, and nothing runs it: every invoke will fail`)
      expect(r.stdout).to.not.contain('package ID matches')
    })

    it('credentials the server rejects → exit 7', async () => {
      const r = await runCli(['status', '-p', proj, '--kubeconfig', t.badTokenKubeconfig()])
      expect(r.code).to.equal(7)
      expect(r.stderr).to.contain('unauthorized (401)')
    })
  })
}
