import {expect} from 'chai'
import path from 'node:path'

import {loadProject} from '../../src/lib/project/load.js'
import {json, runCli} from '../support/cli.js'
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
} from '../support/docker.js'
import {build} from '../support/tasks.js'

const FIXTURE = path.resolve(import.meta.dirname, '..', 'fixtures', 'image')

interface LoadJson {
  cluster: string
  id: string
  image: string
  nodes: {action: string; name: string; seconds: number}[]
}

describe('fabk8s load @integration (real Docker engine, containerd stand-in kind nodes)', function () {
  this.timeout(600_000)
  const cluster = `fabk8s-c${uniq()}`
  const nodes = [`${cluster}-control-plane`, `${cluster}-worker`]
  let image: string
  let latest: string

  before(async function () {
    await requireDocker(this)
    const [nodeImg, base, network] = await Promise.all([kindNodeImage(), nodeBaseImage(), buildNetwork()])
    await Promise.all([startKindNode(nodeImg, cluster, nodes[0]), startKindNode(nodeImg, cluster, nodes[1], 'worker')])
    image = `fabk8s-test/imgfix-${uniq()}:0.1.0`
    await build(await loadProject(path.join(FIXTURE, 'fabk8s.yaml')), {
      baseImage: base,
      json: true,
      network,
      tag: image,
    })
    latest = image.replace(/:0\.1\.0$/, ':latest')
    await dockerCmd(['tag', image, latest])
  })

  after(async () => {
    await cleanup({containers: nodes, images: [image, latest].filter(Boolean)})
  })

  it('loads into every node, then skips them all', async () => {
    const first = await runCli(['load', '--cluster', cluster, '--image', image, '--json'])
    expect(first.code, first.stderr).to.equal(0)
    const j = json<LoadJson>(first)
    expect(j.cluster).to.equal(cluster)
    expect(j.nodes).to.deep.equal(
      nodes.map((name) => ({action: 'loaded', name, seconds: j.nodes.find((n) => n.name === name)!.seconds})),
    )
    for (const n of nodes) expect(await nodeImages(n)).to.include(`docker.io/${image}`)

    const second = await runCli(['load', '--cluster', cluster, '--image', image])
    expect(second.code, second.stderr).to.equal(0)
    expect(second.stdout).to.include(`already on ${nodes.join(', ')}`)
    expect(second.stdout).to.not.include('loaded into')
  })

  it('takes the cluster from fabk8s.yaml and lists the clusters that exist when it is not found (exit 6)', async function () {
    const yamlCluster = (await loadProject(path.join(FIXTURE, 'fabk8s.yaml'))).kind.cluster
    if (
      (await dockerCmd(['ps', '-aq', '--filter', `label=io.x-k8s.kind.cluster=${yamlCluster}`])).stdout.trim() !== ''
    ) {
      console.log(`      skipped: a kind cluster "${yamlCluster}" exists on this engine`)
      this.skip()
    }

    const r = await runCli(['load', '-p', FIXTURE, '--image', image, '--json'])
    expect(r.code).to.equal(6)
    const e = json<{error: {code: string; detail: {clusters: string[]}; hint: string; message: string}}>(r).error
    expect(e.code).to.equal('CLUSTER')
    expect(e.message).to.equal(`kind cluster "${yamlCluster}" not found`)
    expect(e.detail.clusters).to.include(cluster)
    expect(e.hint).to.include(cluster)
  })

  it('warns about :latest and recommends an immutable tag', async () => {
    const r = await runCli(['load', '--cluster', cluster, '--image', latest, '--nodes', nodes[0]])
    expect(r.code, r.stderr).to.equal(0)
    expect(r.stderr).to.match(/warning: .*:latest is a :latest tag; kubelet pulls it with imagePullPolicy Always/)
    expect(r.stdout).to.include(`loaded into ${nodes[0]}`)
    expect(await nodeImages(nodes[1])).to.not.include(`docker.io/${latest}`)
  })

  it('says the image is not built (exit 5)', async () => {
    const r = await runCli(['load', '--cluster', cluster, '--image', 'fabk8s-test/never-built:9'])
    expect(r.code).to.equal(5)
    expect(r.stderr).to.include('image fabk8s-test/never-built:9 not found in the local Docker engine')
    expect(r.stderr).to.include('fabk8s build')
  })
})

describe('fabk8s load: bad input, before Docker is asked', () => {
  it('an --image that is not an image reference is a usage error naming the flag (exit 2)', async () => {
    const r = await runCli(['load', '--cluster', 'any', '--image', 'BAD IMAGE', '--json'], {
      env: {DOCKER_HOST: 'unix:///nonexistent/docker.sock'},
    })
    expect(r.code, r.stderr).to.equal(2)
    expect(json<{error: {message: string}}>(r).error.message).to.equal(
      '--image: "BAD IMAGE" is not an image reference like repository:tag',
    )
  })

  it('an empty --nodes (an unset variable) is a usage error naming the flag, not a load into every node', async () => {
    for (const nodes of ['', ' , ']) {
      const r = await runCli(['load', '--cluster', 'any', '--image', 'kv:1.0', '--nodes', nodes, '--json'], {
        env: {DOCKER_HOST: 'unix:///nonexistent/docker.sock'},
      })
      expect(r.code, r.stderr).to.equal(2)
      expect(json<{error: {message: string}}>(r).error.message).to.equal(`--nodes "${nodes}": no node name`)
    }
  })
})
