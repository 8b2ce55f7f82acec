/**
 * Registry mode for real: `fabk8s up --registry` builds with the Docker engine, pushes to the bed's registry (the
 * CNCF distribution registry, plain HTTP on localhost), deploys the pushed image BY DIGEST to the bed's
 * kube-apiserver, the real node's containerd pulls it from the registry and runs it, the Fabric peers dial the pod,
 * and `invoke`/`query` answer. A second `up` checks the registry (HEAD of the manifest) and pushes and applies
 * nothing.
 *
 * Needs: a Docker engine, the bed's Fabric network, its real node and its registry (`bash test/bed/bed.sh up`,
 * then source its env file). Each missing part is named when the suite skips.
 */
import type {AppsV1Api, CoreV1Api} from '@kubernetes/client-node'

import {expect} from 'chai'

import type {UpResult} from '../../src/lib/up/up.js'

import {type Fabnet, fabnetOrSkip} from '../lib/fabric/fabnet.js'
import {type BedProject, BedProjects} from '../support/bed-project.js'
import {type BedNode, bedNodeOrSkip} from '../support/bed.js'
import {json} from '../support/cli.js'
import {buildNetwork, cleanup, dockerCmd, nodeBaseImage, requireDocker} from '../support/docker.js'

const actions = (r: UpResult) => Object.fromEntries(r.steps.map((s) => [s.step, s.action]))

/** The bed's registry (host:port), or why there is none. */
async function bedRegistry(): Promise<string | {skip: string}> {
  const reg = process.env.FABK8S_BED_REGISTRY
  if (!reg) return {skip: 'no registry: FABK8S_BED_REGISTRY is not set (run `bash test/bed/bed.sh up` and source its env file)'}
  try {
    const r = await fetch(`http://${reg}/v2/`, {signal: AbortSignal.timeout(10_000)})
    if (r.status !== 200) return {skip: `the bed registry ${reg} answered HTTP ${r.status} to GET /v2/`}
  } catch (error) {
    return {skip: `the bed registry ${reg} does not answer: ${(error as Error).message}`}
  }

  return reg
}

