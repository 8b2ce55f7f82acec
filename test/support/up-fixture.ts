/**
 * The setting `fabk8s up` runs in for its tests and bench/up: two stand-in kind nodes (containerd in containers)
 * on the real Docker engine, the in-repo kube API server (it records every request), and a copy of the small
 * image fixture project whose fabk8s.yaml points at both. Needs a Docker engine (check dockerUnavailable first).
 */
import {cpSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {ROOT} from './cli.js'
import {buildNetwork, cleanup, kindNodeImage, nodeBaseImage, startKindNode, uniq} from './docker.js'
import {FakeKubeApiServer, type RecordedRequest} from './kube-api-server.js'

export interface UpFixture {
  /** The node base image made locally (the Dockerfile's BASE_IMAGE). */
  base: string
  cluster: string
  dir: string
  fake: FakeKubeApiServer
  /** The project's image tag (fabk8s.yaml image). */
  image: string
  kubeconfig: string
  name: string
  namespace: string
  /** `docker build --network` for engines without a bridge. */
  network?: string
  nodes: string[]
  /** Stop the API server, remove the nodes, these images and the project. */
  stop(images?: string[]): Promise<void>
  /** `fabk8s up` argv for this fixture, with extra arguments. */
  upArgs(...extra: string[]): string[]
  /** Requests other than GET since request number `from`. */
  writes(from: number): RecordedRequest[]
}

export async function startUpFixture(prefix: string, namespace: string): Promise<UpFixture> {
  const cluster = `fabk8s-${prefix}${uniq()}`
  const nodes = [`${cluster}-control-plane`, `${cluster}-worker`]
  const name = `${prefix}${uniq()}`
  const image = `fabk8s-test/${name}:0.1.0`
  const nodeImg = await kindNodeImage()
  const [base, network] = await Promise.all([nodeBaseImage(), buildNetwork()])
  await Promise.all([startKindNode(nodeImg, cluster, nodes[0]), startKindNode(nodeImg, cluster, nodes[1], 'worker')])
  const dir = mkdtempSync(path.join(tmpdir(), `fabk8s-${prefix}-`))
  cpSync(path.join(ROOT, 'test', 'fixtures', 'image'), dir, {recursive: true})
  writeFileSync(
    path.join(dir, 'fabk8s.yaml'),
    [
      `name: ${name}`,
      'version: "0.1.0"',
      `image: ${image}`,
      `kubernetes: {namespace: ${namespace}}`,
      `kind: {cluster: ${cluster}}`,
      '',
    ].join('\n'),
  )
  const fake = await new FakeKubeApiServer().start()
  const kubeconfig = fake.kubeconfig(path.join(dir, 'kubeconfig'))
  return {
    base,
    cluster,
    dir,
    fake,
    image,
    kubeconfig,
    name,
    namespace,
    network,
    nodes,
    async stop(images = []) {
      await fake.stop()
      await cleanup({containers: nodes, images: [...new Set([image, ...images])]})
      rmSync(dir, {force: true, recursive: true})
    },
    upArgs(...extra) {
      const args = ['up', '-p', dir, '--kubeconfig', kubeconfig, '--base-image', base, ...extra]
      if (network) args.push('--docker-network', network)
      return args
    },
    writes: (from) => fake.requests.slice(from).filter((r) => r.method !== 'GET'),
  }
}
