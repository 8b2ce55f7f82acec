/**
 * Swapping the chaincode Deployment for the relay and back, on the test bed's real kube-apiserver (server-side
 * apply, managedFields, the deployment controller; kwok nodes make the pods Ready). The restore must give back
 * the spec that was there before, also after a session died (from the annotation), and `fabk8s deploy` must see
 * a swapped Deployment as changed and repair it.
 */
import type {AppsV1Api} from '@kubernetes/client-node'

import {expect} from 'chai'
import {spawnSync} from 'node:child_process'
import os from 'node:os'

import type {KubeClients} from '../../../src/lib/kube/client.js'
import type {ProjectConfig} from '../../../src/lib/project/schema.js'

import {extractApplied, extractFields} from '../../../src/lib/dev/extract.js'
import {heldByDev} from '../../../src/lib/dev/guard.js'
import {ANNOTATION_DEV, LABEL_RELAY, relayDeployment, tunnelPortFor} from '../../../src/lib/dev/relay/manifest.js'
import {deploymentPath, getRaw, type RawObject, runsOf, swapIn, swapOut} from '../../../src/lib/dev/swap.js'
import {buildPackage} from '../../../src/lib/fabric/package.js'
import {connect} from '../../../src/lib/kube/client.js'
import {deployDrift} from '../../../src/lib/kube/drift.js'
import {renderManifests} from '../../../src/lib/kube/manifests.js'
import {waitForRollout} from '../../../src/lib/kube/rollout.js'
import {json, runCli} from '../../support/cli.js'
import {deploy, planFor} from '../../support/tasks.js'
import {cleanup, makeProject, project, pssRestrictedViolations, realTarget, type Target, tmp} from '../kube/support.js'

type Any = any

describe('extractFields: what a manager applied, from fieldsV1', () => {
  it('keeps the owned fields, list items by key, set items, and whole values of leaf fields', () => {
    const live = {
      metadata: {annotations: {a: '1', other: '2'}, name: 'x', uid: 'u'},
      spec: {
        containers: [
          {
            env: [
              {name: 'A', value: '1'},
              {name: 'B', value: '2'},
            ],
            image: 'i',
            name: 'c',
            tty: false,
          },
          {image: 'j', name: 'sidecar'},
        ],
        finalizers: ['f1', 'f2'],
        resources: {limits: {cpu: '1'}},
      },
      status: {ready: true},
    }
    const trie = {
      'f:metadata': {'f:annotations': {'.': {}, 'f:a': {}}},
      'f:spec': {
        'f:containers': {
          'k:{"name":"c"}': {'.': {}, 'f:env': {'k:{"name":"A"}': {'.': {}, 'f:value': {}}}, 'f:image': {}},
        },
        'f:finalizers': {'v:"f2"': {}},
        'f:resources': {},
      },
    }
    expect(extractFields(live, trie)).to.deep.equal({
      metadata: {annotations: {a: '1'}},
      spec: {
        containers: [{env: [{name: 'A', value: '1'}], image: 'i', name: 'c'}],
        finalizers: ['f2'],
        resources: {limits: {cpu: '1'}},
      },
    })
  })

  it('extractApplied: undefined when the manager applied nothing; else apiVersion, kind and name always', () => {
    const live = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        managedFields: [
          {fieldsType: 'FieldsV1', fieldsV1: {'f:spec': {'f:replicas': {}}}, manager: 'kubectl', operation: 'Update'},
          {
            apiVersion: 'apps/v1',
            fieldsType: 'FieldsV1',
            fieldsV1: {'f:spec': {'f:paused': {}}},
            manager: 'fabk8s',
            operation: 'Apply',
          },
        ],
        name: 'd',
        namespace: 'n',
      },
      spec: {paused: false, replicas: 3},
    }
    expect(extractApplied(live, 'fabk8s')).to.deep.equal({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {name: 'd', namespace: 'n'},
      spec: {paused: false},
    })
    expect(extractApplied(live, 'someone-else')).to.equal(undefined)
  })
})

