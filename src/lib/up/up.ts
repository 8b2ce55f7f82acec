/**
 * `fabk8s up`: build → load → package → deploy → register → ready, as one listr2 pipeline. Every step first
 * checks, read-only, whether its inputs changed, and does nothing when they did not, so a second `up` with no
 * change makes no Docker, Kubernetes or Fabric writes. Every step is idempotent, so an interrupted run resumes
 * where it stopped when run again.
 */
import type {ListrTask} from 'listr2'

import {setTimeout as sleep} from 'node:timers/promises'

import type {KubeOptions} from '../kube/client.js'
import type {ProjectConfig} from '../project/schema.js'

import {FabError} from '../errors.js'

export const STEPS = ['build', 'load', 'package', 'deploy', 'register', 'ready'] as const
export type StepName = (typeof STEPS)[number]

/** changed: the step did work; unchanged: checked, nothing to do; skipped: --skip or not applicable; planned: --dry-run. */
export type StepAction = 'changed' | 'planned' | 'skipped' | 'unchanged'

export interface StepReport {
  action: StepAction
  detail: string
  seconds: number
  step: StepName
}

export interface UpOptions extends KubeOptions {
  baseImage?: string
  buildArgs?: string[]
  /** kind cluster (default fabk8s.yaml kind.cluster). */
  cluster?: string
  /** `docker build --network` (engines without a bridge). */
  dockerNetwork?: string
  dryRun?: boolean
  json?: boolean
  namespace?: string
  signal?: AbortSignal
  skip?: StepName[]
  /** Rollout and readiness timeout. */
  timeoutMs: number
  verbose?: boolean
}

export interface UpResult {
  dryRun: boolean
  /** The immutable tag deployed: <repository>:<tag>-<12 hex of the image ID>. */
  image?: string
  namespace: string
  packageId: string
  ready: boolean
  seconds: number
  sequence?: number
  steps: StepReport[]
}

export const BUILD_HASH_LABEL = 'fabk8s.io/build-hash'

/** `kv:1.0` + `sha256:0123…` → `kv:1.0-0123456789ab`: a tag that names this build only (kubelet's IfNotPresent is then right). */
export function immutableTag(image: string, id: string): string {
  const hex = id.replace(/^sha256:/, '').slice(0, 12)
  const at = image.lastIndexOf(':')
  const hasTag = at > image.lastIndexOf('/')
  return hasTag ? `${image}-${hex}` : `${image}:${hex}`
}

interface Ctx {
  image?: string
  imageId?: string
  packageId?: string
  ready: boolean
  sequence?: number
  steps: StepReport[]
}

const seconds = (t: bigint) => Math.round(Number(process.hrtime.bigint() - t) / 1e7) / 100

