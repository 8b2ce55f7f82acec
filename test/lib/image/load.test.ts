import {expect} from 'chai'
import {execFile} from 'node:child_process'
import {mkdtempSync, readFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {promisify} from 'node:util'

import {clusterNodes, FLAVORS, listClusters} from '../../../src/lib/image/kind.js'
import {
  choosePrune,
  criSnapshotter,
  nodeImage,
  parseCtrContainers,
  parseCtrImages,
  pruneNode,
  sameImage,
} from '../../../src/lib/image/load.js'
import {immutableTag} from '../../../src/lib/image/tags.js'
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
  startNodeContainer,
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

  it('parses ctr containers ls by its columns: the image of each container, none for a container without one', () => {
    const text = [
      'CONTAINER                                                           IMAGE                                      RUNTIME                  ',
      `${'1'.repeat(64)}    registry.k8s.io/pause:3.9                  io.containerd.runc.v2    `,
      `${'2'.repeat(64)}    docker.io/library/kv:1.0-0123456789ab      io.containerd.runc.v2    `,
      `${'3'.repeat(64)}    sha256:${'4'.repeat(20)}                   io.containerd.runc.v2    `,
      `${'5'.repeat(64)}                                               io.containerd.runc.v2    `,
      `${'6'.repeat(64)}    docker.io/library/kv:1.0-0123456789ab      io.containerd.runc.v2    `,
      '',
    ].join('\n')
    expect(parseCtrContainers(text)).to.deep.equal([
      'registry.k8s.io/pause:3.9',
      'docker.io/library/kv:1.0-0123456789ab',
      `sha256:${'4'.repeat(20)}`,
    ])
    expect(parseCtrContainers('CONTAINER    IMAGE    RUNTIME    \n')).to.deep.equal([])
    expect(parseCtrContainers('')).to.deep.equal([])
  })

  describe('choosePrune: what a node loses after a load', () => {
    const d = (c: string) => `sha256:${c.repeat(64)}`
    const tag = (hex: string) => `docker.io/library/kv:1.0-${hex.repeat(12)}`
    // a build as ctr import and CRI leave it: the tag, import's digest ref and the image ID ref, one target
    const build = (hex: string) => [
      {digest: d(hex), ref: tag(hex)},
      {digest: d(hex), ref: `import-2026-12-07@${d(hex)}`},
      {digest: d(hex), ref: `sha256:${hex.repeat(64).replace(/^./, 'f')}`},
    ]
    const images = [
      ...build('a'),
      ...build('b'),
      ...build('c'),
      ...build('d'),
      ...build('e'),
      {digest: d('1'), ref: 'docker.io/library/kv:1.0'},
      {digest: d('2'), ref: 'docker.io/library/kv:1.0-latest'},
      {digest: d('3'), ref: `docker.io/library/kv:2.0-${'3'.repeat(12)}`},
      {digest: d('4'), ref: `docker.io/library/kv:${'4'.repeat(12)}`},
      {digest: d('5'), ref: `docker.io/acme/kv:1.0-${'5'.repeat(12)}`},
      {digest: d('6'), ref: 'registry.k8s.io/pause:3.9'},
    ]

    it('removes the older build tags of the image, with their unnamed refs; keeps the loaded one and what Docker keeps', () => {
      const r = choosePrune({
        base: 'kv:1.0',
        images,
        inUse: ['registry.k8s.io/pause:3.9'],
        keep: [`kv:1.0-${'c'.repeat(12)}`, `kv:1.0-${'d'.repeat(12)}`, `kv:1.0-${'e'.repeat(12)}`],
        loaded: `kv:1.0-${'e'.repeat(12)}`,
      })
      expect(r.tags).to.deep.equal([tag('a'), tag('b')])
      expect(r.aliases).to.deep.equal([
        `import-2026-12-07@${d('a')}`,
        `sha256:${'a'.repeat(64).replace(/^./, 'f')}`,
        `import-2026-12-07@${d('b')}`,
        `sha256:${'b'.repeat(64).replace(/^./, 'f')}`,
      ])
    })

    it('keeps an image a container uses, by its name or by an unnamed ref of the same image', () => {
      const r = choosePrune({
        base: 'kv:1.0',
        images,
        inUse: [tag('a'), `sha256:${'b'.repeat(64).replace(/^./, 'f')}`],
        keep: [],
        loaded: tag('e'),
      })
      expect(r.tags).to.deep.equal([tag('c'), tag('d')])
      expect(r.aliases).to.not.include(`import-2026-12-07@${d('a')}`)
      expect(r.aliases).to.not.include(`import-2026-12-07@${d('b')}`)
    })

    it('leaves the unnamed refs of an image another name still has, and nothing when there is no older build', () => {
      const shared = [...images, {digest: d('a'), ref: 'docker.io/library/kv:stable'}]
      const r = choosePrune({base: 'kv:1.0', images: shared, inUse: [], keep: [], loaded: tag('e')})
      expect(r.tags).to.deep.equal([tag('a'), tag('b'), tag('c'), tag('d')])
      expect(r.aliases.filter((x) => x.includes('a'.repeat(12)))).to.deep.equal([])
      expect(
        choosePrune({base: 'kv:2.0', images, inUse: [], keep: [], loaded: `kv:2.0-${'3'.repeat(12)}`}),
      ).to.deep.equal({aliases: [], tags: []})
    })

    it('an untagged image: its build tags are <repository>:<12 hex>, not the builds of kv:1.0', () => {
      const r = choosePrune({base: 'kv', images, inUse: [], keep: [], loaded: `kv:${'9'.repeat(12)}`})
      expect(r.tags).to.deep.equal([`docker.io/library/kv:${'4'.repeat(12)}`])
    })
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

describe('image load: older build tags leave a k3d node @integration (containerd on the k3s socket)', function () {
  this.timeout(300_000)
  const cluster = `fabk8s-k${uniq()}`
  const node = `k3d-${cluster}-server-0`
  const image = `fabk8s-test/prune-k3d-${uniq()}:1.0`
  const builds: string[] = []
  const sh = (cmd: string) => promisify(execFile)('bash', ['-o', 'pipefail', '-c', cmd])
  const ctr = FLAVORS.k3d.ctr.join(' ')

  before(async function () {
    await requireDocker(this)
    await startNodeContainer(
      await kindNodeImage(),
      node,
      {'k3d.cluster': cluster, 'k3d.role': 'server'},
      '/run/k3s/containerd/containerd.sock',
    )
    for (let i = 0; i < 3; i++) {
      const {stdout} = await sh(
        `echo ${image} ${i} > /tmp/${cluster}-n && tar -C /tmp -cf - ${cluster}-n | docker import -`,
      )
      builds.push(immutableTag(image, stdout.trim()))
      await sh(`docker tag ${stdout.trim()} ${builds[i]}`)
    }
  })

  after(async () => {
    await cleanup({containers: [node], images: builds})
    await sh(`rm -f /tmp/${cluster}-n`)
  })

  it('loads through the k3s socket and removes the build Docker no longer has, not the one a container uses', async () => {
    for (const b of builds.slice(0, 2)) await load({cluster, flavor: FLAVORS.k3d, image: b})
    await sh(`docker exec ${node} ${ctr} -n k8s.io containers create docker.io/${builds[1]} c1 /n`)
    await sh(`docker rmi ${builds[0]} ${builds[1]}`)
    const r = await load({cluster, flavor: FLAVORS.k3d, image: builds[2]})
    expect(r.nodes).to.have.length(1)
    expect(r.nodes[0]).to.deep.include({action: 'loaded', pruned: [`docker.io/${builds[0]}`]})
    const left = await nodeImages(node, FLAVORS.k3d.ctr)
    expect(left).to.include.members([`docker.io/${builds[1]}`, `docker.io/${builds[2]}`])
    expect(left).to.not.include(`docker.io/${builds[0]}`)
  })

  it('best effort: a node whose images cannot be listed is reported, not an error', async () => {
    // a ctr the node does not have: listing fails at once
    const r = await pruneNode(node, {base: image, keep: [], loaded: builds[2]}, ['no-such-ctr'])
    expect(r.pruned).to.deep.equal([])
    expect(r.errors).to.have.length(1)
    expect(r.errors[0]).to.match(/^could not list its images and containers: /)
  })
})
