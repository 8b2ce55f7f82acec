/**
 * `fabk8s deploy`: render the chaincode's manifests from fabk8s.yaml and the package ID (the caller builds the
 * package once and passes its ID in), apply them server-side, and wait for the rollout.
 */

import type {TaskList} from '../tasks.js'
import type {Applied} from './apply.js'
import type {KubeOptions} from './client.js'

import {FabError} from '../errors.js'
import {IMAGE_RE, type ProjectConfig} from '../project/schema.js'
import {type Manifest, readTlsFiles, renderManifests, tlsSecretName} from './manifests.js'

export interface DeployPlan {
  image: string
  manifests: Manifest[]
  namespace: string
  packageId: string
}

export interface DeployResult {
  /** false when every object was already as rendered (nothing applied changed anything). */
  changed: boolean
  deployment: string
  image: string
  namespace: string
  packageId: string
  /** All pods of this package ID ready (false with --no-wait unless they already were). */
  ready: boolean
  resources: Applied[]
  /** A new ReplicaSet was rolled out (package ID or image or pod spec changed). */
  rolledOut: boolean
  secret?: string
  service: string
}

export interface DeployOptions extends KubeOptions {
  /** --image, instead of fabk8s.yaml image. */
  image?: string
  /** -n/--namespace, instead of fabk8s.yaml kubernetes.namespace. */
  namespace?: string
  /** The package ID the pods run (CHAINCODE_ID): the ID of the package fabk8s.yaml builds. */
  packageId: string
  /** Poll interval of the rollout wait (tests). */
  pollMs?: number
  timeoutMs: number
  wait: boolean
}

/** Image, namespace and rendered manifests for a package ID: everything `--dry-run` shows. */
export async function planDeploy(
  project: ProjectConfig,
  opts: {image?: string; namespace?: string; packageId: string},
): Promise<DeployPlan> {
  const image = opts.image ?? project.image
  if (opts.image !== undefined && !IMAGE_RE.test(opts.image))
    throw new FabError('USAGE', `--image: "${opts.image}" is not an image reference like repository:tag`)
  const namespace = opts.namespace ?? project.kubernetes.namespace
  const {packageId} = opts
  const tls = await readTlsFiles(project)
  return {image, manifests: renderManifests(project, {image, namespace, packageId, tls}), namespace, packageId}
}

/**
 * The deploy as a task list: apply (namespace, Secret, Service, Deployment), then wait for the rollout (progress:
 * what the rollout waits for). The plan and the kubeconfig are checked before any progress shows.
 */
export async function deployTasks(project: ProjectConfig, opts: DeployOptions): Promise<TaskList<DeployResult>> {
  const plan = await planDeploy(project, opts)
  const {connect, requestTimeoutFor} = await import('./client.js')
  const {applyManifest, ensureNamespace} = await import('./apply.js')
  const {deploymentProgress, waitForRollout} = await import('./rollout.js')
  const {name} = project
  // no request waits longer than the rollout may take
  const requestTimeoutMs = opts.requestTimeoutMs ?? requestTimeoutFor(opts.timeoutMs)
  const c = await connect({...opts, namespace: plan.namespace, project, requestTimeoutMs})
  const result: DeployResult = {
    changed: false,
    deployment: name,
    image: plan.image,
    namespace: plan.namespace,
    packageId: plan.packageId,
    ready: false,
    resources: [],
    rolledOut: false,
    secret: project.chaincode.tls.enabled ? tlsSecretName(project) : undefined,
    service: name,
  }
  const [ns, ...rest] = plan.manifests
  let phase: 'applied' | 'applying' | 'done' | 'waiting' | undefined

  return {
    interrupted() {
      const applied = result.resources.map((r) => `${r.kind.toLowerCase()}/${r.name}`)
      if (!phase) return 'nothing was applied'
      if (phase === 'applying')
        return applied.length > 0
          ? `applied ${applied.join(', ')}; stopped before the rest was confirmed`
          : 'nothing was applied'
      if (phase === 'waiting') return 'the Deployment was applied, rollout not finished'
      return 'the Deployment was applied'
    },
    result: () => result,
    tasks: [
      {
        async run(t) {
          phase = 'applying'
          result.resources.push(await ensureNamespace(c, ns))
          for (const m of rest) result.resources.push(await applyManifest(c, m))
          phase = 'applied'
          result.changed = result.resources.some((r) => r.action === 'created' || r.action === 'configured')
          result.rolledOut = result.resources.some((r) => r.rollout)
          const summary = result.resources.map((r) => `${r.kind.toLowerCase()}/${r.name} ${r.action}`).join(', ')
          t.title = result.changed
            ? `Applied to ${plan.namespace} on ${c.target.server}: ${summary}`
            : `No change in ${plan.namespace}: ${summary}`
          if (!opts.wait) {
            // --no-wait: say how it stands right now, without waiting
            try {
              const d = await c.apps.readNamespacedDeployment({name, namespace: plan.namespace})
              result.ready = deploymentProgress(d).done
            } catch {
              result.ready = false
            }

            phase = 'done'
          }
        },
        title: `Apply ${name} (${plan.packageId.slice(0, plan.packageId.indexOf(':') + 13)}…) to namespace ${plan.namespace}`,
      },
      {
        enabled: () => opts.wait,
        async run(t) {
          phase = 'waiting'
          const r = await waitForRollout(c, {
            image: plan.image,
            name,
            namespace: plan.namespace,
            onProgress(m) {
              t.output(m)
            },
            packageId: plan.packageId,
            pollMs: opts.pollMs,
            signal: t.signal,
            timeoutMs: opts.timeoutMs,
          })
          result.ready = r.ready
          phase = 'done'
          t.title = `Rolled out deployment/${name}: ${r.available} of ${r.replicas} ready`
        },
        title: `Wait for deployment/${name} (timeout ${Math.round(opts.timeoutMs / 1000)}s)`,
      },
    ],
  }
}
