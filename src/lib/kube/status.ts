/**
 * What runs in the cluster for a chaincode: Deployment and pod readiness, image, the package ID the pods run
 * (CHAINCODE_ID), and whether it is the one the peers expect. A running CHAINCODE_ID that differs from the
 * package ID installed/approved on the peers is the classic CCaaS failure: the peer dials the server, the
 * server answers with another ID, and every invoke fails.
 */
import type {V1Container, V1Deployment, V1Pod} from '@kubernetes/client-node'

import type {ChaincodeTarget} from './targets.js'

import {ANNOTATION_DEV} from '../dev/relay/manifest.js'
import {imageSource} from '../image/registry.js'
import {connect, isNotFound, kube, type KubeClients, kubeError, type KubeOptions} from './client.js'
import {ANNOTATION_PACKAGE, CONTAINER, LABEL_CHAINCODE, LABEL_NAME} from './manifests.js'
import {deploymentProgress, diagnosePods, type PodProblem} from './rollout.js'

export interface PodStatus {
  image?: string
  name: string
  packageId?: string
  phase?: string
  ready: boolean
  /** Why not ready (waiting reason, scheduling), if known. */
  reason?: string
  restarts: number
}

export interface ChaincodeStatus {
  /** Replicas of the current revision that are available. */
  available: number
  deployment: string
  /**
   * The `fabk8s dev` session whose relay stands in for the chaincode's pods (`user@host pid N since ISO`): the peers
   * reach a chaincode running on that machine, and the image is the relay's.
   */
  dev?: string
  /** Given package ID (e.g. the one installed/approved on the peers); compared with the running one. */
  expectedPackageId?: string
  /** The Deployment exists. */
  found: boolean
  image?: string
  /** Where the image came from: a registry (the pods run repo@sha256:…) or a tag loaded into the nodes. */
  imageSource?: 'loaded' | 'registry'
  namespace: string
  /** CHAINCODE_ID of the Deployment's pod template: what the pods run (or roll out to). */
  packageId?: string
  /** Set when expectedPackageId is given: false is the classic CCaaS failure. */
  packageIdMatches?: boolean
  pods: PodStatus[]
  problems: PodProblem[]
  /** Every desired replica is updated and ready. */
  ready: boolean
  replicas: number
  service?: ServiceInfo
  /** One line, like `kubectl rollout status`. */
  summary: string
}

/** The chaincode's Service, as `status`, `deploy` and `up` report it (--json `service`). */
export interface ServiceInfo {
  clusterIP?: string
  name: string
  port?: number
}

const envOf = (c: undefined | V1Container, name: string) => c?.env?.find((e) => e.name === name)?.value

function containerOf(spec: undefined | {containers?: V1Container[]}): undefined | V1Container {
  return spec?.containers?.find((x) => x.name === CONTAINER) ?? spec?.containers?.[0]
}

/** The package ID a pod spec runs: CHAINCODE_ID (or its aliases). */
export function runningPackageId(spec: undefined | {containers?: V1Container[]}): string | undefined {
  const c = containerOf(spec)
  return envOf(c, 'CHAINCODE_ID') ?? envOf(c, 'CORE_CHAINCODE_ID') ?? envOf(c, 'CORE_CHAINCODE_ID_NAME')
}

