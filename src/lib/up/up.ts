/**
 * `fabk8s up`: build → load → package → deploy → register → ready, as one task list. Every step first checks,
 * read-only, whether its inputs changed, and does nothing when they did not, so a second `up` with no change makes
 * no Docker, Kubernetes or Fabric writes. A step that has work to do runs the same task list as the command of
 * that name (build, load, deploy, register) as its subtasks, so `up` shows what those commands show. Every step
 * is idempotent, so an interrupted run resumes where it stopped when run again. The package is built once, in
 * the package step, and its ID handed to deploy and register.
 */
import type {HeldDeployment} from '../dev/guard.js'
import type {PackageRef} from '../fabric/package-file.js'
import type {StatusResult} from '../fabric/status.js'
import type {ImageInfo} from '../image/docker.js'
import type {KubeClients, KubeOptions} from '../kube/client.js'
import type {DetectedCluster} from '../kube/cluster.js'
import type {planDeploy} from '../kube/deploy.js'
import type {ProjectConfig} from '../project/schema.js'
import type {Task, TaskHandle, TaskList} from '../tasks.js'

import {secondsSince} from '../duration.js'
import {FabError} from '../errors.js'
import {BUILD_HASH_LABEL, buildInputsHash, immutableTag, tagImmutable} from '../image/tags.js'
import {type ChaincodeTarget, chaincodeTargets} from '../kube/targets.js'

/** `load` (local clusters) and `push` (registry mode) are alternatives: a run has one of them. */
export const STEPS = ['build', 'load', 'push', 'package', 'deploy', 'register', 'ready'] as const
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
  namespace?: string
  /** Registry mode (--registry, default fabk8s.yaml image.registry): push there, deploy by digest. */
  registry?: string
  skip?: StepName[]
  /** --take-over: replace the relay of a `fabk8s dev` session that is still running (otherwise exit 11). */
  takeOver?: boolean
  /** Rollout and readiness timeout. */
  timeoutMs: number
  /** The build streams every log line (as `fabk8s build --verbose`). */
  verbose?: boolean
}

export interface UpResult {
  /** What the cluster is and how images reach it (detected in the load step). */
  cluster?: DetectedCluster
  /** The kube context acted on (set once a step has read the cluster). */
  context?: string
  dryRun: boolean
  /** What the pods run: the immutable tag <repository>:<tag>-<12 hex of the image ID>, or in registry mode the pushed repository@sha256:… */
  image?: string
  namespace: string
  packageId: string
  ready: boolean
  /** Registry mode: the registry pushed to. */
  registry?: string
  seconds: number
  sequence?: number
  steps: StepReport[]
  /** The chaincode's Deployments (each with its Service): one, or one per peer name; set once deploy planned them. */
  targets?: ChaincodeTarget[]
}

/** Wait `ms`, or less when the signal aborts; the listener goes when the wait ends (one wait per retry). */
const abortable = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(t)
      signal.removeEventListener('abort', done)
      resolve()
    }

    const t = setTimeout(done, ms)
    signal.addEventListener('abort', done, {once: true})
  })

/** What up says next when the peers cannot reach the chaincode (errmap's REACH_NEXT tells invoke and query to run up). */
export const UP_REACH_NEXT = 'is it running? `fabk8s status` shows its pods, and why one is not ready'

type NodeFlavorName = 'k3d' | 'kind' | 'minikube'

/** What load's read-only check found: the cluster's node containers, and those without the image. */
interface NodesCheck {
  cluster: string
  flavorName: NodeFlavorName
  missing: string[]
  nodes: {name: string}[]
}

/** What deploy's read-only check found: what differs in the cluster from what would be applied. */
interface DeployCheck {
  drift: string[]
  k: KubeOptions & {namespace: string}
  names: string[]
  plan: Awaited<ReturnType<typeof planDeploy>>
}

