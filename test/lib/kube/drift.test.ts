/**
 * deployDrift, the read-only check `fabk8s up` uses to skip the deploy step: what a kubectl edit of the Deployment
 * that leaves fabk8s's hash annotation alone must still count as a change. Against the fake API server and the test
 * bed's kube-apiserver (its controllers scale the Deployment for real).
 */
import type {V1Deployment} from '@kubernetes/client-node'

import {expect} from 'chai'
import path from 'node:path'

import type {KubeClients} from '../../../src/lib/kube/client.js'
import type {ProjectConfig} from '../../../src/lib/project/schema.js'

import {connect} from '../../../src/lib/kube/client.js'
import {deployDrift} from '../../../src/lib/kube/drift.js'
import {deploy, planFor} from '../../support/tasks.js'
import {cleanup, editDeployment, makeProject, project, type Target, targetOrSkip, tmp} from './support.js'

for (const kind of ['fake', 'real'] as const) {
  describe(`deployDrift against the ${kind === 'fake' ? 'fake API server' : 'test-bed kube-apiserver @integration'}`, function () {
    this.timeout(kind === 'real' ? 300_000 : 60_000)
    let dir: string
    let t: Target
    let p: ProjectConfig
    let c: KubeClients

    before(async function () {
      dir = tmp('fabk8s-drift-')
      t = await targetOrSkip(this, kind, dir)
      p = await project(makeProject(path.join(dir, 'proj'), {namespace: t.namespace}))
      c = await connect({kubeconfig: t.kubeconfig, namespace: t.namespace})
      await deploy(p, {json: true, kubeconfig: t.kubeconfig, pollMs: 100, timeoutMs: 120_000, wait: true})
    })

    after(async () => {
      await t?.stop()
      if (dir) cleanup(dir)
    })

    const drift = async () => (await deployDrift(c, (await planFor(p, {namespace: t.namespace})).manifests)).join('; ')

    /** Change the live Deployment through the API, as kubectl scale / set image do: the hash annotation stays. */
    const edit = async (change: (d: V1Deployment) => void) => {
      const put = await editDeployment(c, t.namespace, 'kv', change)
      if (t.fake) {
        const want = put.spec?.replicas ?? 1
        t.fake.setDeploymentStatus(t.namespace, 'kv', {
          availableReplicas: want,
          observedGeneration: put.metadata?.generation,
          readyReplicas: want,
          replicas: want,
          updatedReplicas: want,
        })
      }
    }

    it('nothing changed: no drift', async () => {
      expect(await drift()).to.equal('')
    })

    it('kubectl scale --replicas 0: the Deployment runs no pod, and up must apply it again', async () => {
      await edit((d) => {
        d.spec!.replicas = 0
      })
      expect(await drift()).to.match(/deployment\/kv runs 0 replicas, fabk8s\.yaml asks for 1/)
    })

    it('kubectl set image: the pods run another image than fabk8s.yaml gives', async () => {
      await edit((d) => {
        d.spec!.replicas = 1
        d.spec!.template!.spec!.containers[0].image = 'someone/else:2'
      })
      expect(await drift()).to.match(
        /deployment\/kv runs image someone\/else:2 in container chaincode, fabk8s\.yaml gives /,
      )
    })
  })
}