function podStatus(p: V1Pod, problems: PodProblem[]): PodStatus {
  const cs = p.status?.containerStatuses?.find((x) => x.name === CONTAINER) ?? p.status?.containerStatuses?.[0]
  const name = p.metadata?.name ?? '?'
  const pr = problems.find((x) => x.pod === name)
  return {
    image: containerOf(p.spec)?.image,
    name,
    packageId: runningPackageId(p.spec) ?? p.metadata?.annotations?.[ANNOTATION_PACKAGE],
    phase: p.status?.phase,
    ready: Boolean(p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')),
    reason: pr?.reason ?? cs?.state?.waiting?.reason,
    restarts: cs?.restartCount ?? 0,
  }
}

export interface StatusQuery {
  /** The chaincode (fabk8s.io/chaincode label) when it differs from the Deployment's name (one per peer name). */
  chaincode?: string
  /** Compare the running CHAINCODE_ID with this package ID. */
  expectedPackageId?: string
  name: string
  namespace: string
}

/**
 * The chaincode's status in the cluster. Takes connected clients, or kubeconfig options to connect with
 * (what a lifecycle command that has the installed/approved package ID can call).
 */
export async function chaincodeStatus(target: KubeClients | KubeOptions, q: StatusQuery): Promise<ChaincodeStatus> {
  const c: KubeClients = 'core' in target ? target : await connect({...target, namespace: q.namespace})

  const at = {...c.target, namespace: q.namespace}
  const out: ChaincodeStatus = {
    available: 0,
    deployment: q.name,
    expectedPackageId: q.expectedPackageId,
    found: false,
    namespace: q.namespace,
    pods: [],
    problems: [],
    ready: false,
    replicas: 0,
    summary: '',
  }
  let d: undefined | V1Deployment
  try {
    d = await c.apps.readNamespacedDeployment({name: q.name, namespace: q.namespace})
  } catch (error) {
    if (!isNotFound(error)) {
      throw kubeError(error, `read Deployment ${q.namespace}/${q.name}`, at)
    }
  }

  if (!d) {
    out.summary = `not deployed: no deployment/${q.name} in namespace ${q.namespace}`
    if (q.expectedPackageId) out.packageIdMatches = false
    return out
  }

  out.found = true
  const dev = d.metadata?.annotations?.[ANNOTATION_DEV]
  if (dev) out.dev = dev
  const container = containerOf(d.spec?.template?.spec)
  out.image = container?.image
  out.imageSource = imageSource(out.image)
  out.packageId = runningPackageId(d.spec?.template?.spec)
  out.replicas = d.spec?.replicas ?? 1
  out.available = d.status?.availableReplicas ?? 0
  const progress = deploymentProgress(d)
  // a rollout to 0 replicas is done, but nothing serves the chaincode (kubectl scale --replicas 0)
  const scaledDown = out.replicas === 0
  out.ready = progress.done && !scaledDown
  if (q.expectedPackageId) out.packageIdMatches = q.expectedPackageId === out.packageId

  const pods = await kube(`list Pods in ${q.namespace}`, at, () =>
    c.core.listNamespacedPod({
      labelSelector: `${LABEL_NAME}=${q.name},${LABEL_CHAINCODE}=${q.chaincode ?? q.name}`,
      namespace: q.namespace,
    }),
  )
  const live = pods.items.filter((p) => !p.metadata?.deletionTimestamp)
  out.problems = diagnosePods(live)
  out.pods = live.map((p) => podStatus(p, out.problems)).sort((a, b) => a.name.localeCompare(b.name))
  out.summary = scaledDown
    ? 'scaled to 0 replicas: no pod runs the chaincode; fabk8s up (or fabk8s deploy) applies 1 again'
    : (progress.failed ?? progress.message)

  try {
    const svc = await c.core.readNamespacedService({name: q.name, namespace: q.namespace})
    out.service = {clusterIP: svc.spec?.clusterIP, name: q.name, port: svc.spec?.ports?.[0]?.port}
  } catch (error) {
    if (!isNotFound(error)) {
      throw kubeError(error, `read Service ${q.namespace}/${q.name}`, at)
    }
  }

  return out
}

/**
 * One Deployment of the chaincode's set, with the peers that dial it: named `name`, as deploy's and up's `targets`
 * name it (ChaincodeTarget), with the status fields of that Deployment.
 */
export interface TargetStatus extends ChaincodeTarget, Omit<ChaincodeStatus, 'deployment'> {}

/**
 * The whole set: the fields of ChaincodeStatus summed up over every Deployment, and each one in `deployments`.
 * `deployment` is the first Deployment's name (as in deploy's result); all of them are in `deployments`.
 */
export interface ChaincodeSetStatus extends ChaincodeStatus {
  deployments: TargetStatus[]
}

const only = <T>(xs: (T | undefined)[]): T | undefined => {
  const set = new Set(xs.filter((x) => x !== undefined))
  return set.size === 1 ? [...set][0] : undefined
}

/**
 * The status of every Deployment of the chaincode (targets.ts: one, or one per peer name). With one, the summary
 * is that Deployment's status; with several it is found/ready only when every one is, image and package ID only
 * when they all run the same, and the pods of all of them.
 */
export async function chaincodeSetStatus(
  target: KubeClients | KubeOptions,
  q: {chaincode: string; expectedPackageId?: string; namespace: string; targets: ChaincodeTarget[]},
): Promise<ChaincodeSetStatus> {
  const c: KubeClients = 'core' in target ? target : await connect({...target, namespace: q.namespace})
  const deployments: TargetStatus[] = await Promise.all(
    q.targets.map(async (t) => {
      const {deployment: name, ...status} = await chaincodeStatus(c, {
        chaincode: q.chaincode,
        expectedPackageId: q.expectedPackageId,
        name: t.name,
        namespace: q.namespace,
      })
      return {name, ...status, address: t.address, peername: t.peername, peers: t.peers}
    }),
  )
  if (deployments.length === 1) {
    const {name, ...one} = deployments[0]
    return {...one, deployment: name, deployments}
  }

  const found = deployments.filter((d) => d.found)
  const packageId = only(found.map((d) => d.packageId))
  return {
    available: deployments.reduce((n, d) => n + d.available, 0),
    deployment: deployments[0].name,
    deployments,
    dev: found.find((d) => d.dev)?.dev,
    expectedPackageId: q.expectedPackageId,
    found: found.length === deployments.length,
    image: only(found.map((d) => d.image)),
    namespace: q.namespace,
    packageId,
    packageIdMatches: q.expectedPackageId
      ? deployments.every((d) => d.packageIdMatches) && packageId === q.expectedPackageId
      : undefined,
    pods: deployments.flatMap((d) => d.pods),
    problems: deployments.flatMap((d) => d.problems),
    ready: deployments.every((d) => d.ready),
    replicas: deployments.reduce((n, d) => n + d.replicas, 0),
    service: deployments[0].service,
    summary: deployments.map((d) => `${d.name}: ${d.summary}`).join('; '),
  }
}
