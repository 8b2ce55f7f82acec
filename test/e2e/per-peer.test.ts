/**
 * One chaincode Deployment per peer, for real (issue 13, item 3): the test-network-k8s pattern, where
 * connection.json's address is `{{.peername}}-<name>.<namespace>.svc.cluster.local:9999` and the ccaas builder
 * fills in each peer's CHAINCODE_AS_A_SERVICE_BUILDER_CONFIG peername. The bed's peers run with peer0org1 and
 * peer0org2; `fabk8s network import` of the bed's organizations/ writes those peer names into fabk8s.yaml, and
 * `fabk8s up` runs Deployment + Service peer0org1-<name> and peer0org2-<name> on the real node. The bed's peers run
 * on the host, where Service names do not resolve, so test/support/cluster-dns.ts stands in for cluster DNS
 * (an /etc/hosts line per Service, its ClusterIP, which the host reaches through kube-proxy).
 *
 * Needs: a Docker engine, the bed's Fabric network and its real node, and a writable /etc/hosts; each missing
 * part is named when the suite skips.
 */
import type {AppsV1Api, CoreV1Api} from '@kubernetes/client-node'

import {expect} from 'chai'
import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {parseDocument} from 'yaml'

import type {DownResult} from '../../src/commands/down.js'
import type {StatusResult} from '../../src/commands/status.js'
import type {UpResult} from '../../src/lib/up/up.js'

import {LABEL_CHAINCODE, LABEL_PEER} from '../../src/lib/kube/manifests.js'
import {type Fabnet, fabnetOrSkip} from '../lib/fabric/fabnet.js'
import {type BedProject, BedProjects} from '../support/bed-project.js'
import {type BedNode, bedNodeOrSkip} from '../support/bed.js'
import {json} from '../support/cli.js'
import {ClusterDns, clusterDnsOrSkip} from '../support/cluster-dns.js'
import {buildNetwork, cleanup, nodeBaseImage, requireDocker} from '../support/docker.js'

const actions = (r: UpResult) => Object.fromEntries(r.steps.map((s) => [s.step, s.action]))

