import {expect} from 'chai'
import {execFile} from 'node:child_process'
import {mkdtempSync, readFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {promisify} from 'node:util'

import {clusterNodes, listClusters} from '../../../src/lib/image/kind.js'
import {criSnapshotter, nodeImage, parseCtrImages, sameImage} from '../../../src/lib/image/load.js'
import {loadProject} from '../../../src/lib/project/load.js'
import {
  buildNetwork,
  cleanup,
  dockerCmd,
  kindNodeImage,
  nodeBaseImage,
  nodeImages,
  requireDocker,
  startKindNode,
  uniq,
} from '../../support/docker.js'
import {build, load} from '../../support/tasks.js'

const FIXTURE = path.resolve(import.meta.dirname, '..', '..', 'fixtures', 'image')

describe('image load (unit)', () => {
  it('parses ctr images ls', () => {
    const text = [
      'REF                              TYPE                                                 DIGEST                                                                  SIZE     PLATFORMS   LABELS',
      'docker.io/library/kv:0.1.0       application/vnd.docker.distribution.manifest.v2+json sha256:' +
        'a'.repeat(64) +
        ' 12.0 MiB linux/amd64 io.cri-containerd.image=managed',
      'sha256:' +
        'b'.repeat(64) +
        ' application/vnd.docker.distribution.manifest.v2+json sha256:' +
        'a'.repeat(64) +
        ' 12.0 MiB linux/amd64 -',
      '',
    ].join('\n')
    const rows = parseCtrImages(text)
    expect(rows.map((r) => r.ref)).to.deep.equal(['docker.io/library/kv:0.1.0', 'sha256:' + 'b'.repeat(64)])
    expect(rows[0].digest).to.equal('sha256:' + 'a'.repeat(64))
  })

  it('finds the CRI snapshotter in containerd 1.x and 2.x config dumps', () => {
    expect(
      criSnapshotter(
        'version = 2\n[plugins]\n  [plugins."io.containerd.grpc.v1.cri".containerd]\n    snapshotter = "overlayfs"\n',
      ),
    ).to.equal('overlayfs')
    expect(criSnapshotter("version = 3\n[plugins.'io.containerd.cri.v1.images']\n  snapshotter = 'native'\n")).to.equal(
      'native',
    )
    expect(criSnapshotter('[plugins."io.containerd.snapshotter.v1.overlayfs"]\n  snapshotter = "x"\n')).to.equal(
      undefined,
    )
  })

  it('compares docker image IDs with every digest naming the image on the node', () => {
    const id = 'sha256:' + 'c'.repeat(64)
    expect(sameImage(id, {digests: ['sha256:' + 'a'.repeat(64), id], ref: 'docker.io/library/kv:1'})).to.equal(true)
    expect(sameImage(id, {digests: ['sha256:' + 'a'.repeat(64)], ref: 'docker.io/library/kv:1'})).to.equal(false)
    expect(sameImage(id)).to.equal(false)
  })
})

describe('image load @integration (real Docker engine, containerd stand-in kind nodes)', function () {
  this.timeout(600_000)
  const cluster = `fabk8s-t${uniq()}`
  const nodes = [`${cluster}-control-plane`, `${cluster}-worker`]
  let image: string
  let id: string
  const cacheHome = mkdtempSync(path.join(tmpdir(), 'fabk8s-cache-'))
  const cacheBefore = process.env.XDG_CACHE_HOME

  before(async function () {
    await requireDocker(this)
    process.env.XDG_CACHE_HOME = cacheHome
    const [nodeImg, base, network] = await Promise.all([kindNodeImage(), nodeBaseImage(), buildNetwork()])
    await Promise.all([startKindNode(nodeImg, cluster, nodes[0]), startKindNode(nodeImg, cluster, nodes[1], 'worker')])
    image = `fabk8s-test/imgfix-${uniq()}:0.1.0`
    const r = await build(await loadProject(path.join(FIXTURE, 'fabk8s.yaml')), {
      baseImage: base,
      json: true,
      network,
      tag: image,
    })
    id = r.id
  })

  after(async () => {
    if (cacheBefore === undefined) delete process.env.XDG_CACHE_HOME
    else process.env.XDG_CACHE_HOME = cacheBefore
    await cleanup({containers: nodes, images: image ? [image] : []})
  })

  it('finds the nodes by kind label and lists the clusters that exist when one is missing', async () => {
    expect((await clusterNodes(cluster)).map((n) => n.name)).to.deep.equal(nodes)
    expect(await listClusters()).to.include(cluster)
    const err = await clusterNodes(`${cluster}-nope`).catch(
      (error: {exitCode: number; hint: string; message: string}) => error,
    )
    expect(err).to.include({exitCode: 6, message: `kind cluster "${cluster}-nope" not found`})
    expect((err as {hint: string}).hint).to.include(cluster)
  })

  it('loads into both nodes, verifies, and skips both the second time', async () => {
    const first = await load({cluster, image, json: true})
    expect(first.id).to.equal(id)
    expect(first.nodes.map((n) => [n.name, n.action])).to.deep.equal(nodes.map((n) => [n, 'loaded']))
    for (const n of nodes) {
      expect(await nodeImages(n)).to.include(`docker.io/${image}`)
      expect(sameImage(id, await nodeImage(n, image))).to.equal(true)
    }

    const second = await load({cluster, image, json: true})
    expect(second.nodes.map((n) => n.action)).to.deep.equal(['skipped', 'skipped'])

    // what the node's manifest digest leads to was cached (content-addressed): it names Docker's image ID
    const cache = JSON.parse(readFileSync(path.join(cacheHome, 'fabk8s', 'image-digests.json'), 'utf8')) as Record<
      string,
      string[]
    >
    const onNode = await nodeImage(nodes[0], image)
    expect(cache[onNode!.digests[0]]).to.include(id)
  })

  it('reloads a node whose image under the same name differs', async () => {
    // put another (tiny) image under the same name on the worker, as after a rebuild with the same tag
    const tiny = `fabk8s-test/tiny-${uniq()}:1`
    const sh = (cmd: string) => promisify(execFile)('bash', ['-o', 'pipefail', '-c', cmd])
    try {
      await sh(`tar -C /etc -cf - hostname | docker import - ${tiny} >/dev/null`)
      await sh(`docker save ${tiny} | docker exec -i ${nodes[1]} ctr -n k8s.io images import -`)
      await sh(`docker exec ${nodes[1]} ctr -n k8s.io images tag --force docker.io/${tiny} docker.io/${image}`)
    } finally {
      await cleanup({images: [tiny]})
    }

    expect(sameImage(id, await nodeImage(nodes[1], image))).to.equal(false)
    const r = await load({cluster, image, json: true})
    expect(r.nodes.map((n) => n.action)).to.deep.equal(['skipped', 'loaded'])
    expect(sameImage(id, await nodeImage(nodes[1], image))).to.equal(true)
  })

  it("asks the node for the image's own name only: names that extend it or differ by a tag do not answer for it", async () => {
    const tiny = `fabk8s-test/tiny-${uniq()}:1`
    const sh = (cmd: string) => promisify(execFile)('bash', ['-o', 'pipefail', '-c', cmd])
    const [repo, tag] = image.split(':')
    try {
      await sh(`tar -C /etc -cf - hostname | docker import - ${tiny} >/dev/null`)
      await sh(`docker save ${tiny} | docker exec -i ${nodes[0]} ctr -n k8s.io images import -`)
      for (const other of [`${image}-x`, `${repo}:${tag}0`, `${repo}x:${tag}`])
        await sh(`docker exec ${nodes[0]} ctr -n k8s.io images tag --force docker.io/${tiny} docker.io/${other}`)
    } finally {
      await cleanup({images: [tiny]})
    }

    expect(await nodeImages(nodes[0])).to.include(`docker.io/${image}-x`)
    const found = await nodeImage(nodes[0], image)
    expect(found?.ref).to.equal(`docker.io/${image}`)
    expect(sameImage(id, found)).to.equal(true)
    expect(await nodeImage(nodes[0], `${image}-y`)).to.equal(undefined)
  })

  it('answers the same through the Engine API and through the docker CLI', async function () {
    const {engineSocket} = await import('../../../src/lib/image/engine.js')
    if (!engineSocket()) {
      console.log('      skipped: DOCKER_HOST is not a unix:// socket here, so only the CLI path runs')
      this.skip()
    }

    const {inspectImage} = await import('../../../src/lib/image/docker.js')
    const ask = async () => ({
      clusters: (await listClusters()).includes(cluster),
      image: await inspectImage(image),
      missing: await inspectImage(`fabk8s-test/none-${uniq()}:1`),
      nodes: await clusterNodes(cluster),
      onNode: await Promise.all(nodes.map((n) => nodeImage(n, image))),
    })
    const api = await ask()
    const before = process.env.FABK8S_DOCKER_API
    process.env.FABK8S_DOCKER_API = '0'
    try {
      expect(await ask()).to.deep.equal(api)
    } finally {
      if (before === undefined) delete process.env.FABK8S_DOCKER_API
      else process.env.FABK8S_DOCKER_API = before
    }

    expect(api.clusters).to.equal(true)
    expect(api.image?.id).to.equal(id)
    expect(api.missing).to.equal(undefined)
    expect(api.nodes.map((n) => [n.name, n.running])).to.deep.equal(nodes.map((n) => [n, true]))
    for (const n of api.onNode) expect(sameImage(id, n)).to.equal(true)
  })

  it('says the image is not built (exit 5) and a stopped node is not running (exit 6)', async () => {
    const missing = await load({cluster, image: `fabk8s-test/none-${uniq()}:1`, json: true}).catch(
      (error: {exitCode: number; message: string}) => error,
    )
    expect(missing).to.have.property('exitCode', 5)
    expect((missing as unknown as Error).message).to.match(
      /^image fabk8s-test\/none-\w+:1 not found in the local Docker engine$/,
    )
    await dockerCmd(['stop', '-t', '1', nodes[1]])
    const stopped = await load({cluster, image, json: true}).catch(
      (error: {exitCode: number; message: string}) => error,
    )
    expect(stopped).to.have.property('exitCode', 6)
    expect((stopped as unknown as Error).message).to.include(`${nodes[1]} not running`)
  })
})
