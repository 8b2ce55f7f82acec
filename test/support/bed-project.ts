/**
 * Projects on the test bed's real node, shared by the end-to-end tests (test/e2e/loop.test.ts, test/commands/
 * dev.test.ts): `fabk8s init` a scaffold, then point its fabk8s.yaml at the bed the way a user would: the bed's
 * Fabric network, its kind cluster, a NodePort address the host's peers can dial, and a namespace annotated so
 * its pods run on the real node. Everything gets a unique name; `cleanup()` removes namespaces and folders.
 */
import type {CoreV1Api} from '@kubernetes/client-node'

import {expect} from 'chai'
import {readFileSync, rmSync, writeFileSync} from 'node:fs'
import {mkdtemp} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {parseDocument} from 'yaml'

import {type Fabnet, networkYaml} from '../lib/fabric/fabnet.js'
import {type BedNode, NODE_SELECTOR_ANNOTATION, nodePort} from './bed.js'
import {type CliResult, runCli} from './cli.js'
import {uniq} from './docker.js'

export type Language = 'go' | 'java' | 'javascript' | 'typescript'

/** The contract source file of each scaffold. */
export const CONTRACT: Record<Language, string> = {
  go: 'chaincode/asset.go',
  java: 'src/main/java/chaincode/AssetContract.java',
  javascript: 'lib/asset.js',
  typescript: 'src/asset.ts',
}

export interface BedProject {
  /** host:port the peers dial (the node's address and the NodePort). */
  address: string
  dir: string
  /** The environment that points the CLI at the bed's cluster. */
  env: NodeJS.ProcessEnv
  /** Run the CLI in the project, against the bed's cluster. */
  fabk8s(...args: string[]): Promise<CliResult>
  name: string
  namespace: string
  port: number
}

export interface BedProjectOptions {
  clientAuth?: boolean
  /** Also label the namespace to enforce Pod Security "restricted". */
  restricted?: boolean
  tls?: boolean
}

export class BedProjects {
  private readonly dirs: string[] = []
  private readonly namespaces: string[] = []

  constructor(
    private readonly bed: BedNode,
    private readonly net: Fabnet,
    private readonly core: CoreV1Api,
    private readonly prefix = 'e2e',
  ) {}

  async cleanup(): Promise<void> {
    for (const ns of this.namespaces.splice(0)) await this.core.deleteNamespace({name: ns}).catch(() => {})
    for (const d of this.dirs.splice(0)) rmSync(d, {force: true, recursive: true})
  }

  /** `fabk8s init` a project, then point its fabk8s.yaml at the bed: network, kind cluster, NodePort address. */
  async create(language: Language, o: BedProjectOptions = {}): Promise<BedProject> {
    const name = `${this.prefix}-${language.slice(0, 2)}${o.tls ? (o.clientAuth ? 'm' : 't') : ''}-${uniq()}`
    const namespace = `ns-${name}`
    const port = nodePort()
    const parent = await mkdtemp(path.join(tmpdir(), `fabk8s-${this.prefix}-`))
    this.dirs.push(parent)
    const dir = path.join(parent, name)
    const address = `${this.bed.nodeIp}:${port}`
    const init = await runCli([
      'init',
      name,
      '--language',
      language,
      '--namespace',
      namespace,
      '--cluster',
      this.bed.cluster,
      '--channel',
      this.net.channel,
      '--dir',
      dir,
      '--yes',
      ...(o.tls ? ['--tls', '--address', address, '--node-port', String(port)] : []),
    ])
    expect(init.code, init.stderr).to.equal(0)

    // the parts of fabk8s.yaml a user edits for this network: where the peers are, and how they reach the pod
    const file = path.join(dir, 'fabk8s.yaml')
    const doc = parseDocument(readFileSync(file, 'utf8'))
    doc.setIn(['chaincode', 'address'], address)
    doc.setIn(['chaincode', 'service'], doc.createNode({nodePort: port, type: 'NodePort'}))
    if (o.clientAuth) doc.setIn(['chaincode', 'tls'], doc.createNode({clientAuth: true, enabled: true}))
    doc.delete('network')
    writeFileSync(file, String(doc) + networkYaml(this.net))

    // the namespace, annotated so its pods run on the real node (not on the kwok nodes)
    await this.core.createNamespace({
      body: {
        metadata: {
          annotations: {[NODE_SELECTOR_ANNOTATION]: this.bed.selector},
          labels: o.restricted
            ? {
                'pod-security.kubernetes.io/enforce': 'restricted',
                'pod-security.kubernetes.io/enforce-version': 'latest',
              }
            : undefined,
          name: namespace,
        },
      },
    })
    this.namespaces.push(namespace)
    const env = {KUBECONFIG: this.bed.kubeconfig}
    return {
      address,
      dir,
      env,
      fabk8s: (...args) => runCli(args, {cwd: dir, env, timeoutMs: 900_000}),
      name,
      namespace,
      port,
    }
  }
}