describe('one chaincode Deployment per peer ({{.peername}}) on the real node @integration', function () {
  this.timeout(1_800_000)
  let bed: BedNode
  let net: Fabnet
  let core: CoreV1Api
  let apps: AppsV1Api
  let projects: BedProjects
  let dns: ClusterDns | undefined
  let p: BedProject
  let first: undefined | UpResult
  const images: string[] = []
  let dockerNetwork: string | undefined
  let base: string
  const peernames = ['peer0org1', 'peer0org2']
  const deployment = (peer: string) => `${peer}-${p.name}`

  before(async function () {
    await requireDocker(this)
    net = fabnetOrSkip(this)
    bed = bedNodeOrSkip(this)
    clusterDnsOrSkip(this)

    const k8s = await import('@kubernetes/client-node')
    const kc = new k8s.KubeConfig()
    kc.loadFromFile(bed.kubeconfig)
    core = kc.makeApiClient(k8s.CoreV1Api)
    apps = kc.makeApiClient(k8s.AppsV1Api)
    projects = new BedProjects(bed, net, core, 'pp')
    dockerNetwork = await buildNetwork()
    base = await nodeBaseImage()

    // a scaffold pointed at the bed, then the per-peer address in place of the NodePort one, and the network as
    // `fabk8s network import` reads it from the bed's organizations/ folder (it fills in each peer's peername)
    p = await projects.create('typescript')
    const file = path.join(p.dir, 'fabk8s.yaml')
    const doc = parseDocument(readFileSync(file, 'utf8'))
    doc.setIn(['chaincode', 'address'], `{{.peername}}-${p.name}.${p.namespace}.svc.cluster.local:9999`)
    doc.deleteIn(['chaincode', 'service'])
    doc.delete('network')
    writeFileSync(file, String(doc))
    const organizations = path.join(net.env.FABNET_DIR, 'organizations')
    const imp = await p.fabk8s('network', 'import', organizations, '--channel', net.channel, '--json')
    expect(imp.code, imp.stderr).to.equal(0)
    const section = json<{network: {orgs: {peers: {peername?: string}[]}[]}}>(imp).network
    expect(section.orgs.flatMap((o) => o.peers.map((x) => x.peername))).to.deep.equal(peernames)

    dns = new ClusterDns(core, p.namespace)
    dns.watch()
  })

  after(async () => {
    dns?.clear()
    await projects?.cleanup()
    await cleanup({images})
  })

  async function up(): Promise<UpResult> {
    const args = ['up', '--json', '--timeout', '180s', '--base-image', base]
    if (dockerNetwork) args.push('--docker-network', dockerNetwork)
    const r = await p.fabk8s(...args)
    expect(r.code, `fabk8s up: ${r.stderr}\n${r.stdout}`).to.equal(0)
    const out = json<UpResult>(r)
    if (out.image && !images.includes(out.image)) images.push(out.image)
    return out
  }

  const livePods = async () =>
    (await core.listNamespacedPod({namespace: p.namespace})).items.filter((x) => !x.metadata?.deletionTimestamp)

  it('up: two Deployments and Services named from the address each peer dials, both pods Running on the real node, registered once', async () => {
    first = await up()
    expect(actions(first)).to.deep.include({deploy: 'changed', ready: 'unchanged', register: 'changed'})
    expect(first.ready).to.equal(true)
    expect(first.targets?.map((x) => [x.name, x.peername])).to.deep.equal(peernames.map((x) => [deployment(x), x]))

    const deps = await apps.listNamespacedDeployment({
      labelSelector: `${LABEL_CHAINCODE}=${p.name}`,
      namespace: p.namespace,
    })
    expect(deps.items.map((d) => d.metadata?.name).sort()).to.deep.equal(peernames.map((x) => deployment(x)))
    const svcs = await core.listNamespacedService({namespace: p.namespace})
    expect(svcs.items.map((s) => s.metadata?.name).sort()).to.deep.equal(peernames.map((x) => deployment(x)))

    const pods = await livePods()
    expect(pods, 'one pod per peer name').to.have.length(2)
    for (const peer of peernames) {
      const pod = pods.find((x) => x.metadata?.labels?.[LABEL_PEER] === peer)
      expect(pod, `a pod for ${peer}`).to.not.equal(undefined)
      expect(pod!.spec?.nodeName).to.equal(bed.nodeName)
      expect(pod!.status?.phase).to.equal('Running')
      expect(pod!.status?.conditions?.find((c) => c.type === 'Ready')?.status).to.equal('True')
      // one package for both: the same CHAINCODE_ID in each
      expect(pod!.spec?.containers[0].env).to.deep.include({name: 'CHAINCODE_ID', value: first.packageId})
    }
  })

  it("a real invoke endorsed by both orgs' peers; each peer dials its own Deployment's Service", async function () {
    if (!first) this.skip()
    const put = await p.fabk8s('invoke', 'CreateAsset', 'pp1', 'red', 'carol', '--json')
    expect(put.code, put.stderr).to.equal(0)
    expect(json<{validation: string}>(put).validation).to.equal('VALID')
    for (const org of net.orgs) {
      const get = await p.fabk8s('query', 'ReadAsset', 'pp1', '--org', org.mspId, '--json')
      expect(get.code, get.stderr).to.equal(0)
      expect(JSON.parse(json<{result: string}>(get).result)).to.include({id: 'pp1', owner: 'carol'})
    }

    // what each peer's ccaas builder made of the one package: its own address
    for (const [i, peer] of peernames.entries()) {
      const release = path.join(
        net.env.FABNET_DIR,
        'data',
        `peer${i + 1}`,
        'externalbuilder',
        'builds',
        first!.packageId.replace(':', '-'),
        'release',
        'chaincode',
        'server',
        'connection.json',
      )
      expect(existsSync(release), release).to.equal(true)
      expect(JSON.parse(readFileSync(release, 'utf8')).address).to.equal(
        `${deployment(peer)}.${p.namespace}.svc.cluster.local:9999`,
      )
    }
  })

  it('status lists both Deployments, ready, running the approved package; a second up makes no writes', async function () {
    if (!first) this.skip()
    const st = await p.fabk8s('status', '--json')
    expect(st.code, st.stderr).to.equal(0)
    const s = json<StatusResult>(st)
    expect(s).to.include({found: true, packageId: first!.packageId, packageIdMatches: true, ready: true})
    expect(s.deployments.map((d) => [d.name, d.peername, d.found, d.ready, d.packageIdMatches])).to.deep.equal(
      peernames.map((x) => [deployment(x), x, true, true, true]),
    )
    expect(s.pods).to.have.length(2)

    const again = await up()
    expect(
      Object.values(actions(again)).every((a) => a === 'unchanged' || a === 'skipped'),
      JSON.stringify(again),
    ).to.be.true
  })

  it("without peer0org2's pod, org2's peer cannot reach the chaincode while org1's still answers", async function () {
    if (!first) this.skip()
    await apps.patchNamespacedDeploymentScale(
      {body: {spec: {replicas: 0}}, name: deployment('peer0org2'), namespace: p.namespace},
      (await import('@kubernetes/client-node')).setHeaderOptions('Content-Type', 'application/merge-patch+json'),
    )
    for (let i = 0; i < 60 && (await livePods()).length > 1; i++) await new Promise((r) => setTimeout(r, 1000))
    expect((await livePods()).map((x) => x.metadata?.labels?.[LABEL_PEER])).to.deep.equal(['peer0org1'])

    const org1 = await p.fabk8s('query', 'ReadAsset', 'pp1', '--org', net.orgs[0].mspId, '--json')
    expect(org1.code, org1.stderr).to.equal(0)
    const org2 = await p.fabk8s('query', 'ReadAsset', 'pp1', '--org', net.orgs[1].mspId)
    expect(org2.code, org2.stdout).to.equal(9)
    expect(org2.stderr).to.include(deployment('peer0org2'))
  })

  it('down removes both Deployments and both Services', async function () {
    if (!first) this.skip()
    const r = await p.fabk8s('down', '--yes', '--json')
    expect(r.code, r.stderr).to.equal(0)
    const d = json<DownResult>(r)
    expect(d.deleted.map((x) => `${x.kind}/${x.name}`).sort()).to.deep.equal(
      [
        ...peernames.map((x) => `Deployment/${deployment(x)}`),
        ...peernames.map((x) => `Service/${deployment(x)}`),
      ].sort(),
    )
    for (let i = 0; i < 60 && (await livePods()).length > 0; i++) await new Promise((r2) => setTimeout(r2, 1000))
    expect(await livePods(), 'pods gone').to.have.length(0)
    const deps = await apps.listNamespacedDeployment({namespace: p.namespace})
    expect(deps.items).to.have.length(0)
  })
})
