import type {V1Deployment, V1Pod} from '@kubernetes/client-node'

import {expect} from 'chai'
import path from 'node:path'

import {connect} from '../../../src/lib/kube/client.js'
import {
  currentPods,
  deploymentProgress,
  diagnosePods,
  KUBE_PROXY_SYNC_MS,
  stoppingPods,
  waitForRollout,
} from '../../../src/lib/kube/rollout.js'
import {runningPackageId} from '../../../src/lib/kube/status.js'
import {FakeKubeApiServer} from '../../support/kube-api-server.js'
import {cleanup, tmp} from './support.js'

const dep = (generation: number, status: V1Deployment['status'], replicas = 1): V1Deployment => ({
  metadata: {generation, name: 'kv'},
  spec: {replicas, selector: {}, template: {}},
  status,
})

const CURRENT = {'fabk8s.io/image': 'img:1', 'fabk8s.io/package-id': 'kv:1'}

const pod = (name: string, status: V1Pod['status'], annotations: Record<string, string> = CURRENT): V1Pod => ({
  metadata: {annotations, name},
  spec: {
    containers: [
      {env: [{name: 'CHAINCODE_ID', value: annotations['fabk8s.io/package-id']}], image: 'img:1', name: 'chaincode'},
    ],
  },
  status,
})

/** A pod status whose only container waits for `reason`. */
const w = (reason: string, message = 'm') => ({
  containerStatuses: [
    {
      image: 'img:1',
      imageID: '',
      name: 'chaincode',
      ready: false,
      restartCount: 2,
      state: {waiting: {message, reason}},
    },
  ],
  phase: 'Pending',
})

