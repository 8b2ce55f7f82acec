/**
 * Shared by the kube lib tests and the deploy/status/down command tests: temporary projects, and the two API
 * servers the same scenarios run against: the test bed's real kube-apiserver (FABK8S_TEST_KUBECONFIG) and the
 * in-repo fake (test/support/kube-api-server.ts).
 */
import type {V1Deployment} from '@kubernetes/client-node'
import type {Context} from 'mocha'

import {randomBytes} from 'node:crypto'
import {mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import type {KubeClients} from '../../../src/lib/kube/client.js'
import type {ProjectConfig} from '../../../src/lib/project/schema.js'

import {loadProject} from '../../../src/lib/project/load.js'
import {generateChaincodeTls} from '../../../src/lib/tls/certs.js'
import {FakeKubeApiServer} from '../../support/kube-api-server.js'

export interface ProjectOptions {
  address?: string
  image?: string
  name?: string
  namespace?: string
  /** A network section with one org per name, its peer carrying that peername (per-peer Deployments). */
  peernames?: string[]
  tls?: 'clientAuth' | 'off' | 'on'
  version?: string
}

/** A real set from the init generator, made once per run: fabk8s checks the TLS files it reads (src/lib/project/tls.ts). */
const TLS = await generateChaincodeTls(['kv.fabk8s-test.svc.cluster.local'])

/** A project folder with fabk8s.yaml (and TLS files when asked); returns the folder. */
export function makeProject(dir: string, o: ProjectOptions = {}): string {
  mkdirSync(dir, {recursive: true})
  const lines = [
    `name: ${o.name ?? 'kv'}`,
    `version: "${o.version ?? '1.0.0'}"`,
    `image: ${o.image ?? 'kv-chaincode:1.0.0'}`,
    'kubernetes:',
    `  namespace: ${o.namespace ?? 'fabk8s-test'}`,
    'chaincode:',
    '  port: 9999',
  ]
  if (o.address) lines.push(`  address: ${o.address}`)
  const tls = o.tls ?? 'off'
  if (tls === 'off') lines.push('  tls: false')
  else {
    mkdirSync(path.join(dir, 'tls'), {recursive: true})
    for (const f of ['ca.crt', 'server.crt', 'server.key', 'client.crt', 'client.key'] as const)
      writeFileSync(path.join(dir, 'tls', f), TLS[f])
    lines.push('  tls:', '    enabled: true', `    clientAuth: ${tls === 'clientAuth'}`)
  }

  if (o.peernames)
    lines.push(
      'network:',
      '  orderer: {address: "localhost:7050", tlsCACert: orderer-ca.pem}',
      '  orgs:',
      ...o.peernames.flatMap((n, i) => [
        `    - mspId: Org${i + 1}MSP`,
        `      mspPath: org${i + 1}/msp`,
        `      peers: [{address: "localhost:${7051 + 2000 * i}", tlsCACert: ca.pem, peername: ${n}}]`,
      ]),
    )
  writeFileSync(path.join(dir, 'fabk8s.yaml'), lines.join('\n') + '\n')
  return dir
}

export async function project(dir: string): Promise<ProjectConfig> {
  return loadProject(path.join(dir, 'fabk8s.yaml'))
}

/**
 * Change a live Deployment through the API as kubectl scale / set image / edit do (fabk8s's annotations untouched):
 * read, change, replace; on a conflict (a controller wrote it in between) read again and retry, as client-go's
 * RetryOnConflict does. Returns what the server stored.
 */
export async function editDeployment(
  c: Pick<KubeClients, 'apps'>,
  namespace: string,
  name: string,
  change: (d: V1Deployment) => void,
): Promise<V1Deployment> {
  for (let attempt = 1; ; attempt++) {
    const d = await c.apps.readNamespacedDeployment({name, namespace})
    change(d)
    try {
      return await c.apps.replaceNamespacedDeployment({body: d, name, namespace})
    } catch (error) {
      if ((error as {code?: number}).code !== 409 || attempt >= 10) throw error
    }
  }
}

/** The current-context a kubeconfig file names (what fabk8s takes when nothing else picks one). */
export function currentContext(kubeconfig: string): string {
  const m = /^current-context:\s*"?([^"\s]+)"?\s*$/m.exec(readFileSync(kubeconfig, 'utf8'))
  if (!m) throw new Error(`${kubeconfig} names no current-context`)
  return m[1]
}

/** The line on stderr when the current context stands in for the kind-kind context of a project without one. */
export const currentContextNote = (context: string) =>
  `using current context "${context}" (no context kind-kind in the kubeconfig; set kubernetes.context or pass --context to choose)`

export function tmp(prefix = 'fabk8s-kube-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix))
}

/** An API server the scenarios run against. */
export interface Target {
  /** A kubeconfig with credentials the server rejects (401). */
  badTokenKubeconfig(): string
  /** Only the fake: steer the deployment controller. */
  fake?: FakeKubeApiServer
  /** A kubeconfig of a user without rights in `namespace` (403); undefined when the test bed has none. */
  forbiddenKubeconfig(): string | undefined
  /** The admin kubeconfig. */
  kubeconfig: string
  name: string
  /** Fresh namespace per target. */
  namespace: string
  stop(): Promise<void>
}