/** up's task list, and the Kubernetes clients its steps made (which context, and how it was chosen), if any. */
export interface UpTaskList extends TaskList<UpResult> {
  clients(): KubeClients | undefined
}

export function upTasks(project: ProjectConfig, opts: UpOptions): UpTaskList {
  const started = process.hrtime.bigint()
  const skip = new Set(opts.skip ?? [])
  // the package step gives deploy (CHAINCODE_ID) and register (install, approve) their package ID
  const needPackage: string[] = []
  if (!skip.has('deploy')) needPackage.push('deploy')
  if (project.network && !skip.has('register')) needPackage.push('register')
  if (skip.has('package') && needPackage.length > 0)
    throw new FabError(
      'USAGE',
      `--skip package: ${needPackage.join(' and ')} need${needPackage.length === 1 ? 's' : ''} its package ID`,
      {hint: `add ${needPackage.map((x) => `--skip ${x}`).join(' ')}, or leave the package step in`},
    )
  // Load the Kubernetes and Fabric clients (≈0.5 s of module loading) while the build and load checks wait on
  // docker; an import error surfaces again, in context, in the step that needs the module.
  const warm: Promise<unknown>[] = []
  if (!skip.has('deploy'))
    warm.push(
      import('../kube/lib.js').then((m) => m.kubeLib()),
      import('../kube/drift.js'),
      import('../kube/deploy.js'),
    )
  if (project.network && !(skip.has('register') && skip.has('ready')))
    warm.push(import('../fabric/status.js'), import('../fabric/register.js'), import('../fabric/call.js'))
  for (const w of warm) w.catch(() => {})
  const namespace = opts.namespace ?? project.kubernetes.namespace
  // an address in another namespace than the one deployed to (exit 2) is known now, not after the build and load
  if (!skip.has('deploy')) chaincodeTargets(project, namespace)
  const dry = Boolean(opts.dryRun)
  const registry = opts.registry ?? project.imagePull?.registry
  const kube = async () => {
    const {requestTimeoutFor} = await import('../kube/client.js')
    return {...opts, namespace, project, requestTimeoutMs: opts.requestTimeoutMs ?? requestTimeoutFor(opts.timeoutMs)}
  }

  /** The read-only steps' Kubernetes clients (load's or push's cluster check, deploy's check): made once. */
  let clients: ReturnType<typeof connectKube> | undefined
  /** Those clients once made. */
  let connected: KubeClients | undefined
  const connectKube = async () => {
    const {connect} = await import('../kube/client.js')
    connected = await connect(await kube())
    return connected
  }

  /** Where deploy acts: the namespace, and the context once the clients are made. */
  const where = () => `in namespace ${namespace}${connected ? ` (context ${connected.kc.currentContext})` : ''}`

  const kubeClients = () => {
    clients ??= connectKube()
    return clients
  }

  let image: string | undefined
  let imageId: string | undefined

  /**
   * The read-only checks of package, load (the nodes), deploy and register start as soon as their inputs are known,
   * so that they run while the build and load steps wait on Docker and the API server; each step awaits its own (an
   * error shows in that step, as before). Deploy's and register's do not depend on what load does (it changes no
   * Kubernetes object and no Fabric state), and load's and deploy's are made for the image the build step settled
   * on. They run once each: a step that then has work to do acts on what its check found, as it did when it checked
   * itself.
   */
  const early = {
    deploy: new Map<string, Promise<DeployCheck>>(),
    /** The chaincode's Deployments that a `fabk8s dev` session still running holds (up refuses before the build). */
    dev: undefined as Promise<HeldDeployment[]> | undefined,
    /** The project's image as Docker has it at the start: the one the build step keeps when nothing changed. */
    image: undefined as Promise<ImageInfo | undefined> | undefined,
    /** Load's node check, and the image it is made for. */
    load: undefined as undefined | {check: Promise<NodesCheck>; id: string; image: string},
    package: undefined as Promise<PackageRef> | undefined,
    register: undefined as Promise<StatusResult> | undefined,
  }
  const packageCheck = async () => {
    const {resolvePackage} = await import('../fabric/package-file.js')
    return resolvePackage(project)
  }

  const registerCheck = async () => {
    const {lifecycleStatus} = await import('../fabric/status.js')
    return lifecycleStatus(project, (await early.package!).packageId)
  }

  const deployCheck = async (target: string): Promise<DeployCheck> => {
    const {planDeploy} = await import('../kube/deploy.js')
    const {deployDrift, staleDrift} = await import('../kube/drift.js')
    const k = await kube()
    const plan = await planDeploy(project, {image: target, namespace, packageId: (await early.package!).packageId})
    const c = await kubeClients()
    const names = plan.targets.map((x) => x.name)
    const drift = [...(await deployDrift(c, plan.manifests)), ...(await staleDrift(c, namespace, project.name, names))]
    return {drift, k, names, plan}
  }

  /** Start (once) what a step will check; a failure is left for the step that awaits it. */
  const start = <T>(p: Promise<T>): Promise<T> => {
    p.catch(() => {})
    return p
  }

  /**
   * The nodes of a cluster and what each holds under the image's name (the image is set once, by the build step).
   */
  const nodesCheck = async (cluster: string, flavorName: NodeFlavorName, img: string, id: string) => {
    const {clusterNodes, FLAVORS} = await import('../image/kind.js')
    const {nodeImage, sameImage} = await import('../image/load.js')
    const flavor = FLAVORS[flavorName]
    const nodes = await clusterNodes(cluster, undefined, flavor)
    const have = await Promise.all(nodes.map(async (n) => sameImage(id, await nodeImage(n.name, img, flavor))))
    return {cluster, flavorName, missing: nodes.filter((_, i) => !have[i]).map((n) => n.name), nodes}
  }

  /**
   * An image is known: load's node check starts for it, on fabk8s.yaml's kind cluster (or --cluster), while the load
   * step asks the API server what the cluster is (it uses the check only when that is the cluster and the image is the
   * one the build step settled on, and asks again otherwise); deploy's check starts for the image.
   */
  const imageKnown = (img: string, id: string) => {
    if (registry) return
    if (!skip.has('load') && (early.load?.image !== img || early.load.id !== id))
      early.load = {check: start(nodesCheck(opts.cluster ?? project.kind.cluster, 'kind', img, id)), id, image: img}
    if (early.package && !skip.has('deploy')) checkDeploy(img)
  }

  const checkDeploy = (target: string) => {
    let p = early.deploy.get(target)
    if (!p) early.deploy.set(target, (p = start(deployCheck(target))))
    return p
  }

  if (!skip.has('package')) {
    early.package = start(packageCheck())
    if (project.network && !skip.has('register')) early.register = start(registerCheck())
  }

  // a running `fabk8s dev` session's relay is refused before the build, not after it (deploy's own check stays: a
  // session may start meanwhile); --dry-run says so in its deploy step. An error reading the cluster is the deploy
  // step's to report.
  if (!skip.has('deploy') && !opts.takeOver)
    early.dev = (async () => {
      const {heldByDev} = await import('../dev/guard.js')
      const names = chaincodeTargets(project, namespace).map((x) => x.name)
      return heldByDev(await kubeClients(), namespace, names)
    })().catch(() => [])

  // The image the build step keeps when the sources are unchanged is the one Docker has under the project's name now:
  // load's and deploy's checks start for it at once, so that the node check's exec (the longest wait of a no-op run)
  // runs while the build step hashes the sources. When the build step settles on another image, they start again.
  if (!skip.has('build')) {
    early.image = start(import('../image/docker.js').then((m) => m.inspectImage(project.image)))
    early.image.then((info) => info && imageKnown(immutableTag(project.image, info.id), info.id)).catch(() => {})
  }

  /** What deploy runs: `image`, or in registry mode the pushed digest. */
  let runs: string | undefined
  let detected: DetectedCluster | undefined
  let pkg: PackageRef | undefined
  let ready = false
  let sequence: number | undefined
  let targets: ChaincodeTarget[] | undefined
  const steps: StepReport[] = []
  let current: StepName | undefined
  let nested: TaskList<unknown> | undefined

  /** Run a command's task list as the subtasks of this step; an interruption then says what state it left. */
  const nest = async <R>(t: TaskHandle, list: TaskList<R>): Promise<R> => {
    nested = list
    const r = await t.run(list)
    nested = undefined
    return r
  }

  /**
   * One pipeline step: check (read-only) → run when needed; reports what it did, after its title (or after `done`, when
   * the detail says what the title says, and more).
   */
  const step = (
    name: StepName,
    title: string | {done: string; title: string},
    body: (t: TaskHandle) => Promise<{action: StepAction; detail: string}>,
  ): Task & {step: StepName} => ({
    async run(t) {
      const t0 = process.hrtime.bigint()
      if (skip.has(name)) {
        steps.push({action: 'skipped', detail: '--skip', seconds: 0, step: name})
        t.skip(`${typeof title === 'string' ? title : title.title}: skipped (--skip)`)
        return
      }

      current = name
      const r = await body(t)
      current = undefined
      steps.push({...r, seconds: secondsSince(t0), step: name})
      t.title = `${typeof title === 'string' ? title : title.done}: ${r.detail}`
      if (r.action === 'skipped') t.skip(t.title)
    },
    step: name,
    title: typeof title === 'string' ? title : title.title,
  })

  const all = [
    step('build', 'Build', async (t) => {
      // an API server answers in milliseconds: one that does not holds up no build (deploy checks again, and reports it)
      let timer: NodeJS.Timeout | undefined
      const held = await Promise.race([
        early.dev,
        new Promise<HeldDeployment[]>((resolve) => {
          timer = setTimeout(() => resolve([]), 2000)
        }),
      ]).finally(() => clearTimeout(timer))
      if (held && held.length > 0 && !dry) throw (await import('../dev/guard.js')).heldError(held, 'fabk8s up')
      const {engineAnswers, inspectImage} = await import('../image/docker.js')
      await engineAnswers()
      const hash = await buildInputsHash(project, {
        baseImage: opts.baseImage,
        buildArgs: opts.buildArgs,
        network: opts.dockerNetwork,
      })
      const info = await (early.image ?? inspectImage(project.image))
      if (info && info.labels[BUILD_HASH_LABEL] === hash) {
        imageId = info.id
        image = await tagImmutable(project.image, info.id, dry)
        imageKnown(image, imageId)
        return {action: 'unchanged', detail: `${project.image} is built from these sources (${info.id.slice(0, 19)})`}
      }

      const why = info ? 'sources changed since the last build' : `no image ${project.image} yet`
      // the package's inputs (fabk8s.yaml's chaincode TLS files, the label) are checked before a build that may take
      // minutes: a bad one fails now, with the package step's error
      await early.package
      if (dry) return {action: 'planned', detail: `would build ${project.image}: ${why}`}
      t.output(`building ${project.image}: ${why}`)
      const {buildTasks} = await import('../image/build.js')
      const r = await nest(
        t,
        buildTasks(project, {
          baseImage: opts.baseImage,
          buildArgs: opts.buildArgs,
          labels: {[BUILD_HASH_LABEL]: hash},
          network: opts.dockerNetwork,
          verbose: opts.verbose,
        }),
      )
      imageId = r.id
      // the project's own build comes tagged already
      image = r.buildTag ?? (await tagImmutable(project.image, r.id, dry))
      imageKnown(image, imageId)
      const pruned = r.pruned ? `; removed ${r.pruned.length} older build tag(s)` : ''
      return {action: 'changed', detail: `built ${image} in ${r.seconds}s (${why})${pruned}`}
    }),

    step(
      'load',
      opts.cluster ? `Load into kind cluster ${opts.cluster}` : "Load into the cluster's nodes",
      async (t) => {
        // which cluster this is decides how the image arrives (read-only: context, node list, Docker's kind clusters)
        const {describeCluster, readCluster} = await import('../kube/cluster.js')
        detected = opts.cluster
          ? {cluster: opts.cluster, images: 'load', kind: 'kind', why: '--cluster'}
          : await readCluster(await kubeClients(), project.kind.cluster)
        const what = describeCluster(detected)
        t.output(what)
        if (detected.images === 'shared') return {action: 'skipped', detail: what}
        if (detected.images === 'registry')
          throw new FabError(
            'CLUSTER',
            detected.kind === 'remote'
              ? `context ${detected.context ?? '(current)'} is a remote cluster: its nodes cannot see images built here, and no registry is set`
              : `${detected.kind} (${detected.why}) cannot see images built here, and no registry is set`,
            {
              detail: {cluster: detected},
              hint: 'push through a registry: `fabk8s up --registry REGISTRY[/PATH]` or image.registry in fabk8s.yaml (and `docker login REGISTRY`)',
            },
          )
        if (detected.kind === 'minikube' && detected.runtime?.startsWith('docker'))
          throw new FabError(
            'CLUSTER',
            `minikube cluster ${detected.cluster} runs the docker runtime: fabk8s loads into containerd`,
            {
              detail: {cluster: detected},
              hint: `run \`minikube image load ${image ?? project.image} -p ${detected.cluster}\` and \`fabk8s up --skip load\`, start minikube with --container-runtime=containerd, or use --registry`,
            },
          )
        const cluster = detected.cluster ?? project.kind.cluster
        const {clusterNodes, FLAVORS} = await import('../image/kind.js')
        if (!image || !imageId) {
          if (skip.has('build'))
            throw new FabError('USAGE', '--skip build: the image to load is unknown; build it once first')
          // the plan names the nodes it would load into (read-only); a cluster that is not there fails now, as the
          // run would once the build is done
          const nodes = await clusterNodes(cluster, undefined, FLAVORS[detected.kind as NodeFlavorName])
          return {
            action: 'planned',
            detail: `would load the new image into ${nodes.map((n) => n.name).join(', ')} (${detected.kind} cluster ${cluster})`,
          }
        }

        const {loadTasks} = await import('../image/load.js')
        const flavorName = detected.kind as NodeFlavorName
        const flavor = FLAVORS[flavorName]
        const ahead =
          early.load?.image === image && early.load.id === imageId ? await early.load.check.catch(() => {}) : undefined
        const {missing, nodes} =
          ahead && ahead.cluster === cluster && ahead.flavorName === flavorName
            ? ahead
            : await nodesCheck(cluster, flavorName, image, imageId)
        if (missing.length === 0) return {action: 'unchanged', detail: `all ${nodes.length} node(s) have ${image}`}
        if (dry) return {action: 'planned', detail: `would load ${image} into ${missing.join(', ')}`}
        const r = await nest(t, await loadTasks({cluster, flavor, image, nodes: missing}))
        const pruned = r.nodes.reduce((sum, n) => sum + n.pruned.length, 0)
        const left = r.nodes.flatMap((n) => n.pruneErrors ?? [])
        return {
          action: 'changed',
          detail:
            `loaded into ${r.nodes.filter((n) => n.action === 'loaded').length} of ${nodes.length} node(s)` +
            (pruned > 0 ? `; removed ${pruned} older build tag(s) from the nodes` : '') +
            (left.length > 0 ? `; ${left.join('; ')}` : ''),
        }
      },
    ),

    step('push', `Push to ${registry}`, async (t) => {
      // say what the cluster is here too (read-only; any cluster pulls from a registry, so nothing depends on it)
      const {readCluster} = await import('../kube/cluster.js')
      try {
        detected = await readCluster(await kubeClients(), project.kind.cluster)
      } catch {
        detected = undefined // a kubeconfig problem shows in the deploy step, where it matters
      }

      if (!image || !imageId) {
        if (skip.has('build'))
          throw new FabError('USAGE', '--skip build: the image to push is unknown; build it once first')
        return {action: 'planned', detail: `would push the new image to ${registry}`}
      }

      const {inspectImage} = await import('../image/docker.js')
      const {knownDigest, manifestExists, pushTasks, remoteRef} = await import('../image/registry.js')
      const ref = remoteRef(image, registry!)
      const info = await inspectImage(imageId)
      const known = info && knownDigest(info, ref)
      let why = `${registry} does not have this image yet`
      if (known) {
        const has = await manifestExists(known, {signal: t.signal})
        if ('exists' in has && has.exists) {
          runs = known
          return {action: 'unchanged', detail: `${registry} has ${known}`}
        }

        if ('reason' in has) {
          why = `cannot check ${known}: ${has.reason}`
          t.output(why)
        } else why = `${registry} no longer has ${known}`
      }

      if (dry) return {action: 'planned', detail: `would push ${ref} (${why})`}
      const r = await nest(t, pushTasks(imageId, ref, {verbose: opts.verbose}))
      runs = r.digest
      return {action: 'changed', detail: `pushed ${r.digest} (${why})`}
    }),

    step('package', 'Package', async () => {
      pkg = await early.package!
      return {action: 'unchanged', detail: `package ID ${pkg.packageId}`}
    }),

    step('deploy', {done: 'Deploy', title: `Deploy to namespace ${namespace}`}, async (t) => {
      const held = dry ? await early.dev : undefined
      if (held && held.length > 0) {
        const {heldError} = await import('../dev/guard.js')
        return {action: 'planned', detail: `would stop (exit 11): ${heldError(held, 'fabk8s up').message}`}
      }

      const target = registry ? runs : image
      if (!target) {
        if (skip.has('build'))
          throw new FabError('USAGE', '--skip build: the image to deploy is unknown; build it once first')
        return {action: 'planned', detail: `would deploy the new image ${where()}`}
      }

      const {deployTasks} = await import('../kube/deploy.js')
      const {drift, k, names, plan} = await checkDeploy(target)
      targets = plan.targets
      const shown = names.length === 1 ? `deployment/${names[0]} runs` : `deployments ${names.join(', ')} run`
      if (drift.length === 0) return {action: 'unchanged', detail: `${shown} ${target} with this package ID ${where()}`}
      if (dry) return {action: 'planned', detail: `would apply ${where()}: ${drift.join('; ')}`}
      t.output(drift.join('; '))
      const r = await nest(
        t,
        await deployTasks(project, {
          ...k,
          command: 'fabk8s up',
          image: target,
          packageId: pkg!.packageId,
          takeOver: opts.takeOver,
          timeoutMs: opts.timeoutMs,
          wait: true,
        }),
      )
      return {
        action: 'changed',
        detail: `${r.rolledOut ? 'rolled out' : 'applied'} ${target}${names.length === 1 ? '' : ` to ${names.join(', ')}`} in namespace ${r.namespace} (context ${r.context}); ${r.ready ? 'ready' : 'not ready'}`,
      }
    }),

    step('register', 'Register with Fabric', async (t) => {
      if (!project.network) return {action: 'skipped', detail: 'no network in fabk8s.yaml'}
      const {registerTasks} = await import('../fabric/register.js')
      const s = await (early.register ?? registerCheck())
      sequence = s.plan.sequence
      const needs = [
        ...s.peers.filter((p) => !p.hasPackage).map((p) => `install on ${p.address}`),
        ...s.orgs.filter((o) => !o.upToDate).map((o) => `approve for ${o.mspId}`),
        ...(s.plan.commit ? [`commit sequence ${s.plan.sequence}`] : []),
      ]
      if (needs.length === 0)
        return {action: 'unchanged', detail: `sequence ${s.plan.sequence} committed on ${s.channel} with this package`}
      if (dry) return {action: 'planned', detail: `would ${needs.join(', ')} (${s.plan.reason})`}
      t.output(needs.join(', '))
      const r = await nest(t, registerTasks(project, pkg!))
      sequence = r.sequence
      return {action: 'changed', detail: `sequence ${r.sequence}: ${needs.join(', ')}`}
    }),

    step('ready', 'Chaincode answers', async (t) => {
      if (!project.network) return {action: 'skipped', detail: 'no network in fabk8s.yaml'}
      if (dry) return {action: 'planned', detail: 'would query org.hyperledger.fabric:GetMetadata at a peer'}
      const {callChaincodeFor} = await import('../fabric/call.js')
      const deadline = Date.now() + opts.timeoutMs
      let said = ''
      for (let attempt = 1; ; attempt++) {
        try {
          await callChaincodeFor(project, {
            args: [],
            fn: 'org.hyperledger.fabric:GetMetadata',
            submit: false,
            // a peer that waits for the chaincode holds the call: never past our own deadline
            timeoutMs: Math.min(60_000, Math.max(1000, deadline - Date.now())),
          })
          ready = true
          return {action: 'unchanged', detail: `answered a query${attempt > 1 ? ` (attempt ${attempt})` : ''}`}
        } catch (error_) {
          // "start it with `fabk8s up`" makes no sense in up itself
          const {withReachNext} = await import('../fabric/errmap.js')
          const error = withReachNext(error_, UP_REACH_NEXT)
          // the peers' error is ≈ 1.5 KB per peer and the same on every retry: errmap says it in one plain line
          // (the raw text in detail.raw); say it once, and the raw text only with --verbose
          const e = error as FabError
          const raw = (e.detail?.raw as string | undefined) ?? e.message
          const why = e.message.split('\n')[0]
          if (why !== said) {
            t.output(`waiting: ${why}`)
            if (opts.verbose) t.output(raw)
            said = why
          }

          if (Date.now() >= deadline)
            throw new FabError(
              'ROLLOUT',
              `the chaincode did not answer within ${Math.round(opts.timeoutMs / 1000)}s: ${why}`,
              {
                cause: error,
                detail: e.detail ?? {raw},
                hint:
                  e.hint ??
                  'check `fabk8s status` and the chaincode logs; the address in connection.json must reach the chaincode Service',
              },
            )
          await abortable(1000, t.signal)
        }
      }
    }),
  ]

  // the image reaches the cluster one way: loaded into the nodes, or pushed to the registry
  const tasks: Task[] = all.filter((x) => x.step !== (registry ? 'load' : 'push'))
  return {
    clients: () => connected,
    interrupted() {
      const done = steps.filter((s) => s.action !== 'skipped').map((s) => s.step)
      // a step only checks (read-only) until it runs a command's task list
      const state = nested ? (nested.interrupted?.() ?? 'stopped part-way') : 'nothing changed in this step'
      const now = current ? `${current} interrupted: ${state}` : 'stopped between steps'
      return `${done.length > 0 ? `${done.join(', ')} done; ` : ''}${now}`
    },
    result: () => ({
      ...(detected ? {cluster: detected} : {}),
      ...(connected ? {context: connected.kc.currentContext} : {}),
      dryRun: dry,
      image: registry ? runs : image,
      ...(registry ? {registry} : {}),
      namespace,
      packageId: pkg?.packageId ?? '',
      ready,
      seconds: secondsSince(started),
      sequence,
      steps,
      ...(targets ? {targets} : {}),
    }),
    tasks,
  }
}