describe('relay Deployment manifest', () => {
  let dir: string
  let p: ProjectConfig

  before(async () => {
    dir = makeProject(tmp(), {name: 'kv', namespace: 'ns1'})
    p = await project(dir)
  })

  after(() => cleanup(dir))

  const render = () =>
    relayDeployment(p, {
      image: 'fabk8s-relay:0123456789abcdef',
      namespace: 'ns1',
      packageId: 'kv_1.0.0:abc',
      restore: null,
      session: 'me@here pid 1',
    }) as Any

  it('keeps the chaincode’s name, selector and named port, runs the relay on its port, and passes PSS restricted', () => {
    const m = render()
    expect(m.metadata.name).to.equal('kv')
    expect(m.spec.selector.matchLabels).to.deep.equal({'app.kubernetes.io/name': 'kv', 'fabk8s.io/chaincode': 'kv'})
    const pod = m.spec.template.spec
    expect(pssRestrictedViolations(pod)).to.deep.equal([])
    const c = pod.containers[0]
    expect(c.ports).to.deep.equal([{containerPort: 9999, name: 'chaincode', protocol: 'TCP'}])
    expect(c.env).to.deep.include({name: 'FABK8S_RELAY_PORT', value: '9999'})
    expect(c.env).to.deep.include({name: 'FABK8S_RELAY_TUNNEL_PORT', value: String(tunnelPortFor(9999))})
    expect(m.spec.template.metadata.labels[LABEL_RELAY]).to.equal('true')
    // as the chaincode's Deployment: the pod it replaces stops once kube-proxy can have moved the Service
    expect(m.spec.minReadySeconds).to.equal(2)
    expect(m.metadata.annotations[ANNOTATION_DEV]).to.equal('me@here pid 1')
    expect(tunnelPortFor(7901)).to.not.equal(7901)
  })

  it('takes the place of the Deployment whose Service the peers dial (chaincode.address basic-cc.ns1.svc…)', async () => {
    const other = await project(makeProject(tmp(), {address: 'basic-cc.ns1.svc.cluster.local:9999', namespace: 'ns1'}))
    const {packageId} = await buildPackage(other)
    const service = renderManifests(other, {image: other.image, namespace: 'ns1', packageId}).find(
      (m) => m.kind === 'Service',
    ) as Any
    const m = relayDeployment(other, {image: 'r:1', namespace: 'ns1', packageId, restore: null, session: 's'}) as Any
    expect(m.metadata.name).to.equal('basic-cc')
    expect(service.metadata.name).to.equal('basic-cc')
    // the Service sends the peers to the relay's pods
    expect(m.spec.template.metadata.labels).to.include(service.spec.selector)
  })

  it('is clean for `fabk8s doctor` at every severity', async function () {
    this.timeout(60_000)
    const r = await runCli(['doctor', '-f', '-', '--fail-on', 'info', '--json'], {input: JSON.stringify(render())})
    expect(r.code, r.stdout + r.stderr).to.equal(0)
    expect(json<{findings: unknown[]}>(r).findings).to.deep.equal([])
  })
})

