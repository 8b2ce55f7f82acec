/**
 * Loading into k3d and minikube nodes the way kind nodes are loaded: through the node containers' containerd.
 * Stand-in node containers (Debian's containerd inside) carry each tool's labels and names, and k3d's containerd
 * listens where k3s's does (/run/k3s/containerd/containerd.sock).
 */
import {expect} from 'chai'
import path from 'node:path'

import {FLAVORS} from '../../../src/lib/image/kind.js'
import {normalizeRef} from '../../../src/lib/image/ref.js'
import {loadProject} from '../../../src/lib/project/load.js'
import {
  buildNetwork,
  cleanup,
  kindNodeImage,
  nodeBaseImage,
  nodeImages,
  requireDocker,
  startNodeContainer,
  uniq,
} from '../../support/docker.js'
import {build, load} from '../../support/tasks.js'

const FIXTURE = path.resolve(import.meta.dirname, '..', '..', 'fixtures', 'image')
const K3S_SOCK = '/run/k3s/containerd/containerd.sock'

describe('load into k3d and minikube nodes @integration (real Docker engine, stand-in node containers)', function () {
  this.timeout(600_000)
  const k3d = `c${uniq()}`
  const k3dNodes = {agent: `k3d-${k3d}-agent-0`, lb: `k3d-${k3d}-serverlb`, server: `k3d-${k3d}-server-0`}
  const mk = `mk${uniq()}`
  const mkNodes = [mk, `${mk}-m02`]
  let image: string

  before(async function () {
    await requireDocker(this)
    const [nodeImg, base, network] = await Promise.all([kindNodeImage(), nodeBaseImage(), buildNetwork()])
    await Promise.all([
      startNodeContainer(nodeImg, k3dNodes.server, {'k3d.cluster': k3d, 'k3d.role': 'server'}, K3S_SOCK),
      startNodeContainer(nodeImg, k3dNodes.agent, {'k3d.cluster': k3d, 'k3d.role': 'agent'}, K3S_SOCK),
      // k3d's load balancer runs no kubelet: it must be left alone
      startNodeContainer(nodeImg, k3dNodes.lb, {'k3d.cluster': k3d, 'k3d.role': 'loadbalancer'}, K3S_SOCK),
      ...mkNodes.map((n) => startNodeContainer(nodeImg, n, {'name.minikube.sigs.k8s.io': mk})),
    ])
    image = `fabk8s-test/flavor-${uniq()}:0.1.0`
    await build(await loadProject(path.join(FIXTURE, 'fabk8s.yaml')), {baseImage: base, json: true, network, tag: image})
  })

  after(async () => {
    await cleanup({containers: [...Object.values(k3dNodes), ...mkNodes], images: image ? [image] : []})
  })

  it('k3d: into the server and agent nodes through k3s’s containerd socket (not the load balancer); then skips them', async () => {
    const first = await load({cluster: k3d, flavor: FLAVORS.k3d, image})
    expect(first.nodes.map((n) => [n.name, n.action])).to.deep.equal([
      [k3dNodes.agent, 'loaded'],
      [k3dNodes.server, 'loaded'],
    ])
    const ctr = ['ctr', '--address', K3S_SOCK]
    for (const n of [k3dNodes.server, k3dNodes.agent]) expect(await nodeImages(n, ctr)).to.include(normalizeRef(image))
    expect(await nodeImages(k3dNodes.lb, ctr)).to.deep.equal([])
    const again = await load({cluster: k3d, flavor: FLAVORS.k3d, image})
    expect(again.nodes.every((n) => n.action === 'skipped')).to.equal(true)
  })

  it('minikube: into every node of the profile; then skips them', async () => {
    const first = await load({cluster: mk, flavor: FLAVORS.minikube, image})
    expect(first.nodes.map((n) => [n.name, n.action])).to.deep.equal(mkNodes.map((n) => [n, 'loaded']))
    for (const n of mkNodes) expect(await nodeImages(n)).to.include(normalizeRef(image))
    const again = await load({cluster: mk, flavor: FLAVORS.minikube, image})
    expect(again.nodes.every((n) => n.action === 'skipped')).to.equal(true)
  })

  it('a k3d cluster with no node containers on this engine: exit 6 saying so, with what to do', async () => {
    try {
      await load({cluster: 'nope', flavor: FLAVORS.k3d, image})
      expect.fail('load should fail')
    } catch (error) {
      const e = error as {code: string; hint: string; message: string}
      expect(e.code).to.equal('CLUSTER')
      expect(e.message).to.equal('k3d cluster "nope": no node containers on this Docker engine')
      expect(e.hint).to.include('--registry')
    }
  })
})
