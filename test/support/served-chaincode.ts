/**
 * A chaincode image answering real transactions through the test bed's Fabric peers: the image runs the way
 * fabk8s's Deployment runs it — the same environment (chaincodeEnv), UID 10001, read-only root filesystem, /tmp
 * as the only writable place, no capabilities — on the host network, at the address connection.json names
 * (127.0.0.1:<free port>), within the Deployment's memory limit. Then `fabk8s register` installs, approves and commits it, through the real CLI.
 */
import {expect} from 'chai'
import {readFile, writeFile} from 'node:fs/promises'
import path from 'node:path'
import YAML from 'yaml'

import type {Fabnet} from '../lib/fabric/fabnet.js'

import {chaincodeEnv, renderManifests} from '../../src/lib/kube/manifests.js'
import {loadProject} from '../../src/lib/project/load.js'
import {networkYaml} from '../lib/fabric/fabnet.js'
import {json, runCli} from './cli.js'
import {dockerCmd, uniq} from './docker.js'
import {freePort, waitForPort} from './net.js'

export interface ServedChaincode {
  container: string
  /** The container's log so far (for failure messages). */
  logs(): Promise<string>
  packageId: string
  stop(): Promise<void>
}

/**
 * Point the project's fabk8s.yaml at the bed (chaincode.port/address on loopback, the network section), package
 * it, run `image` as the Deployment would, wait until it listens, and register it. The caller stops it.
 */
export async function serveOnFabnet(f: Fabnet, dir: string, image: string): Promise<ServedChaincode> {
  const port = await freePort()
  const file = path.join(dir, 'fabk8s.yaml')
  const doc = YAML.parseDocument(await readFile(file, 'utf8'))
  doc.setIn(['chaincode', 'port'], port)
  doc.setIn(['chaincode', 'address'], `127.0.0.1:${port}`)
  doc.set('network', (YAML.parse(networkYaml(f)) as {network: unknown}).network)
  await writeFile(file, doc.toString())

  const pkg = await runCli(['lifecycle', 'package', '-p', dir, '--json', '--output', dir])
  expect(pkg.code, pkg.stderr).to.equal(0)
  const {packageId} = json<{packageId: string}>(pkg)
  const project = await loadProject(file, process.env)
  const env = chaincodeEnv(project, packageId).flatMap(({name, value}) => ['--env', `${name}=${value}`])
  // the Deployment's memory limit too (a JVM that outgrows it is killed in the cluster)
  const deployment = renderManifests(project, {image, namespace: 'x', packageId}).find((m) => m.kind === 'Deployment')!
  const limit = (
    deployment as unknown as {spec: {template: {spec: {containers: {resources: {limits: {memory: string}}}[]}}}}
  ).spec.template.spec.containers[0].resources.limits.memory
  const memory = limit.replace(/Mi$/, 'm').replace(/Gi$/, 'g')
  const container = `fabk8s-served-${uniq()}`
  const run = await dockerCmd([
    'run',
    '--detach',
    '--name',
    container,
    '--network',
    'host',
    '--user',
    '10001:10001',
    '--read-only',
    '--tmpfs',
    '/tmp:rw,mode=1777,size=64m',
    '--memory',
    memory,
    '--cap-drop',
    'ALL',
    '--security-opt',
    'no-new-privileges',
    ...env,
    image,
  ])
  expect(run.code, run.stderr).to.equal(0)
  const logs = async () => {
    const l = await dockerCmd(['logs', '--tail', '60', container])
    return l.stdout + l.stderr
  }

  const stop = async () => {
    await dockerCmd(['rm', '--force', '--volumes', container])
  }

  try {
    await waitForPort(port, {
      alive: async () =>
        (await dockerCmd(['inspect', '--format', '{{.State.Running}}', container])).stdout.trim() === 'true',
      why: logs,
    })
    const reg = await runCli(['register', '-p', dir, '--json'], {timeoutMs: 300_000})
    expect(reg.code, reg.stderr + reg.stdout).to.equal(0)
  } catch (error) {
    await stop()
    throw error
  }

  return {container, logs, packageId, stop}
}

export interface RoundTrip {
  /** A transaction function and its arguments to evaluate after the submit, and the JSON it must return. */
  evaluate: string[]
  /** Optional: an evaluation that must fail with this message (the chaincode's own error text). */
  failing?: {evaluate: string[]; message: RegExp}
  result: unknown
  /** A transaction function and its arguments to submit (endorse, order, commit). */
  submit: string[]
}

/** Submit a transaction through the peers, then evaluate: the chaincode's answer, parsed as JSON, must be `result`. */
export async function assertRoundTrip(dir: string, t: RoundTrip, served?: ServedChaincode): Promise<void> {
  const why = async (r: {stderr: string; stdout: string}) =>
    `${r.stderr}${r.stdout}\n--- chaincode log ---\n${(await served?.logs()) ?? ''}`
  const inv = await runCli(['invoke', '-p', dir, ...t.submit, '--json'])
  expect(inv.code, await why(inv)).to.equal(0)
  const q = await runCli(['query', '-p', dir, ...t.evaluate, '--json'])
  expect(q.code, await why(q)).to.equal(0)
  expect(JSON.parse(json<{result: string}>(q).result)).to.deep.equal(t.result)
  if (t.failing) {
    const bad = await runCli(['query', '-p', dir, ...t.failing.evaluate])
    expect(bad.code, await why(bad)).to.equal(9)
    expect(bad.stderr).to.match(t.failing.message)
  }
}

/** The round trip every fabk8s scaffold answers the same way (CreateAsset, ReadAsset, the missing-asset error). */
export const ASSET_ROUND_TRIP: RoundTrip = {
  evaluate: ['ReadAsset', 'a1'],
  failing: {evaluate: ['ReadAsset', 'nope'], message: /asset nope does not exist/},
  result: {docType: 'asset', id: 'a1', owner: 'alice', value: 'blue'},
  submit: ['CreateAsset', 'a1', 'blue', 'alice'],
}