describe('up --registry on the real node: push → deploy by digest → pull from the registry → invoke @integration', function () {
  this.timeout(1_800_000)
  let bed: BedNode
  let net: Fabnet
  let core: CoreV1Api
  let apps: AppsV1Api
  let registry: string
  let dockerNetwork: string | undefined
  let projects: BedProjects
  let p: BedProject
  let first: undefined | UpResult
  const images: string[] = []

  before(async function () {
    await requireDocker(this)
    net = fabnetOrSkip(this)
    bed = bedNodeOrSkip(this)
    const reg = await bedRegistry()
    if (typeof reg !== 'string') {
      console.log(`      skipped: ${reg.skip}`)
      this.skip()
    }

    registry = reg as string
    const k8s = await import('@kubernetes/client-node')
    const kc = new k8s.KubeConfig()
    kc.loadFromFile(bed.kubeconfig)
    core = kc.makeApiClient(k8s.CoreV1Api)
    apps = kc.makeApiClient(k8s.AppsV1Api)
    projects = new BedProjects(bed, net, core, 'reg')
    dockerNetwork = await buildNetwork()
  })

  after(async () => {
    await projects?.cleanup()
    await cleanup({images})
  })

  async function up(): Promise<UpResult> {
    const args = ['up', '--registry', registry, '--json', '--timeout', '180s', '--base-image', await nodeBaseImage()]
    if (dockerNetwork) args.push('--docker-network', dockerNetwork)
    const r = await p.fabk8s(...args)
    expect(r.code, `fabk8s up: ${r.stderr}\n${r.stdout}`).to.equal(0)
    return json<UpResult>(r)
  }

  it('first up: builds, pushes, deploys repo@sha256 that the real node pulls from the registry, registers, and answers invoke/query', async () => {
    p = await projects.create('javascript')
    first = await up()
    expect(actions(first)).to.deep.equal({
      build: 'changed',
      deploy: 'changed',
      package: 'unchanged',
      push: 'changed',
      ready: 'unchanged',
      register: 'changed',
    })
    expect(first.registry).to.equal(registry)
    const digestRef = new RegExp(`^${registry.replaceAll('.', String.raw`\.`)}/${p.name}@sha256:[0-9a-f]{64}$`)
    expect(first.image).to.match(digestRef)
    const digest = first.image!.split('@')[1]
    const tags = await dockerCmd(['image', 'inspect', '--format', '{{json .RepoTags}}', first.image!])
    images.push(...(JSON.parse(tags.stdout) as string[]))

    // the registry holds that manifest (the node pulled from it: nothing was loaded into the node)
    const head = await fetch(`http://${registry}/v2/${p.name}/manifests/${digest}`, {
      headers: {accept: 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json'},
      method: 'HEAD',
    })
    expect(head.status).to.equal(200)

    const pods = (await core.listNamespacedPod({namespace: p.namespace})).items.filter((x) => !x.metadata?.deletionTimestamp)
    expect(pods).to.have.length(1)
    const pod = pods[0]
    expect(pod.spec?.nodeName, 'scheduled on the real node').to.equal(bed.nodeName)
    expect(pod.status?.phase).to.equal('Running')
    expect(pod.spec?.containers[0].image).to.equal(first.image)
    expect(pod.spec?.containers[0].imagePullPolicy).to.equal('IfNotPresent')
    // the kubelet reports the image it pulled by the registry digest
    expect(pod.status?.containerStatuses?.[0].imageID).to.include(digest)

    const put = await p.fabk8s('invoke', 'CreateAsset', 'r1', 'red', 'carol', '--json')
    expect(put.code, put.stderr).to.equal(0)
    expect(json<{validation: string}>(put).validation).to.equal('VALID')
    for (const org of net.orgs) {
      const get = await p.fabk8s('query', 'ReadAsset', 'r1', '--org', org.mspId, '--json')
      expect(get.code, get.stderr).to.equal(0)
      expect(JSON.parse(json<{result: string}>(get).result)).to.include({id: 'r1', owner: 'carol', value: 'red'})
    }
  })

  it('a second up pushes nothing and writes nothing: the registry already has the digest', async function () {
    if (!first) this.skip()
    const before = await apps.readNamespacedDeployment({name: p.name, namespace: p.namespace})
    const tags = await (await fetch(`http://${registry}/v2/${p.name}/tags/list`)).json()
    const again = await up()
    expect(actions(again)).to.deep.equal({
      build: 'unchanged',
      deploy: 'unchanged',
      package: 'unchanged',
      push: 'unchanged',
      ready: 'unchanged',
      register: 'unchanged',
    })
    expect(again.image).to.equal(first!.image)
    expect(again.steps.find((s) => s.step === 'push')?.detail).to.equal(`${registry} has ${first!.image}`)
    const after = await apps.readNamespacedDeployment({name: p.name, namespace: p.namespace})
    expect(after.metadata?.resourceVersion, 'the Deployment was not written').to.equal(before.metadata?.resourceVersion)
    expect(await (await fetch(`http://${registry}/v2/${p.name}/tags/list`)).json()).to.deep.equal(tags)
  })

  it('deploy --registry runs the digest the push recorded (no change); an image never pushed there is exit 10', async function () {
    if (!first) this.skip()
    const d = await p.fabk8s('deploy', '--registry', registry, '--json')
    expect(d.code, d.stderr).to.equal(0)
    expect(json<{changed: boolean; image: string}>(d)).to.include({changed: false, image: first!.image})
    const never = await p.fabk8s('deploy', '--registry', `${registry}/elsewhere`, '--json')
    expect(never.code, never.stdout).to.equal(10)
    const err = json<{error: {hint: string; message: string}}>(never).error
    expect(err.message).to.match(new RegExp(`was never pushed to ${registry}/elsewhere/${p.name}$`))
    expect(err.hint).to.include(`fabk8s up --registry ${registry}/elsewhere`)
  })

  it('status says the running image came from the registry, by digest', async function () {
    if (!first) this.skip()
    const st = await p.fabk8s('status', '--json')
    expect(st.code, st.stderr).to.equal(0)
    const s = json<{image: string; imageSource: string}>(st)
    expect(s).to.include({image: first!.image, imageSource: 'registry'})
    const human = await p.fabk8s('status')
    expect(human.stdout).to.match(new RegExp(`pulled from ${registry.replaceAll('.', String.raw`\.`)} by digest`))
  })
})
