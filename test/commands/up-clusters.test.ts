/**
 * `fabk8s up` on the other local clusters: the kube context says k3d (the image is loaded into the k3d node
 * containers' containerd) or Docker Desktop while the Docker engine is another one (a registry is needed).
 * Real Docker engine and build, stand-in k3d node containers, the in-repo kube API server.
 */
import {expect} from 'chai'
import path from 'node:path'

import type {UpResult} from '../../src/lib/up/up.js'

import {json, runCli} from '../support/cli.js'
import {
  cleanup,
  dockerCmd,
  kindNodeImage,
  nodeImages,
  requireDocker,
  startNodeContainer,
  uniq,
} from '../support/docker.js'
import {startUpFixture, type UpFixture} from '../support/up-fixture.js'

const actions = (r: UpResult) => Object.fromEntries(r.steps.map((s) => [s.step, s.action]))
const K3S_SOCK = '/run/k3s/containerd/containerd.sock'

describe('fabk8s up on k3d and Docker Desktop contexts @integration (real Docker engine, stand-in k3d nodes, kube API server)', function () {
  this.timeout(900_000)
  let fx: UpFixture
  const k3d = `k${uniq()}`
  const nodes = [`k3d-${k3d}-server-0`, `k3d-${k3d}-agent-0`]
  const images: string[] = []

  const up = async (context: string, ...extra: string[]) => {
    const kubeconfig = fx.fake.kubeconfig(path.join(fx.dir, `${context}.kubeconfig`), {context})
    const args = ['up', '-p', fx.dir, '--kubeconfig', kubeconfig, '--base-image', fx.base, '--json', '--timeout', '60s']
    if (fx.network) args.push('--docker-network', fx.network)
    const r = await runCli([...args, ...extra])
    expect(r.code, r.stderr + r.stdout).to.equal(0)
    const out = json<UpResult>(r)
    if (out.image) images.push(out.image)
    return out
  }

  before(async function () {
    await requireDocker(this)
    fx = await startUpFixture('upk3d', 'upk3dns')
    const img = await kindNodeImage()
    await Promise.all([
      startNodeContainer(img, nodes[0], {'k3d.cluster': k3d, 'k3d.role': 'server'}, K3S_SOCK),
      startNodeContainer(img, nodes[1], {'k3d.cluster': k3d, 'k3d.role': 'agent'}, K3S_SOCK),
    ])
  })

  after(async () => {
    await cleanup({containers: nodes})
    await fx?.stop(images)
  })

  it('context k3d-<cluster>: --dry-run says k3d; up loads into its nodes through k3s’s containerd; again: unchanged', async () => {
    const plan = await up(`k3d-${k3d}`, '--dry-run')
    expect(plan.cluster).to.include({cluster: k3d, images: 'load', kind: 'k3d'})
    const planned = plan.steps.find((s) => s.step === 'load')?.detail
    expect(planned).to.match(new RegExp(`^would load the new image into \\S+, \\S+ \\(k3d cluster ${k3d}\\)$`))
    for (const n of nodes) expect(planned).to.contain(n)

    const r = await up(`k3d-${k3d}`)
    expect(actions(r)).to.include({build: 'changed', deploy: 'changed', load: 'changed'})
    for (const n of nodes)
      expect(await nodeImages(n, ['ctr', '--address', K3S_SOCK])).to.include(`docker.io/${r.image}`)
    // the kind stand-ins of the fixture (another cluster) got nothing
    for (const n of fx.nodes) expect(await nodeImages(n)).to.not.include(`docker.io/${r.image}`)

    const again = await up(`k3d-${k3d}`)
    expect(actions(again)).to.include({build: 'unchanged', deploy: 'unchanged', load: 'unchanged'})
  })

  it('context docker-desktop on another Docker engine: its images are not shared, so up stops and asks for a registry (exit 6)', async () => {
    // this machine's engine is not Docker Desktop's: `docker info` .Name says which one it is
    const engine = (await dockerCmd(['info', '--format', '{{.Name}}'])).stdout.trim()
    expect(engine).to.not.equal('docker-desktop')
    const kubeconfig = fx.fake.kubeconfig(path.join(fx.dir, 'dd.kubeconfig'), {context: 'docker-desktop'})
    const r = await runCli(['up', '-p', fx.dir, '--kubeconfig', kubeconfig, '--dry-run', '--json'])
    expect(r.code, r.stderr).to.equal(6)
    const e = json<{error: {detail: {cluster: {images: string; kind: string}}; hint: string; message: string}}>(r).error
    expect(e.detail.cluster).to.include({images: 'registry', kind: 'docker-desktop'})
    expect(e.message).to.include(`the Docker engine here is ${engine}, not docker-desktop's`)
    expect(e.hint).to.include('--registry')
  })
})