describe('kube rollout logic', () => {
  it('deploymentProgress follows kubectl rollout status', () => {
    expect(deploymentProgress(dep(2, {observedGeneration: 1})).done).to.equal(false)
    expect(deploymentProgress(dep(2, {observedGeneration: 1})).message).to.contain('controller')
    expect(deploymentProgress(dep(1, {observedGeneration: 1, updatedReplicas: 0})).message).to.equal(
      '0 of 1 new pods updated',
    )
    expect(deploymentProgress(dep(1, {observedGeneration: 1, replicas: 2, updatedReplicas: 1})).message).to.contain(
      'old pod(s) terminating',
    )
    expect(
      deploymentProgress(dep(1, {availableReplicas: 0, observedGeneration: 1, replicas: 1, updatedReplicas: 1}))
        .message,
    ).to.equal('0 of 1 new pods ready')
    expect(
      deploymentProgress(dep(1, {availableReplicas: 1, observedGeneration: 1, replicas: 1, updatedReplicas: 1})).done,
    ).to.equal(true)
    const stuck = deploymentProgress(
      dep(1, {
        conditions: [
          {
            message: 'ReplicaSet "kv-1" has timed out progressing.',
            reason: 'ProgressDeadlineExceeded',
            status: 'False',
            type: 'Progressing',
          },
        ],
        observedGeneration: 1,
      }),
    )
    expect(stuck.failed).to.contain('progress deadline').and.to.contain('timed out progressing')
  })

  it('currentPods keeps the pods of this package ID and image, not terminating ones', () => {
    const pods = [
      pod('new', {phase: 'Running'}),
      pod('old', {phase: 'Running'}, {'fabk8s.io/image': 'img:1', 'fabk8s.io/package-id': 'kv:0'}),
      {...pod('gone', {phase: 'Running'}), metadata: {...pod('gone', {}).metadata, deletionTimestamp: new Date()}},
    ]
    expect(currentPods(pods, 'kv:1', 'img:1').map((p) => p.metadata?.name)).to.deep.equal(['new'])
  })

  it('stoppingPods: pods of other revisions and terminating ones, while they may still run', () => {
    const running = {phase: 'Running'}
    const old = {'fabk8s.io/image': 'img:0', 'fabk8s.io/package-id': 'kv:1'}
    const terminating = pod('cur-del', running)
    terminating.metadata!.deletionTimestamp = new Date()
    const pods = [
      pod('cur', running),
      pod('old-running', running, old),
      pod('old-pending', {phase: 'Pending'}, old),
      terminating,
      pod('old-done', {phase: 'Succeeded'}, old),
      pod('old-evicted', {phase: 'Failed', reason: 'Evicted'}, old),
    ]
    expect(stoppingPods(pods, 'kv:1', 'img:1').map((p) => p.metadata?.name)).to.deep.equal([
      'old-running',
      'old-pending',
      'cur-del',
    ])
    expect(stoppingPods([pod('cur', running)], 'kv:1', 'img:1')).to.deep.equal([])
  })

  it('diagnosePods: image and crash problems are fatal, scheduling and readiness are explanations', () => {
    expect(diagnosePods([pod('a', w('ErrImageNeverPull'))])[0]).to.include({fatal: true, reason: 'ErrImageNeverPull'})
    expect(diagnosePods([pod('a', w('ImagePullBackOff'))])[0]).to.include({fatal: true, reason: 'ImagePullBackOff'})
    expect(diagnosePods([pod('a', w('ErrImagePull'))])[0]).to.include({fatal: false, reason: 'ErrImagePull'})
    expect(diagnosePods([pod('a', w('CreateContainerConfigError', 'secret "kv-tls" not found'))])[0]).to.include({
      fatal: true,
      message: 'secret "kv-tls" not found',
    })
    const crash = {...w('CrashLoopBackOff'), phase: 'Running'}
    crash.containerStatuses[0] = {
      ...crash.containerStatuses[0],
      lastState: {terminated: {exitCode: 137, reason: 'OOMKilled'}},
    } as never
    const c = diagnosePods([pod('a', crash)])[0]
    expect(c).to.include({fatal: true, reason: 'CrashLoopBackOff'})
    expect(c.message).to.contain('last exit code 137, OOMKilled, 2 restarts')
    const pending = diagnosePods([
      pod('a', {
        conditions: [
          {
            message: '0/3 nodes are available: 3 node(s) had untolerated taint',
            reason: 'Unschedulable',
            status: 'False',
            type: 'PodScheduled',
          },
        ],
        phase: 'Pending',
      }),
    ])[0]
    expect(pending).to.include({fatal: false, reason: 'Unschedulable'})
    expect(pending.message).to.contain('untolerated taint')
    const notReady = diagnosePods([
      pod('a', {
        containerStatuses: [
          {image: 'i', imageID: '', name: 'chaincode', ready: false, restartCount: 0, state: {running: {}}},
        ],
        phase: 'Running',
      }),
    ])[0]
    expect(notReady).to.include({fatal: false, reason: 'NotReady'})
    expect(
      diagnosePods([
        pod('a', {
          containerStatuses: [
            {image: 'i', imageID: '', name: 'chaincode', ready: true, restartCount: 0, state: {running: {}}},
          ],
          phase: 'Running',
        }),
      ]),
    ).to.deep.equal([])
  })

  it('diagnosePods ranks fatal problems first', () => {
    const sched = pod('p1', {
      conditions: [{reason: 'Unschedulable', status: 'False', type: 'PodScheduled'}],
      phase: 'Pending',
    })
    const img = pod('p2', {
      containerStatuses: [
        {
          image: 'i',
          imageID: '',
          name: 'chaincode',
          ready: false,
          restartCount: 0,
          state: {waiting: {reason: 'ErrImageNeverPull'}},
        },
      ],
      phase: 'Pending',
    })
    expect(diagnosePods([sched, img]).map((p) => p.pod)).to.deep.equal(['p2', 'p1'])
  })

  it('runningPackageId reads CHAINCODE_ID, else its aliases', () => {
    expect(
      runningPackageId({containers: [{env: [{name: 'CORE_CHAINCODE_ID_NAME', value: 'x:2'}], name: 'chaincode'}]}),
    ).to.equal('x:2')
    expect(
      runningPackageId({
        containers: [
          {
            env: [
              {name: 'CHAINCODE_ID', value: 'x:1'},
              {name: 'CORE_CHAINCODE_ID', value: 'y'},
            ],
            name: 'chaincode',
          },
        ],
      }),
    ).to.equal('x:1')
    expect(runningPackageId({containers: [{name: 'chaincode'}]})).to.equal(undefined)
  })
})

