/**
 * `fabk8s deploy`: render the chaincode's manifests from fabk8s.yaml and the package ID (the caller builds the
 * package once and passes its ID in), apply them server-side, and wait for the rollout.
 */

import type {ProjectConfig} from '../project/schema.js'
import type {TaskList} from '../tasks.js'
import type {Applied} from './apply.js'
import type {KubeClients, KubeOptions} from './client.js'
import type {ManagedResource} from './down.js'
import type {ServiceInfo} from './status.js'
import type {ChaincodeTarget} from './targets.js'

import {checkImageFlag} from '../image/ref.js'
import {type Manifest, readTlsFiles, renderManifests, tlsSecretName} from './manifests.js'
import {chaincodeTargets} from './targets.js'

export interface DeployPlan {
  image: string
  manifests: Manifest[]
  namespace: string
  packageId: string
  /** The Deployments (each with its Service): one, or one per peer name. */
  targets: ChaincodeTarget[]
}

/** One Deployment of the set, as deployed. */
export interface DeployedTarget extends ChaincodeTarget {
  /** Its pods are rolled out and ready (as DeployResult.ready). */
  ready: boolean
}

export interface DeployResult {
  /** false when every object was already as rendered (nothing applied changed anything). */
  changed: boolean
  /** The kube context deployed to. */
  context: string
  /** The first Deployment's name (the only one unless chaincode.address uses {{.peername}}); all are in targets. */
  deployment: string
  image: string
  namespace: string
  packageId: string
  /** All pods of this package ID ready (false with --no-wait unless they already were). */
  ready: boolean
  /** Deployments and Services of this chaincode that fabk8s.yaml no longer asks for, deleted (targets.ts). */
  removed: ManagedResource[]
  resources: Applied[]
  /** A new ReplicaSet was rolled out (package ID or image or pod spec changed). */
  rolledOut: boolean
  secret?: string
  /** The first Deployment's Service (as `status` gives it): its name, port and cluster IP. */
  service: ServiceInfo
  /** Every Deployment (with its Service) of the chaincode: one, or one per peer name. */
  targets: DeployedTarget[]
}

export interface DeployOptions extends KubeOptions {
  /** The command the user ran (`fabk8s up`, `fabk8s deploy`), for the error that refuses to replace a dev session's relay. */
  command?: string
  /** --image, instead of fabk8s.yaml image. */
  image?: string
  /** -n/--namespace, instead of fabk8s.yaml kubernetes.namespace. */
  namespace?: string
  /** The package ID the pods run (CHAINCODE_ID): the ID of the package fabk8s.yaml builds. */
  packageId: string
  /** Poll interval of the rollout wait (tests). */
  pollMs?: number
  /** --take-over: replace the relay of a `fabk8s dev` session that is still running (otherwise exit 11). */
  takeOver?: boolean
  timeoutMs: number
  wait: boolean
}

/** The port of the rendered Service `name`. */
function servicePort(manifests: Manifest[], name: string): number | undefined {
  const svc = manifests.find((m) => m.kind === 'Service' && m.metadata.name === name) as
    undefined | {spec?: {ports?: {port?: number}[]}}
  return svc?.spec?.ports?.[0]?.port
}

/** Image, namespace and rendered manifests for a package ID: everything `--dry-run` shows. */
export async function planDeploy(
  project: ProjectConfig,
  opts: {image?: string; namespace?: string; packageId: string},
): Promise<DeployPlan> {
  const image = opts.image ?? project.image
  checkImageFlag(opts.image)
  const namespace = opts.namespace ?? project.kubernetes.namespace
  const {packageId} = opts
  const tls = await readTlsFiles(project)
  const targets = chaincodeTargets(project, namespace)
  return {image, manifests: renderManifests(project, {image, namespace, packageId, tls}), namespace, packageId, targets}
}

/** The deploy's task list, with the clients it deploys with (which context, and how it was chosen). */
export interface DeployTaskList extends TaskList<DeployResult> {
  clients: KubeClients
}

/**
 * The deploy as a task list: apply (namespace, Secret, Service, Deployment), then wait for the rollout (progress:
 * what the rollout waits for). The plan and the kubeconfig are checked before any progress shows.
 */