export async function fakeTarget(dir: string): Promise<Target> {
  const fake = await new FakeKubeApiServer().start()
  const namespace = 'fabk8s-test'
  return {
    badTokenKubeconfig: () => fake.kubeconfig(path.join(dir, 'bad.kubeconfig'), {token: 'expired-token'}),
    fake,
    forbiddenKubeconfig: () => fake.kubeconfig(path.join(dir, 'viewer.kubeconfig'), {token: 'viewer-token'}),
    kubeconfig: fake.kubeconfig(path.join(dir, 'admin.kubeconfig')),
    name: 'fake API server',
    namespace,
    stop: () => fake.stop(),
  }
}

/** The fake API server, or the test bed's kube-apiserver; when the bed has none, print why and skip. */
export async function targetOrSkip(ctx: Context, kind: 'fake' | 'real', dir: string): Promise<Target> {
  const target = kind === 'fake' ? await fakeTarget(dir) : await realTarget(dir)
  if (typeof target === 'string') {
    console.log(`      skipped: ${target}`)
    ctx.skip()
  }

  return target as Target
}

/** The test bed's kube-apiserver, or the reason there is none. */
export async function realTarget(dir: string): Promise<string | Target> {
  const kc = process.env.FABK8S_TEST_KUBECONFIG
  if (!kc) return 'FABK8S_TEST_KUBECONFIG is not set (run `bash test/bed/bed.sh up kube` and source its env file)'
  const namespace = `fabk8s-t-${randomBytes(3).toString('hex')}`
  const {CoreV1Api, KubeConfig} = await import('@kubernetes/client-node')
  const k = new KubeConfig()
  k.loadFromFile(kc)
  return {
    badTokenKubeconfig() {
      const bad = new KubeConfig()
      bad.loadFromFile(kc)
      const user = bad.getCurrentUser()!
      const file = path.join(dir, 'bad.kubeconfig')
      const cluster = bad.getCurrentCluster()!
      writeFileSync(
        file,
        JSON.stringify({
          apiVersion: 'v1',
          clusters: [
            {
              cluster: {
                'certificate-authority-data': caData(cluster),
                'insecure-skip-tls-verify': cluster.skipTLSVerify || undefined,
                server: cluster.server,
              },
              name: cluster.name,
            },
          ],
          contexts: [{context: {cluster: cluster.name, user: `${user.name}-bad`}, name: 'bad'}],
          'current-context': 'bad',
          kind: 'Config',
          users: [{name: `${user.name}-bad`, user: {token: 'not-a-valid-token'}}],
        }),
      )
      return file
    },
    forbiddenKubeconfig: () => process.env.FABK8S_TEST_KUBECONFIG_NOAUTH || undefined,
    kubeconfig: kc,
    name: 'test-bed kube-apiserver',
    namespace,
    async stop() {
      try {
        await k.makeApiClient(CoreV1Api).deleteNamespace({name: namespace})
      } catch {
        // already gone
      }
    },
  }
}

function caData(cluster: {caData?: string; caFile?: string}): string | undefined {
  if (cluster.caData) return cluster.caData
  if (cluster.caFile) return readFileSync(cluster.caFile).toString('base64')

  return undefined
}

export function cleanup(dir: string): void {
  rmSync(dir, {force: true, recursive: true})
}

type Any = any

/** The Pod Security Standards "restricted" profile (v1.2x+), checked field by field on a pod spec. */
export function pssRestrictedViolations(pod: Any): string[] {
  const v: string[] = []
  const psc = pod.securityContext ?? {}
  for (const vol of pod.volumes ?? []) {
    const types = Object.keys(vol).filter((k) => k !== 'name')
    const allowed = new Set([
      'configMap',
      'csi',
      'downwardAPI',
      'emptyDir',
      'ephemeral',
      'persistentVolumeClaim',
      'projected',
      'secret',
    ])
    for (const t of types) if (!allowed.has(t)) v.push(`volume ${vol.name}: type ${t} not allowed`)
  }

  if (pod.hostNetwork || pod.hostPID || pod.hostIPC) v.push('host namespaces')
  const containers = [...(pod.initContainers ?? []), ...(pod.containers ?? [])]
  for (const c of containers) {
    const sc = c.securityContext ?? {}
    if (sc.privileged) v.push(`${c.name}: privileged`)
    if (sc.allowPrivilegeEscalation !== false) v.push(`${c.name}: allowPrivilegeEscalation must be false`)
    const runAsNonRoot = sc.runAsNonRoot ?? psc.runAsNonRoot
    if (runAsNonRoot !== true) v.push(`${c.name}: runAsNonRoot must be true`)
    if ((sc.runAsUser ?? psc.runAsUser) === 0) v.push(`${c.name}: runAsUser 0`)
    const seccomp = sc.seccompProfile?.type ?? psc.seccompProfile?.type
    if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost')
      v.push(`${c.name}: seccompProfile must be RuntimeDefault or Localhost`)
    const drop: string[] = sc.capabilities?.drop ?? []
    if (!drop.includes('ALL')) v.push(`${c.name}: capabilities must drop ALL`)
    for (const add of sc.capabilities?.add ?? [])
      if (add !== 'NET_BIND_SERVICE') v.push(`${c.name}: adds capability ${add}`)
    for (const p of c.ports ?? []) if (p.hostPort) v.push(`${c.name}: hostPort`)
  }

  return v
}