describe('swap the chaincode Deployment for the relay and back, on the real kube-apiserver @integration', function () {
  this.timeout(180_000)
  let target: Target
  let dir: string
  let p: ProjectConfig
  let c: KubeClients
  let apps: AppsV1Api
  const relayImage = 'fabk8s-relay:00000000000000aa'

  before(async function () {
    dir = tmp()
    const t = await realTarget(dir)
    if (typeof t === 'string') {
      console.log(`      skipped: ${t}`)
      this.skip()
    }

    target = t as Target
    makeProject(dir, {name: 'kvdev', namespace: target.namespace})
    p = await project(dir)
    c = await connect({kubeconfig: target.kubeconfig, namespace: target.namespace})
    apps = c.apps
  })

  after(async () => {
    await target?.stop()
    if (dir) cleanup(dir)
  })

  const live = async () => (await getRaw(c, deploymentPath(target.namespace, p.name))) as RawObject
  const specOf = (d: RawObject) => structuredClone(d.spec) as Record<string, unknown>
  const opts = () => ({
    json: true,
    kubeconfig: target.kubeconfig,
    namespace: target.namespace,
    timeoutMs: 60_000,
    wait: true,
  })
  const packageId = async () => (await planFor(p, {namespace: target.namespace})).packageId
  const waitFor = async (image: string) =>
    waitForRollout(c, {
      image,
      name: p.name,
      namespace: target.namespace,
      packageId: await packageId(),
      pollMs: 200,
      timeoutMs: 60_000,
    })

  it('extractApplied of a deployed chaincode equals the manifest fabk8s applied', async () => {
    await deploy(p, opts())
    const plan = await planFor(p, {namespace: target.namespace})
    const applied = plan.manifests.find((m) => m.kind === 'Deployment')!
    expect(extractApplied(await live(), 'fabk8s')).to.deep.equal(structuredClone(applied))
  })

  it('swapIn puts the relay in, swapOut puts back the same spec; a second swapIn+swapOut does too', async () => {
    const before = await live()
    const session = 'dev-test pid 1'
    const plan = await swapIn(c, p, {
      image: relayImage,
      namespace: target.namespace,
      packageId: await packageId(),
      session,
    })
    expect(plan.applied).to.not.equal(null)
    expect(plan.leftBy).to.equal(undefined)
    await waitFor(relayImage)
    const swapped = await live()
    const tpl = (swapped.spec as Any).template
    expect(tpl.spec.containers[0].image).to.equal(relayImage)
    expect(tpl.spec.containers).to.have.length(1)
    expect(tpl.spec.volumes ?? []).to.deep.equal([])
    expect(swapped.metadata?.annotations?.[ANNOTATION_DEV]).to.equal(session)
    // the Service still selects the (relay) pods: same selector
    expect((swapped.spec as Any).selector).to.deep.equal((before.spec as Any).selector)
    const pods = await c.core.listNamespacedPod({labelSelector: `${LABEL_RELAY}=true`, namespace: target.namespace})
    expect(pods.items.length).to.be.greaterThan(0)

    const out = await swapOut(c, {name: p.name, namespace: target.namespace, plan, session})
    expect(out.outcome).to.equal('restored')
    const after = await live()
    expect(specOf(after)).to.deep.equal(specOf(before))
    // every annotation but the deployment controller's revision counter (the restore is a new revision)
    const ours = (d: RawObject) => {
      const rest = {...d.metadata?.annotations}
      delete rest['deployment.kubernetes.io/revision']
      return rest
    }

    expect(ours(after)).to.deep.equal(ours(before))
    await waitFor(runsOf(plan.applied!).image)
    expect(await deployDrift(c, (await planFor(p, {namespace: target.namespace})).manifests)).to.deep.equal([])
  })

  it('a session that died is repaired by the next one: it restores from the annotation the dead one left', async () => {
    const before = await live()
    await swapIn(c, p, {
      image: relayImage,
      namespace: target.namespace,
      packageId: await packageId(),
      session: 'dead pid 2',
    })
    // … killed here; the next session starts
    const plan = await swapIn(c, p, {
      image: relayImage,
      namespace: target.namespace,
      packageId: await packageId(),
      session: 'next pid 3',
    })
    expect(plan.leftBy).to.equal('dead pid 2')
    expect(await swapOut(c, {name: p.name, namespace: target.namespace, plan, session: 'next pid 3'})).to.deep.equal({
      outcome: 'restored',
    })
    expect(specOf(await live())).to.deep.equal(specOf(before))
  })

  it('a session that died is repaired by `fabk8s deploy`: the drift check sees the relay, deploy puts the real spec back', async () => {
    const before = await live()
    // a session of this host whose process has exited (one on another host cannot be asked: deploy refuses it)
    const dead = `me@${os.hostname()} pid ${spawnSync(process.execPath, ['-e', '']).pid} since ${new Date().toISOString()}`
    await swapIn(c, p, {image: relayImage, namespace: target.namespace, packageId: await packageId(), session: dead})
    expect(await heldByDev(c, target.namespace, [p.name])).to.deep.equal([])
    const drift = await deployDrift(c, (await planFor(p, {namespace: target.namespace})).manifests)
    expect(drift.join('; ')).to.match(/deployment\/kvdev differs from fabk8s\.yaml/)
    await deploy(p, opts())
    const after = await live()
    expect(specOf(after)).to.deep.equal(specOf(before))
    expect(after.metadata?.annotations?.[ANNOTATION_DEV]).to.equal(undefined)
  })

  it('heldByDev: the relay of a session that still runs holds the Deployment; deploy refuses it (exit 11) unless taking over', async () => {
    const since = new Date().toISOString()
    const running = `me@${os.hostname()} pid ${process.pid} since ${since}`
    const plan = await swapIn(c, p, {
      image: relayImage,
      namespace: target.namespace,
      packageId: await packageId(),
      session: running,
    })
    expect(await heldByDev(c, target.namespace, [p.name, 'nothing-here'])).to.deep.equal([
      {name: p.name, session: running, state: 'running'},
    ])
    expect(await heldByDev(c, target.namespace, [p.name], running)).to.deep.equal([])
    const err = (await deploy(p, opts()).catch((error: unknown) => error)) as {
      code?: string
      exitCode?: number
      message?: string
    }
    expect(err.exitCode, String(err.message)).to.equal(11)
    expect(err.message).to.equal(
      `deployment/${p.name} runs the relay of a \`fabk8s dev\` session that is still running (${running}): fabk8s deploy would replace it`,
    )
    expect((await live()).metadata?.annotations?.[ANNOTATION_DEV]).to.equal(running)
    expect(plan.applied).to.not.equal(null)
    await deploy(p, {...opts(), takeOver: true})
    expect((await live()).metadata?.annotations?.[ANNOTATION_DEV]).to.equal(undefined)
  })

  it('fabk8s down refuses the relay of a session that still runs (exit 11); with --take-over it deletes it', async () => {
    const running = `me@${os.hostname()} pid ${process.pid} since ${new Date().toISOString()}`
    await swapIn(c, p, {image: relayImage, namespace: target.namespace, packageId: await packageId(), session: running})
    const down = (...more: string[]) =>
      runCli(['down', '-p', dir, '--kubeconfig', target.kubeconfig, '--yes', '--no-wait', '--json', ...more])
    const r = await down()
    expect(r.code, r.stdout + r.stderr).to.equal(11)
    expect(json<{error: {message: string}}>(r).error.message).to.equal(
      `deployment/${p.name} runs the relay of a \`fabk8s dev\` session that is still running (${running}): fabk8s down would delete it`,
    )
    expect((await live()).metadata?.annotations?.[ANNOTATION_DEV]).to.equal(running)
    const t = await down('--take-over')
    expect(t.code, t.stdout + t.stderr).to.equal(0)
    expect(await getRaw(c, deploymentPath(target.namespace, p.name))).to.equal(undefined)
    await deploy(p, opts())
  })

  it('another session that took over is left alone by the first one’s restore', async () => {
    const pid = await packageId()
    const plan = await swapIn(c, p, {
      image: relayImage,
      namespace: target.namespace,
      packageId: pid,
      session: 'a pid 5',
    })
    const planB = await swapIn(c, p, {
      image: relayImage,
      namespace: target.namespace,
      packageId: pid,
      session: 'b pid 6',
    })
    expect(await swapOut(c, {name: p.name, namespace: target.namespace, plan, session: 'a pid 5'})).to.deep.equal({
      by: 'b pid 6',
      outcome: 'taken-over',
    })
    expect((await live()).metadata?.annotations?.[ANNOTATION_DEV]).to.equal('b pid 6')
    expect(
      (await swapOut(c, {name: p.name, namespace: target.namespace, plan: planB, session: 'b pid 6'})).outcome,
    ).to.equal('restored')
  })

  it('a relay deleted while dev ran (fabk8s down) is not put back: outcome gone', async () => {
    await deploy(p, opts())
    const plan = await swapIn(c, p, {
      image: relayImage,
      namespace: target.namespace,
      packageId: await packageId(),
      session: 'g pid 8',
    })
    expect(plan.applied).to.not.equal(null)
    await apps.deleteNamespacedDeployment({name: p.name, namespace: target.namespace})
    for (let i = 0; i < 50 && (await getRaw(c, deploymentPath(target.namespace, p.name))); i++)
      await new Promise((r) => setTimeout(r, 100))
    expect(await swapOut(c, {name: p.name, namespace: target.namespace, plan, session: 'g pid 8'})).to.deep.equal({
      outcome: 'gone',
    })
    expect(await getRaw(c, deploymentPath(target.namespace, p.name))).to.equal(undefined)
    await deploy(p, opts())
  })

  it('with no Deployment before, the relay’s is created and deleted at the end', async () => {
    await apps.deleteNamespacedDeployment({name: p.name, namespace: target.namespace})
    for (let i = 0; i < 50 && (await getRaw(c, deploymentPath(target.namespace, p.name))); i++)
      await new Promise((r) => setTimeout(r, 100))
    const plan = await swapIn(c, p, {
      image: relayImage,
      namespace: target.namespace,
      packageId: await packageId(),
      session: 's pid 7',
    })
    expect(plan.applied).to.equal(null)
    expect((await live()).metadata?.annotations?.[ANNOTATION_DEV]).to.equal('s pid 7')
    expect((await swapOut(c, {name: p.name, namespace: target.namespace, plan, session: 's pid 7'})).outcome).to.equal(
      'deleted',
    )
    expect(await getRaw(c, deploymentPath(target.namespace, p.name))).to.equal(undefined)
  })

  it('refuses a Deployment fabk8s did not apply', async () => {
    await apps.createNamespacedDeployment({
      body: {
        metadata: {name: p.name},
        spec: {
          selector: {matchLabels: {app: 'x'}},
          template: {metadata: {labels: {app: 'x'}}, spec: {containers: [{image: 'x:1', name: 'x'}]}},
        },
      },
      fieldManager: 'someone',
      namespace: target.namespace,
    })
    const err = await swapIn(c, p, {
      image: relayImage,
      namespace: target.namespace,
      packageId: await packageId(),
      session: 'x',
    }).catch((error: Error) => error)
    expect(String(err)).to.match(/was not applied by fabk8s/)
  })
})