export async function deployTasks(project: ProjectConfig, opts: DeployOptions): Promise<DeployTaskList> {
  const plan = await planDeploy(project, opts)
  const {connect, requestTimeoutFor} = await import('./client.js')
  const {applyManifest, ensureNamespace} = await import('./apply.js')
  const {deploymentProgress, waitForRollout} = await import('./rollout.js')
  const {name} = project
  const names = plan.targets.map((x) => x.name)
  const shown = names.length === 1 ? `deployment/${names[0]}` : `deployments ${names.join(', ')}`
  // no request waits longer than the rollout may take
  const requestTimeoutMs = opts.requestTimeoutMs ?? requestTimeoutFor(opts.timeoutMs)
  const c = await connect({...opts, namespace: plan.namespace, project, requestTimeoutMs})
  const context = c.kc.currentContext
  // a running `fabk8s dev` session's relay stands in for the pods: replacing it cuts the peers off from that session
  if (!opts.takeOver) {
    const {heldByDev, heldError} = await import('../dev/guard.js')
    const held = await heldByDev(c, plan.namespace, names)
    if (held.length > 0) throw heldError(held, opts.command ?? 'fabk8s deploy')
  }

  const result: DeployResult = {
    changed: false,
    context,
    deployment: names[0],
    image: plan.image,
    namespace: plan.namespace,
    packageId: plan.packageId,
    ready: false,
    removed: [],
    resources: [],
    rolledOut: false,
    secret: project.chaincode.tls.enabled ? tlsSecretName(project) : undefined,
    service: {name: names[0], port: servicePort(plan.manifests, names[0])},
    targets: plan.targets.map((x) => ({...x, ready: false})),
  }
  const settle = () => {
    result.ready = result.targets.every((x) => x.ready)
  }

  const [ns, ...rest] = plan.manifests
  let phase: 'applied' | 'applying' | 'done' | 'waiting' | undefined

  return {
    clients: c,
    interrupted() {
      const applied = result.resources.map((r) => `${r.kind.toLowerCase()}/${r.name}`)
      if (!phase) return 'nothing was applied'
      if (phase === 'applying')
        return applied.length > 0
          ? `applied ${applied.join(', ')}; stopped before the rest was confirmed`
          : 'nothing was applied'
      const what = names.length === 1 ? 'the Deployment was' : `the Deployments ${names.join(', ')} were`
      if (phase === 'waiting') return `${what} applied, rollout not finished`
      return `${what} applied`
    },
    result: () => result,
    tasks: [
      {
        async run(t) {
          phase = 'applying'
          result.resources.push(await ensureNamespace(c, ns))
          for (const m of rest) result.resources.push(await applyManifest(c, m))
          const clusterIP = result.resources.find((r) => r.kind === 'Service' && r.name === names[0])?.clusterIP
          if (clusterIP) result.service = {clusterIP, ...result.service}
          result.removed = await removeStale(c, plan.namespace, name, names)
          phase = 'applied'
          result.changed =
            result.removed.length > 0 ||
            result.resources.some((r) => r.action === 'created' || r.action === 'configured')
          result.rolledOut = result.resources.some((r) => r.rollout)
          const summary = [
            ...result.resources.map((r) => `${r.kind.toLowerCase()}/${r.name} ${r.action}`),
            ...result.removed.map((r) => `${r.kind.toLowerCase()}/${r.name} deleted`),
          ].join(', ')
          t.title = result.changed
            ? `Applied to ${plan.namespace} on ${c.target.server} (context ${context}): ${summary}`
            : `No change in ${plan.namespace} (context ${context}): ${summary}`
          if (!opts.wait) {
            // --no-wait: say how it stands right now, without waiting
            await Promise.all(
              result.targets.map(async (x) => {
                try {
                  const d = await c.apps.readNamespacedDeployment({name: x.name, namespace: plan.namespace})
                  x.ready = deploymentProgress(d).done
                } catch {
                  x.ready = false
                }
              }),
            )
            settle()
            phase = 'done'
          }
        },
        title: `Apply ${name} (${plan.packageId.slice(0, plan.packageId.indexOf(':') + 13)}…) to namespace ${plan.namespace} (context ${context})`,
      },
      {
        enabled: () => opts.wait,
        async run(t) {
          phase = 'waiting'
          // the Deployments roll out side by side; the first failure says which one
          const rs = await Promise.all(
            result.targets.map(async (x) => {
              const r = await waitForRollout(c, {
                chaincode: name,
                image: plan.image,
                name: x.name,
                namespace: plan.namespace,
                onProgress(m) {
                  t.output(names.length === 1 ? m : `${x.name}: ${m}`)
                },
                packageId: plan.packageId,
                pollMs: opts.pollMs,
                signal: t.signal,
                timeoutMs: opts.timeoutMs,
              })
              x.ready = r.ready
              return r
            }),
          )
          settle()
          phase = 'done'
          const available = rs.reduce((n, r) => n + r.available, 0)
          const replicas = rs.reduce((n, r) => n + r.replicas, 0)
          t.title = `Rolled out ${shown}: ${available} of ${replicas} ready`
        },
        title: `Wait for ${shown} (timeout ${Math.round(opts.timeoutMs / 1000)}s)`,
      },
    ],
  }
}

/**
 * Delete the Deployments and Services of this chaincode (by its labels) that are not in `keep`: what an earlier
 * fabk8s.yaml asked for and this one does not (a peer name gone, or the switch between one Deployment for every
 * peer and one per peer name). The TLS Secret stays, as it always has.
 */
export async function removeStale(
  c: KubeClients,
  namespace: string,
  chaincode: string,
  keep: string[],
): Promise<ManagedResource[]> {
  const {deleteManaged, listManaged} = await import('./down.js')
  const stale = (await listManaged(c, namespace, chaincode)).filter(
    (r) => r.kind !== 'Secret' && !keep.includes(r.name),
  )
  return stale.length > 0 ? deleteManaged(c, stale) : []
}
