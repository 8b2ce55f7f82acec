import {expect} from 'chai'
import {readdirSync, readFileSync} from 'node:fs'
import path from 'node:path'

import {describeCluster, detectCluster, nodeShape} from '../../../src/lib/kube/cluster.js'
import {ROOT} from '../../support/cli.js'

const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'cluster')

interface Fixture {
  context: string
  expect: {cluster?: string; images: string; kind: string; runtime?: string}
  nodes: {items: Parameters<typeof nodeShape>[0][]}
}

const load = (f: string) => JSON.parse(readFileSync(path.join(FIXTURES, f), 'utf8')) as Fixture

describe('cluster detection: which cluster, and how images reach it', () => {
  const files = readdirSync(FIXTURES).filter((f) => f.endsWith('.json'))

  it('has a fixture for every kind of cluster', () => {
    const kinds = new Set(files.map((f) => load(f).expect.kind))
    expect([...kinds].sort()).to.deep.equal(['docker-desktop', 'k3d', 'kind', 'minikube', 'rancher-desktop', 'remote'])
  })

  for (const f of files)
    describe(f.replace(/\.json$/, ''), () => {
      const fx = load(f)
      const nodes = fx.nodes.items.map((n) => nodeShape(n))

      it('from the context and the nodes', () => {
        const d = detectCluster({context: fx.context, nodes})
        expect(d).to.include(fx.expect)
        if (!fx.expect.cluster) expect(d.cluster).to.equal(undefined)
        expect(d.context).to.equal(fx.context)
      })

      it('from the nodes alone (a context named otherwise)', () => {
        const d = detectCluster({context: 'renamed', nodes})
        // kind, k3d and minikube nodes name their cluster; Docker/Rancher Desktop nodes have one fixed name
        expect(d.kind).to.equal(fx.expect.kind)
        if (fx.expect.cluster) expect(d.cluster).to.equal(fx.expect.cluster)
      })

      it('from the context alone (the node list could not be read)', () => {
        const d = detectCluster({context: fx.context, nodes: []})
        if (f === 'minikube-profile.json') expect(d.kind).to.equal('remote') // a profile's context is just its name
        else expect(d.kind).to.equal(fx.expect.kind)
      })
    })

  it("the test bed's node: context kind-<cluster>, a node without kind's providerID → kind, that cluster", () => {
    const d = detectCluster({
      context: 'kind-fabk8s-bed',
      nodes: [{labels: {'kubernetes.io/hostname': 'fabk8s-node', type: 'real'}, name: 'fabk8s-node'}],
    })
    expect(d).to.include({cluster: 'fabk8s-bed', images: 'load', kind: 'kind'})
  })

  it('an unknown context is kind when the Docker engine runs the kind cluster fabk8s.yaml names, else remote', () => {
    const shape = {context: 'fake', nodes: [{name: 'node-a'}]}
    expect(detectCluster({...shape, engineKindClusters: ['other', 'dev'], kindCluster: 'dev'})).to.include({
      cluster: 'dev',
      kind: 'kind',
    })
    const remote = detectCluster({...shape, engineKindClusters: ['other'], kindCluster: 'dev'})
    expect(remote).to.include({images: 'registry', kind: 'remote'})
    expect(remote.why).to.include('context fake').and.include('node-a')
  })

  it("Rancher Desktop: dockerd (moby) shares Docker's images; its containerd engine does not, so a registry is needed", () => {
    const node = (runtime: string) => [{name: 'lima-rancher-desktop', providerID: 'k3s://lima-rancher-desktop', runtime}]
    expect(detectCluster({context: 'rancher-desktop', nodes: node('docker://24.0.7')})).to.include({
      images: 'shared',
      kind: 'rancher-desktop',
    })
    const ctrd = detectCluster({context: 'rancher-desktop', nodes: node('containerd://1.7.17')})
    expect(ctrd).to.include({images: 'registry', kind: 'rancher-desktop'})
    expect(ctrd.why).to.include('containerd engine')
  })

  it("Docker/Rancher Desktop share images only with their own Docker engine (docker info .Name)", () => {
    const dd = {context: 'docker-desktop', nodes: [{name: 'docker-desktop'}]}
    expect(detectCluster({...dd, engineName: 'docker-desktop'})).to.include({images: 'shared'})
    const other = detectCluster({...dd, engineName: 'build-box'})
    expect(other).to.include({images: 'registry', kind: 'docker-desktop'})
    expect(other.why).to.include("the Docker engine here is build-box, not docker-desktop's")
    const rd = {context: 'rancher-desktop', nodes: [{name: 'lima-rancher-desktop'}]}
    expect(detectCluster({...rd, engineName: 'lima-rancher-desktop'})).to.include({images: 'shared'})
    expect(detectCluster({...rd, engineName: 'docker-desktop'})).to.include({images: 'registry'})
  })

  it('node evidence wins over a misleading context name', () => {
    const d = detectCluster({context: 'kind-old', nodes: [{name: 'k3d-x-server-0', providerID: 'k3s://k3d-x-server-0'}]})
    expect(d).to.include({cluster: 'x', kind: 'k3d'})
  })

  it('describes each outcome in one line', () => {
    expect(describeCluster(detectCluster({context: 'kind-dev', nodes: []}))).to.match(/^kind cluster dev .*loaded into its nodes/)
    expect(describeCluster(detectCluster({context: 'docker-desktop', nodes: []}))).to.match(/nothing to load/)
    expect(describeCluster(detectCluster({context: 'prod', nodes: []}))).to.match(/^a remote cluster .*registry/)
  })
})
