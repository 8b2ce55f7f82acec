/**
 * deployDrift, the read-only check `fabk8s up` uses to skip the deploy step: what a kubectl edit of the Deployment
 * that leaves fabk8s's hash annotation alone must still count as a change.
 */
import {expect} from 'chai'
import path from 'node:path'

import type {KubeClients} from '../../../src/lib/kube/client.js'
import type {ProjectConfig} from '../../../src/lib/project/schema.js'

import {connect} from '../../../src/lib/kube/client.js'
import {deployDrift} from '../../../src/lib/kube/drift.js'
import {deploy, planFor} from '../../support/tasks.js'
import {cleanup, fakeTarget, makeProject, project, type Target, tmp} from './support.js'

type Any = any

describe('deployDrift against the fake API server', function () {
  this.timeout(60_000)
  let dir: string
  let t: Target
  let p: ProjectConfig
  let c: KubeClients

  before(async () => {
    dir = tmp('fabk8s-drift-')
    t = await fakeTarget(dir)
    p = await project(makeProject(path.join(dir, 'proj'), {namespace: t.namespace}))
    c = await connect({kubeconfig: t.kubeconfig, namespace: t.namespace})
    await deploy(p, {json: true, kubeconfig: t.kubeconfig, pollMs: 100, timeoutMs: 30_000, wait: true})
  })

  after(async () => {
    await t?.stop()
    cleanup(dir)
  })

  const drift = async () => deployDrift(c, (await planFor(p, {namespace: t.namespace})).manifests)
  /** Change the live Deployment as kubectl would: the hash annotation stays, the rollout is done. */
  const edit = (change: (d: Any) => void) => {
    const [d] = t.fake!.list('Deployment', t.namespace)
    change(d)
    const put = t.fake!.put(d)
    const want = put.spec.replicas ?? 1
    t.fake!.setDeploymentStatus(t.namespace, d.metadata.name, {
      availableReplicas: want,
      observedGeneration: put.metadata.generation,
      readyReplicas: want,
      replicas: want,
      updatedReplicas: want,
    })
  }

  it('nothing changed: no drift', async () => {
    expect(await drift()).to.deep.equal([])
  })

  it('kubectl scale --replicas 0: the Deployment runs no pod, and up must apply it again', async () => {
    edit((d) => {
      d.spec.replicas = 0
    })
    expect((await drift()).join('; ')).to.match(/deployment\/kv runs 0 replicas, fabk8s\.yaml asks for 1/)
  })

  it('kubectl set image: the pods run another image than fabk8s.yaml gives', async () => {
    edit((d) => {
      d.spec.replicas = 1
      d.spec.template.spec.containers[0].image = 'someone/else:2'
    })
    expect((await drift()).join('; ')).to.match(/deployment\/kv runs image someone\/else:2 in container/)
  })
})