describe('waitForRollout and the old pods', () => {
  const dir = tmp()
  let fake: FakeKubeApiServer
  const labels = {'app.kubernetes.io/name': 'kv', 'fabk8s.io/chaincode': 'kv'}
  const runningPod = (name: string, annotations: Record<string, string>) => ({
    kind: 'Pod',
    metadata: {annotations, labels, name, namespace: 'r'},
    spec: {containers: [{image: annotations['fabk8s.io/image'], name: 'chaincode'}]},
    status: {phase: 'Running'},
  })

  beforeEach(async () => {
    fake = await new FakeKubeApiServer().start()
    fake.controller = 'manual'
    fake.put({kind: 'Namespace', metadata: {name: 'r'}})
    const d = fake.put({kind: 'Deployment', metadata: {name: 'kv', namespace: 'r'}, spec: {replicas: 1}})
    // rolled out: the new pod is available and the old ReplicaSet is at 0, while its pod is still terminating
    fake.setDeploymentStatus('r', 'kv', {
      availableReplicas: 1,
      observedGeneration: d.metadata.generation,
      replicas: 1,
      updatedReplicas: 1,
    })
    fake.put(runningPod('kv-new', CURRENT))
    fake.put({
      ...runningPod('kv-old', {'fabk8s.io/image': 'img:0', 'fabk8s.io/package-id': 'kv:1'}),
      metadata: {...runningPod('kv-old', {}).metadata, deletionTimestamp: new Date().toISOString()},
    })
  })

  afterEach(async () => {
    await fake.stop()
  })

  after(() => cleanup(dir))

  it('returns only once the old pod has gone, saying it waits for it', async () => {
    const c = await connect({kubeconfig: fake.kubeconfig(path.join(dir, 'wait.kubeconfig'))})
    const said: string[] = []
    let settled = false
    const wait = waitForRollout(c, {
      image: 'img:1',
      name: 'kv',
      namespace: 'r',
      onProgress: (m) => said.push(m),
      packageId: 'kv:1',
      pollMs: 10,
      timeoutMs: 30_000,
    }).finally(() => {
      settled = true
    })
    await new Promise((r) => setTimeout(r, 200))
    expect(settled, 'returned while the old pod still ran').to.equal(false)
    expect(said).to.deep.equal(['1 old pod(s) stopping: kv-old'])
    await c.core.deleteNamespacedPod({name: 'kv-old', namespace: 'r'})
    const r = await wait
    expect(r).to.include({ready: true, updated: 1})
    expect(said.at(-1)).to.equal('1 of 1 pods ready')
  })

  it('an old pod gone while the rollout was still in progress: it returns one kube-proxy sync after that, not at once', async () => {
    const c = await connect({kubeconfig: fake.kubeconfig(path.join(dir, 'gone.kubeconfig'))})
    // in progress: the old pod still runs (not terminating yet), the Deployment counts two pods
    const old = fake.get('Pod', 'r', 'kv-old')!
    delete old.metadata.deletionTimestamp
    fake.put(old)
    const d = fake.get('Deployment', 'r', 'kv')!
    fake.setDeploymentStatus('r', 'kv', {
      availableReplicas: 1,
      observedGeneration: d.metadata.generation,
      replicas: 2,
      updatedReplicas: 1,
    })
    let settled = false
    const wait = waitForRollout(c, {
      image: 'img:1',
      name: 'kv',
      namespace: 'r',
      packageId: 'kv:1',
      pollMs: 10,
      timeoutMs: 30_000,
    }).finally(() => {
      settled = true
    })
    await new Promise((r) => setTimeout(r, 100))
    expect(settled).to.equal(false)
    // the old pod goes, and only then does the Deployment's status say it is done (the old ReplicaSet at 0)
    const gone = Date.now()
    await c.core.deleteNamespacedPod({name: 'kv-old', namespace: 'r'})
    await new Promise((r) => setTimeout(r, 50))
    fake.setDeploymentStatus('r', 'kv', {
      availableReplicas: 1,
      observedGeneration: d.metadata.generation,
      replicas: 1,
      updatedReplicas: 1,
    })
    expect(await wait).to.include({ready: true, updated: 1})
    // no sooner than one sync after the first poll that found the old pod gone (a lower bound: sleep waits at least)
    expect(Date.now() - gone).to.be.at.least(KUBE_PROXY_SYNC_MS)
  })

  it('an old pod that never stops: a ROLLOUT error naming it, with the SIGTERM hint', async () => {
    const c = await connect({kubeconfig: fake.kubeconfig(path.join(dir, 'stuck.kubeconfig'))})
    const e: any = await waitForRollout(c, {
      image: 'img:1',
      name: 'kv',
      namespace: 'r',
      packageId: 'kv:1',
      pollMs: 10,
      timeoutMs: 300,
    }).catch((error: unknown) => error)
    expect(e.exitCode).to.equal(8)
    expect(e.message).to.match(/timed out after 0s \(1 old pod\(s\) stopping: kv-old\)/)
    expect(e.detail).to.deep.include({stopping: ['kv-old']})
    expect(e.hint).to.match(/exit on SIGTERM/)
  })
})
