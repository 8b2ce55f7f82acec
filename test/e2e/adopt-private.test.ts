/**
 * An adopted private data chaincode, for real: the shape of fabric-samples' asset-transfer-private-data (contracts
 * in a sub-package, collections_config.json, the text in transient data, and a write allowed only through a peer of
 * the client's own org: shim.GetMSPID() against the client's MSP ID), as test/fixtures/adopt/go-private has it.
 * `fabk8s adopt` → fabk8s.yaml with its collections, one chaincode pod per peer ({{.peername}}, so each pod knows
 * its peer's org), a one-org endorsement policy, `fabk8s up` on the bed's real node and Fabric network, then a
 * write through each org's peer and reads from both.
 *
 * Needs: a Docker engine, the bed's Fabric network and its real node, and a writable /etc/hosts (the bed's peers
 * resolve the per-peer Service names through test/support/cluster-dns.ts); each missing part is named when it skips.
 */
import type {CoreV1Api} from '@kubernetes/client-node'

import {expect} from 'chai'
import {cp, mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {parseDocument} from 'yaml'

import type {AdoptResult} from '../../src/commands/adopt.js'
import type {UpResult} from '../../src/lib/up/up.js'

import {type Fabnet, fabnetOrSkip} from '../lib/fabric/fabnet.js'
import {type BedNode, bedNodeOrSkip, NODE_SELECTOR_ANNOTATION} from '../support/bed.js'
import {json, ROOT, runCli} from '../support/cli.js'
import {ClusterDns, clusterDnsOrSkip} from '../support/cluster-dns.js'
import {buildNetwork, cleanup, goBaseImage, requireDocker, uniq} from '../support/docker.js'

describe('an adopted private data chaincode, one pod per peer, on the real node @integration', function () {
  this.timeout(1_800_000)
  let bed: BedNode
  let net: Fabnet
  let core: CoreV1Api
  let dns: ClusterDns | undefined
  let parent: string | undefined
  let dir: string
  let up: undefined | UpResult
  const name = `adpd-${uniq()}`
  const namespace = `ns-${name}`
  const images: string[] = []
  const fabk8s = (...args: string[]) => runCli(args, {cwd: dir, env: {KUBECONFIG: bed.kubeconfig}, timeoutMs: 900_000})

  before(async function () {
    await requireDocker(this)
    net = fabnetOrSkip(this)
    bed = bedNodeOrSkip(this)
    clusterDnsOrSkip(this)

    const k8s = await import('@kubernetes/client-node')
    const kc = new k8s.KubeConfig()
    kc.loadFromFile(bed.kubeconfig)
    core = kc.makeApiClient(k8s.CoreV1Api)

    parent = await mkdtemp(path.join(tmpdir(), 'fabk8s-adpd-'))
    dir = path.join(parent, name)
    await cp(path.join(ROOT, 'test', 'fixtures', 'adopt', 'go-private'), dir, {recursive: true})
    const adopted = await fabk8s(
      'adopt',
      '--namespace',
      namespace,
      '--cluster',
      bed.cluster,
      '--channel',
      net.channel,
      '--json',
    )
    expect(adopted.code, adopted.stderr).to.equal(0)
    expect(json<AdoptResult>(adopted).notes.join('\n')).to.match(/private data collections of collections_config\.json/)

    // what the user edits: one pod per peer, and a policy one org satisfies (the write is allowed only through a
    // peer of the client's own org, so the other org's peer must not be asked); the network as `network import`
    // reads it from the bed's organizations/ folder (with each peer's peername)
    const file = path.join(dir, 'fabk8s.yaml')
    const doc = parseDocument(await readFile(file, 'utf8'))
    doc.setIn(['chaincode', 'address'], `{{.peername}}-${name}.${namespace}.svc.cluster.local:9999`)
    doc.setIn(['definition', 'signaturePolicy'], `OR(${net.orgs.map((o) => `'${o.mspId}.peer'`).join(',')})`)
    await writeFile(file, String(doc))
    const imp = await fabk8s(
      'network',
      'import',
      path.join(net.env.FABNET_DIR, 'organizations'),
      '--channel',
      net.channel,
      '--json',
    )
    expect(imp.code, imp.stderr).to.equal(0)

    await core.createNamespace({
      body: {metadata: {annotations: {[NODE_SELECTOR_ANNOTATION]: bed.selector}, name: namespace}},
    })
    dns = new ClusterDns(core, namespace)
    dns.watch()
  })

  after(async () => {
    dns?.clear()
    if (core) await core.deleteNamespace({name: namespace}).catch(() => {})
    if (parent) await rm(parent, {force: true, recursive: true})
    await cleanup({images})
  })

  it('up defines it with its collections and gives each pod the MSP ID of the org whose peer dials it', async () => {
    const network = await buildNetwork()
    const args = ['up', '--json', '--timeout', '300s', '--base-image', await goBaseImage()]
    if (network) args.push('--docker-network', network)
    const r = await fabk8s(...args)
    expect(r.code, `fabk8s up: ${r.stderr}\n${r.stdout}`).to.equal(0)
    up = json<UpResult>(r)
    if (up.image) images.push(up.image)
    expect(up.ready).to.equal(true)
    const pods = (await core.listNamespacedPod({namespace})).items.filter((x) => !x.metadata?.deletionTimestamp)
    const mspOf = Object.fromEntries(
      pods.map((x) => [
        x.metadata?.name?.split(`-${name}`)[0],
        x.spec?.containers[0].env?.find((e) => e.name === 'CORE_PEER_LOCALMSPID')?.value,
      ]),
    )
    expect(mspOf).to.deep.equal({peer0org1: 'Org1MSP', peer0org2: 'Org2MSP'})
  })

  it("a write through each org's own peer, with the text in transient data, is read back from both orgs", async function () {
    if (!up) this.skip()
    for (const [i, org] of net.orgs.entries()) {
      const put = await fabk8s(
        'invoke',
        'WriteNote',
        `n${i}`,
        '--org',
        org.mspId,
        '--transient',
        JSON.stringify({note: `from ${org.mspId}`}),
        '--json',
      )
      expect(put.code, put.stderr).to.equal(0)
      expect(json<{validation: string}>(put).validation).to.equal('VALID')
    }

    for (const [i, writer] of net.orgs.entries())
      for (const reader of net.orgs) {
        const get = await fabk8s('query', 'ReadNote', `n${i}`, '--org', reader.mspId, '--json')
        expect(get.code, get.stderr).to.equal(0)
        expect(json<{result: string}>(get).result).to.equal(`from ${writer.mspId}`)
      }

    // no collection, no note: the contract's own answer, not "collection … could not be found"
    const missing = await fabk8s('query', 'ReadNote', 'nope')
    expect(missing.code).to.equal(9)
    expect(missing.stderr).to.match(/no note nope/)
  })
})
