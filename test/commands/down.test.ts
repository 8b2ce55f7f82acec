import {expect} from 'chai'
import path from 'node:path'

import {connect} from '../../src/lib/kube/client.js'
import {listManaged} from '../../src/lib/kube/down.js'
import {
  cleanup,
  currentContext,
  currentContextNote,
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
  describe(`fabk8s down against the ${kind === 'fake' ? 'fake API server' : 'test-bed kube-apiserver @integration'}`, function () {
    this.timeout(kind === 'real' ? 300_000 : 60_000)
    let dir: string
    let t: Target
    let proj: string

    before(async function () {
      dir = tmp('fabk8s-down-')
      t = await targetOrSkip(this, kind, dir)
      proj = makeProject(path.join(dir, 'proj'), {namespace: t.namespace, tls: 'on'})
      await deploy(await project(proj), {
        json: true,
        kubeconfig: t.kubeconfig,
        pollMs: 200,
        timeoutMs: 180_000,
        wait: true,
      })
    })

    after(async () => {
      await t?.stop()
      cleanup(dir)
    })

    const cli = (args: string[]) => runCli(['down', '-p', proj, '--kubeconfig', t.kubeconfig, ...args])

    it('without a terminal and without --yes: usage error naming --yes, nothing deleted', async () => {
      const r = await cli([])
      expect(r.code).to.equal(2)
      expect(r.stderr).to.contain('pass --yes').and.to.contain('deployment/kv')
      const j = json<Any>(await cli(['--json']))
      expect(j.error.code).to.equal('USAGE')
      expect(j.error.message).to.contain('--yes')
      const c = await connect({kubeconfig: t.kubeconfig})
      expect(await listManaged(c, t.namespace, 'kv')).to.have.length(3)
    })

    it('a user without rights → exit 7', async function () {
      const f = t.forbiddenKubeconfig()
      if (!f) {
        console.log('      skipped: the test bed has no non-admin kubeconfig (FABK8S_TEST_KUBECONFIG_NOAUTH)')
        this.skip()
      }

      const r = await runCli(['down', '-p', proj, '--kubeconfig', f, '--yes'])
      expect(r.code).to.equal(7)
      expect(r.stderr).to.contain('forbidden (403)')
    })

    it('--yes deletes the Deployment, Service and Secret found by the managed-by labels, and waits for the pods to stop', async () => {
      const j = json<Any>(await cli(['--yes', '--json']))
      expect(j).to.include({context: currentContext(t.kubeconfig), namespace: t.namespace})
      expect(j.deleted.map((r: Any) => `${r.kind}/${r.name}`).sort()).to.deep.equal([
        'Deployment/kv',
        'Secret/kv-tls',
        'Service/kv',
      ])
      expect(j.stopped).to.equal(true)
      const c = await connect({kubeconfig: t.kubeconfig})
      expect(await listManaged(c, t.namespace, 'kv')).to.deep.equal([])
      // not even a terminating pod is left: it would still answer the peers
      expect((await c.core.listNamespacedPod({namespace: t.namespace})).items).to.deep.equal([])
    })

    it('when nothing is left: says so, naming the namespace and context, exit 0', async () => {
      const context = currentContext(t.kubeconfig)
      const r = await cli(['--yes'])
      expect(r.code, r.stderr).to.equal(0)
      expect(r.stdout)
        .to.contain('nothing to delete')
        .and.to.contain(`in namespace ${t.namespace} (context ${context})`)
      expect(r.stderr).to.contain(currentContextNote(context))
    })

    it('a pod that does not stop: exit 8 after --timeout naming it, what was deleted stays deleted; down returns once it is gone', async () => {
      const c = await connect({kubeconfig: t.kubeconfig})
      // a pod of the chaincode bound to a node that does not exist: no kubelet ever stops it
      const stuck = async () =>
        c.core.createNamespacedPod({
          body: {
            metadata: {
              labels: {'app.kubernetes.io/managed-by': 'fabk8s', 'fabk8s.io/chaincode': 'kv'},
              name: 'kv-stuck',
            },
            spec: {
              containers: [
                {
                  image: 'kv:never',
                  name: 'c',
                  // the namespace enforces the restricted Pod Security Standard, as fabk8s's own pods meet it
                  securityContext: {
                    allowPrivilegeEscalation: false,
                    capabilities: {drop: ['ALL']},
                    runAsNonRoot: true,
                    seccompProfile: {type: 'RuntimeDefault'},
                  },
                },
              ],
              nodeName: 'fabk8s-test-no-such-node',
            },
          },
          namespace: t.namespace,
        })
      const gone = async () =>
        c.core.deleteNamespacedPod({gracePeriodSeconds: 0, name: 'kv-stuck', namespace: t.namespace}).catch(() => {})
      const again = async () =>
        deploy(await project(proj), {json: true, kubeconfig: t.kubeconfig, pollMs: 200, timeoutMs: 180_000, wait: true})

      await again()
      await stuck()
      const r = await cli(['--yes', '--json', '--timeout', '2s'])
      expect(r.code, r.stdout + r.stderr).to.equal(8)
      const e = json<Any>(r).error
      expect(e.code).to.equal('ROLLOUT')
      expect(e.message)
        .to.contain('pod/kv-stuck')
        .and.to.contain('did not stop within 2s')
        .and.to.contain('deployment/kv')
      expect(await listManaged(c, t.namespace, 'kv')).to.deep.equal([])

      // a pod that stops while down waits: down returns then, exit 0
      await again()
      const t0 = Date.now()
      const removed = new Promise((resolve) => {
        setTimeout(() => resolve(gone()), 1500)
      })
      const ok = await cli(['--yes', '--json'])
      await removed
      expect(ok.code, ok.stdout + ok.stderr).to.equal(0)
      expect(json<Any>(ok).stopped).to.equal(true)
      expect(Date.now() - t0).to.be.at.least(1500)
      expect((await c.core.listNamespacedPod({namespace: t.namespace})).items).to.deep.equal([])

      // --no-wait returns once the objects are deleted
      await again()
      await stuck()
      const quick = await cli(['--yes', '--json', '--no-wait'])
      expect(quick.code, quick.stderr).to.equal(0)
      expect(json<Any>(quick).stopped).to.equal(false)
      await gone()
    })
  })
}