export async function up(project: ProjectConfig, opts: UpOptions): Promise<UpResult> {
  const started = process.hrtime.bigint()
  const skip = new Set(opts.skip ?? [])
  // Load the Kubernetes and Fabric clients (≈0.5 s of module loading) while the build and load checks wait on
  // docker; an import error surfaces again, in context, in the step that needs the module.
  const warm: Promise<unknown>[] = []
  if (!skip.has('deploy'))
    warm.push(import('@kubernetes/client-node'), import('../kube/drift.js'), import('../kube/deploy.js'))
  if (project.network && !(skip.has('register') && skip.has('ready'))) warm.push(import('../fabric/ops.js'))
  for (const w of warm) w.catch(() => {})
  const namespace = opts.namespace ?? project.kubernetes.namespace
  const cluster = opts.cluster ?? project.kind.cluster
  const dry = Boolean(opts.dryRun)
  const aborted = () => {
    if (opts.signal?.aborted)
      throw new FabError('ABORTED', 'interrupted; run `fabk8s up` again to resume (every step is idempotent)')
  }

  /** One pipeline step: check (read-only) → run when needed; reports what it did. */
  const step = (
    name: StepName,
    title: string,
    body: (ctx: Ctx, say: (t: string) => void) => Promise<{action: StepAction; detail: string}>,
  ): ListrTask<Ctx> => ({
    async task(ctx, task) {
      aborted()
      const t = process.hrtime.bigint()
      if (skip.has(name)) {
        ctx.steps.push({action: 'skipped', detail: '--skip', seconds: 0, step: name})
        task.skip(`${title}: skipped (--skip)`)
        return
      }

      const r = await body(ctx, (s) => {
        task.output = s
      })
      ctx.steps.push({...r, seconds: seconds(t), step: name})
      task.title = `${title}: ${r.detail}`
      if (r.action === 'skipped') task.skip(task.title)
    },
    title,
  })

  const tasks: ListrTask<Ctx>[] = [
    step('build', 'Build', async (ctx, say) => {
      const {contextHash} = await import('./context.js')
      const {ensureEngine, inspectImage} = await import('../image/docker.js')
      await ensureEngine()
      const hash = await contextHash(project.dir, {
        baseImage: opts.baseImage,
        buildArgs: (opts.buildArgs ?? []).join('\n'),
        dockerNetwork: opts.dockerNetwork,
      })
      const info = await inspectImage(project.image)
      if (info && info.labels[BUILD_HASH_LABEL] === hash) {
        ctx.imageId = info.id
        ctx.image = await tagImmutable(project.image, info.id, dry)
        return {action: 'unchanged', detail: `${project.image} is built from these sources (${info.id.slice(0, 19)})`}
      }

      const why = info ? 'sources changed since the last build' : `no image ${project.image} yet`
      if (dry) return {action: 'planned', detail: `would build ${project.image}: ${why}`}
      say(`building ${project.image}: ${why}`)
      const {build} = await import('../image/build.js')
      const r = await build(project, {
        baseImage: opts.baseImage,
        buildArgs: opts.buildArgs,
        json: true,
        labels: {[BUILD_HASH_LABEL]: hash},
        network: opts.dockerNetwork,
      })
      ctx.imageId = r.id
      ctx.image = await tagImmutable(project.image, r.id, dry)
      return {action: 'changed', detail: `built ${ctx.image} in ${r.seconds}s (${why})`}
    }),

    step('load', `Load into kind cluster ${cluster}`, async (ctx) => {
      if (!ctx.image || !ctx.imageId) {
        if (skip.has('build'))
          throw new FabError('USAGE', '--skip build: the image to load is unknown; build it once first')
        return {action: 'planned', detail: `would load the new image into the nodes of ${cluster}`}
      }

      const {clusterNodes} = await import('../image/kind.js')
      const {load, nodeImage, sameImage} = await import('../image/load.js')
      const nodes = await clusterNodes(cluster)
      const have = await Promise.all(
        nodes.map(async (n) => sameImage(ctx.imageId!, await nodeImage(n.name, ctx.image!))),
      )
      const missing = nodes.filter((_, i) => !have[i]).map((n) => n.name)
      if (missing.length === 0) return {action: 'unchanged', detail: `all ${nodes.length} node(s) have ${ctx.image}`}
      if (dry) return {action: 'planned', detail: `would load ${ctx.image} into ${missing.join(', ')}`}
      const r = await load({cluster, image: ctx.image, json: true, nodes: missing})
      return {
        action: 'changed',
        detail: `loaded into ${r.nodes.filter((n) => n.action === 'loaded').length} of ${nodes.length} node(s)`,
      }
    }),

    step('package', 'Package', async (ctx) => {
      const {buildPackage} = await import('../fabric/package.js')
      const p = await buildPackage(project)
      ctx.packageId = p.packageId
      return {action: 'unchanged', detail: `package ID ${p.packageId}`}
    }),

    step('deploy', `Deploy to namespace ${namespace}`, async (ctx, say) => {
      if (!ctx.image) {
        if (skip.has('build'))
          throw new FabError('USAGE', '--skip build: the image to deploy is unknown; build it once first')
        return {action: 'planned', detail: 'would deploy the new image'}
      }

      const {deploy, planDeploy} = await import('../kube/deploy.js')
      const {connect} = await import('../kube/client.js')
      const {deployDrift} = await import('../kube/drift.js')
      const plan = await planDeploy(project, {image: ctx.image, namespace})
      const c = await connect({...opts, namespace, project})
      const drift = await deployDrift(c, plan.manifests)
      if (drift.length === 0)
        return {action: 'unchanged', detail: `deployment/${project.name} runs ${ctx.image} with this package ID`}
      if (dry) return {action: 'planned', detail: `would apply: ${drift.join('; ')}`}
      say(drift.join('; '))
      const r = await deploy(project, {
        ...opts,
        image: ctx.image,
        json: true,
        namespace,
        signal: opts.signal,
        timeoutMs: opts.timeoutMs,
        wait: true,
      })
      return {
        action: 'changed',
        detail: `${r.rolledOut ? 'rolled out' : 'applied'} ${ctx.image}; ${r.ready ? 'ready' : 'not ready'}`,
      }
    }),

    step('register', 'Register with Fabric', async (ctx, say) => {
      if (!project.network) return {action: 'skipped', detail: 'no network in fabk8s.yaml'}
      const {register, status} = await import('../fabric/ops.js')
      const s = await status(project)
      ctx.sequence = s.plan.sequence
      const needs = [
        ...s.peers.filter((p) => !p.hasPackage).map((p) => `install on ${p.address}`),
        ...s.orgs.filter((o) => !o.upToDate).map((o) => `approve for ${o.mspId}`),
        ...(s.plan.commit ? [`commit sequence ${s.plan.sequence}`] : []),
      ]
      if (needs.length === 0)
        return {action: 'unchanged', detail: `sequence ${s.plan.sequence} committed on ${s.channel} with this package`}
      if (dry) return {action: 'planned', detail: `would ${needs.join(', ')} (${s.plan.reason})`}
      say(needs.join(', '))
      const r = await register(project, {json: true})
      ctx.sequence = r.sequence
      return {action: 'changed', detail: `sequence ${r.sequence}: ${needs.join(', ')}`}
    }),

    step('ready', 'Chaincode answers', async (ctx, say) => {
      if (!project.network) return {action: 'skipped', detail: 'no network in fabk8s.yaml'}
      if (dry) return {action: 'planned', detail: 'would query org.hyperledger.fabric:GetMetadata at a peer'}
      const {callChaincodeFor} = await import('../fabric/ops.js')
      const deadline = Date.now() + opts.timeoutMs
      let last = ''
      for (let attempt = 1; ; attempt++) {
        aborted()
        try {
          await callChaincodeFor(project, {args: [], fn: 'org.hyperledger.fabric:GetMetadata', submit: false})
          ctx.ready = true
          return {action: 'unchanged', detail: `answered a query${attempt > 1 ? ` (attempt ${attempt})` : ''}`}
        } catch (error) {
          last = (error as Error).message
          if (Date.now() > deadline)
            throw new FabError(
              'ROLLOUT',
              `the chaincode did not answer within ${Math.round(opts.timeoutMs / 1000)}s: ${last}`,
              {
                hint: 'check `fabk8s status` and the chaincode logs; the address in connection.json must reach the chaincode Service',
              },
            )
          say(`waiting: ${last}`)
          await sleep(1000)
        }
      }
    }),
  ]

  const {runTasks} = await import('../ui/tasks.js')
  let ctx: Ctx
  try {
    ctx = await runTasks<Ctx>(
      tasks,
      {ready: false, steps: []},
      {json: opts.json, signal: opts.signal, verbose: opts.verbose},
    )
  } catch (error) {
    if (opts.signal?.aborted)
      throw new FabError('ABORTED', 'interrupted; run `fabk8s up` again to resume (every step is idempotent)')
    throw error
  }

  return {
    dryRun: dry,
    image: ctx.image,
    namespace,
    packageId: ctx.packageId!,
    ready: ctx.ready,
    seconds: seconds(started),
    sequence: ctx.sequence,
    steps: ctx.steps,
  }
}

/** Give the image its immutable tag (a local `docker tag`, only when missing) and return it. */
async function tagImmutable(image: string, id: string, dry: boolean): Promise<string> {
  const tag = immutableTag(image, id)
  const {docker, dockerError, inspectImage} = await import('../image/docker.js')
  const existing = await inspectImage(tag)
  if (existing?.id === id || dry) return tag
  const r = await docker(['tag', id, tag])
  if (r.code !== 0) throw new FabError('DOCKER', `docker tag ${id} ${tag}: ${dockerError(r)}`)
  return tag
}
