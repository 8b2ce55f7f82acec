/**
 * `fabk8s deploy`: render the chaincode's manifests from fabk8s.yaml and the deterministic package ID, apply them
 * server-side, and wait for the rollout.
 */

import type {Applied} from './apply.js'
import type {KubeOptions} from './client.js'

import {FabError} from '../errors.js'
import {buildPackage} from '../fabric/package.js'
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
  /** --json: no progress output. */
  json?: boolean
  /** -n/--namespace, instead of fabk8s.yaml kubernetes.namespace. */
  namespace?: string
  /** Poll interval of the rollout wait (tests). */
  pollMs?: number
  signal?: AbortSignal
  timeoutMs: number
  verbose?: boolean
  wait: boolean
}

/** Package ID (deterministic package), image and rendered manifests: everything `--dry-run` shows. */
export async function planDeploy(
  project: ProjectConfig,
  opts: {image?: string; namespace?: string} = {},
): Promise<DeployPlan> {
  const image = opts.image ?? project.image
  if (opts.image !== undefined && !IMAGE_RE.test(opts.image))
    throw new FabError('USAGE', `--image: "${opts.image}" is not an image reference like repository:tag`)
  const namespace = opts.namespace ?? project.kubernetes.namespace
  const {packageId} = await buildPackage(project)
  const tls = await readTlsFiles(project)
  return {image, manifests: renderManifests(project, {image, namespace, packageId, tls}), namespace, packageId}
}

/** Apply the plan and (with wait) wait for the rollout, with listr2 progress on stderr. */
export async function deploy(project: ProjectConfig, opts: DeployOptions): Promise<DeployResult> {
  const plan = await planDeploy(project, opts)
  const {connect} = await import('./client.js')
  const {applyManifest, ensureNamespace} = await import('./apply.js')
  const {waitForRollout} = await import('./rollout.js')
  const {runTasks} = await import('../ui/tasks.js')
  const {name} = project
  const c = await connect({...opts, namespace: plan.namespace, project})
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
  const ctx = {}
  // listr prints a failed task's message on its line; keep that line short and throw the full error once, after it
  let failure: unknown
  const guard =
    <A extends unknown[]>(fn: (...a: A) => Promise<void>) =>
    async (...a: A) => {
      try {
        await fn(...a)
      } catch (error) {
        failure = error
        const reason = (error as {detail?: {reason?: string}}).detail?.reason
        throw new Error(reason ?? 'failed')
      }
    }

  await runTasks(
    [
      {
        task: guard(async (_, task) => {
          result.resources.push(await ensureNamespace(c, ns))
          for (const m of rest) result.resources.push(await applyManifest(c, m))
          result.changed = result.resources.some((r) => r.action === 'created' || r.action === 'configured')
          result.rolledOut = result.resources.some((r) => r.rollout)
          const summary = result.resources.map((r) => `${r.kind.toLowerCase()}/${r.name} ${r.action}`).join(', ')
          task.title = result.changed
            ? `Applied to ${plan.namespace} on ${c.target.server}: ${summary}`
            : `No change in ${plan.namespace}: ${summary}`
        }),
        title: `Apply ${name} (${plan.packageId.slice(0, plan.packageId.indexOf(':') + 13)}…) to namespace ${plan.namespace}`,
      },
      {
        enabled: () => opts.wait,
        task: guard(async (_, task) => {
          const r = await waitForRollout(c, {
            image: plan.image,
            name,
            namespace: plan.namespace,
            onProgress(m) {
              task.output = m
            },
            packageId: plan.packageId,
            pollMs: opts.pollMs,
            signal: opts.signal,
            timeoutMs: opts.timeoutMs,
          })
          result.ready = r.ready
          task.title = `Rolled out deployment/${name}: ${r.available} of ${r.replicas} ready`
        }),
        title: `Wait for deployment/${name} (timeout ${Math.round(opts.timeoutMs / 1000)}s)`,
      },
    ],
    ctx,
    {json: opts.json, signal: opts.signal, verbose: opts.verbose},
  ).catch((error) => {
    throw failure ?? error
  })
  if (!opts.wait) {
    // --no-wait: say how it stands right now, without waiting
    const {deploymentProgress} = await import('./rollout.js')
    try {
      const d = await c.apps.readNamespacedDeployment({name, namespace: plan.namespace})
      result.ready = deploymentProgress(d).done
    } catch {
      result.ready = false
    }
  }

  return result
}

/** "2m", "90s", "1h", "500ms" or a plain number of seconds → milliseconds. */
export function parseTimeout(s: string, flag = '--timeout'): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(s.trim())
  if (!m) throw new FabError('USAGE', `${flag}: "${s}" is not a duration (e.g. 90s, 2m, 120)`)
  const n = Number(m[1])
  const unit = m[2] ?? 's'
  const ms = unit === 'ms' ? n : unit === 's' ? n * 1000 : unit === 'm' ? n * 60_000 : n * 3_600_000
  if (ms <= 0) throw new FabError('USAGE', `${flag}: must be more than 0`)
  return ms
}
