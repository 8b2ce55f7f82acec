/**
 * Which kind of cluster the kube context points at, and so how a locally built image reaches its nodes:
 * kind, k3d and minikube load it into their nodes; Docker Desktop's and Rancher Desktop's Kubernetes run on the
 * Docker engine's own image store (nothing to load); anything else is remote and needs a registry.
 *
 * Evidence, strongest first: the nodes (kind's providerID `kind://`, k3s's `k3s://` with k3d's node names
 * `k3d-<cluster>-server-0`, minikube's label `minikube.k8s.io/name`, the node names `docker-desktop` and
 * `lima-rancher-desktop`), then the context name each tool writes (`kind-<c>`, `k3d-<c>`, `minikube`,
 * `docker-desktop`, `rancher-desktop`), then the Docker engine (a kind cluster of that name has node containers
 * there).
 */
import type {KubeClients} from './client.js'

export const CLUSTER_KINDS = ['kind', 'k3d', 'minikube', 'docker-desktop', 'rancher-desktop', 'remote'] as const
export type ClusterKind = (typeof CLUSTER_KINDS)[number]

/** How an image gets to the nodes: loaded into them, already there (shared with Docker), or pulled from a registry. */
export type ImageDelivery = 'load' | 'registry' | 'shared'

export interface NodeShape {
  labels?: Record<string, string>
  name: string
  providerID?: string
  /** status.nodeInfo.containerRuntimeVersion, e.g. containerd://1.7.22 or docker://27.2.0. */
  runtime?: string
}

export interface ClusterShape {
  context?: string
  /** kind clusters whose node containers the Docker engine runs. */
  engineKindClusters?: string[]
  /** The Docker engine's name (`docker info` .Name): Docker Desktop's is docker-desktop, Rancher Desktop's lima-rancher-desktop. */
  engineName?: string
  /** The cluster fabk8s.yaml names (kind.cluster), tried on the Docker engine. */
  kindCluster?: string
  nodes: NodeShape[]
}

export interface DetectedCluster {
  /** The tool's cluster name (kind/k3d cluster, minikube profile), when known. */
  cluster?: string
  context?: string
  images: ImageDelivery
  kind: ClusterKind
  /** The first node's container runtime (containerd://…, docker://…), when the nodes could be read. */
  runtime?: string
  /** The evidence, in a few words. */
  why: string
}

const DELIVERY: Record<ClusterKind, ImageDelivery> = {
  'docker-desktop': 'shared',
  k3d: 'load',
  kind: 'load',
  minikube: 'load',
  'rancher-desktop': 'shared',
  remote: 'registry',
}

const found = (
  kind: ClusterKind,
  why: string,
  context: string | undefined,
  cluster?: string,
): DetectedCluster => ({
  ...(cluster ? {cluster} : {}),
  ...(context ? {context} : {}),
  images: DELIVERY[kind],
  kind,
  why,
})

/** Decide from the shape alone (pure; the tests feed each tool's shapes). */
export function detectCluster(shape: ClusterShape): DetectedCluster {
  const d = detect(shape)
  // a Desktop cluster shares images only with its own Docker engine, not with one DOCKER_HOST points elsewhere
  const own = d.kind === 'docker-desktop' ? 'docker-desktop' : 'lima-rancher-desktop'
  if ((d.kind === 'docker-desktop' || d.kind === 'rancher-desktop') && shape.engineName && shape.engineName !== own)
    return {
      ...d,
      images: 'registry',
      why: `${d.why}, but the Docker engine here is ${shape.engineName}, not ${d.kind}'s`,
    }
  const runtime = shape.nodes.find((n) => n.runtime)?.runtime
  if (!runtime) return d
  // Rancher Desktop's containerd engine keeps its own image store: Docker's images are not there
  if (d.kind === 'rancher-desktop' && runtime.startsWith('containerd'))
    return {...d, images: 'registry', runtime, why: `${d.why}, containerd engine (not Docker's image store)`}
  return {...d, runtime}
}

function detect(shape: ClusterShape): DetectedCluster {
  const {context, nodes} = shape
  for (const n of nodes) {
    const pid = n.providerID ?? ''
    // kind://docker/<cluster>/<node>
    const kind = /^kind:\/\/[^/]+\/([^/]+)\//.exec(pid)
    if (kind) return found('kind', `node ${n.name} has providerID ${pid}`, context, kind[1])
    const k3d = /^k3d-(.+)-(?:server|agent)-\d+$/.exec(n.name)
    if (k3d && (pid.startsWith('k3s://') || pid === ''))
      return found('k3d', `node ${n.name} is a k3d node${pid ? ` (${pid})` : ''}`, context, k3d[1])
    const mk = n.labels?.['minikube.k8s.io/name']
    if (mk) return found('minikube', `node ${n.name} has label minikube.k8s.io/name=${mk}`, context, mk)
    if (n.name === 'docker-desktop') return found('docker-desktop', 'node docker-desktop', context)
    if (n.name === 'lima-rancher-desktop') return found('rancher-desktop', 'node lima-rancher-desktop', context)
  }

  const ctx = context ?? ''
  const byContext = /^kind-(.+)$/.exec(ctx)
  if (byContext) return found('kind', `context ${ctx}`, context, byContext[1])
  const k3dCtx = /^k3d-(.+)$/.exec(ctx)
  if (k3dCtx) return found('k3d', `context ${ctx}`, context, k3dCtx[1])
  if (ctx === 'minikube') return found('minikube', `context ${ctx}`, context, 'minikube')
  if (ctx === 'docker-desktop' || ctx === 'docker-for-desktop') return found('docker-desktop', `context ${ctx}`, context)
  if (ctx === 'rancher-desktop') return found('rancher-desktop', `context ${ctx}`, context)
  if (shape.kindCluster && shape.engineKindClusters?.includes(shape.kindCluster))
    return found('kind', `the Docker engine runs kind cluster ${shape.kindCluster}`, context, shape.kindCluster)
  return found(
    'remote',
    `context ${ctx || '(none)'} is none of kind, k3d, minikube, Docker Desktop, Rancher Desktop${nodes.length > 0 ? ` (${nodes.length} node(s): ${nodes
      .slice(0, 3)
      .map((n) => n.name)
      .join(', ')})` : ''}`,
    context,
  )
}

/** The parts of a Node that tell which tool made it. */
export function nodeShape(n: {
  metadata?: {labels?: Record<string, string>; name?: string}
  spec?: {providerID?: string}
  status?: {nodeInfo?: {containerRuntimeVersion?: string}}
}): NodeShape {
  const runtime = n.status?.nodeInfo?.containerRuntimeVersion
  return {
    labels: n.metadata?.labels ?? {},
    name: n.metadata?.name ?? '',
    providerID: n.spec?.providerID,
    ...(runtime ? {runtime} : {}),
  }
}

/** One line for `up`: what the cluster is and how images reach it. */
export function describeCluster(d: DetectedCluster): string {
  const name = d.kind === 'remote' ? 'a remote cluster' : `${d.kind}${d.cluster ? ` cluster ${d.cluster}` : ''}`
  const how =
    d.images === 'load'
      ? 'images are loaded into its nodes'
      : d.images === 'shared'
        ? "it runs on the Docker engine's image store: nothing to load"
        : 'images must come from a registry'
  return `${name} (${d.why}): ${how}`
}

/**
 * Read the shape (read-only: the current context, a node list, the kind clusters on the Docker engine) and detect.
 * A node list the user may not read, or a Docker engine without kind clusters, is simply less evidence.
 */
export async function readCluster(c: KubeClients, kindCluster?: string): Promise<DetectedCluster> {
  let nodes: NodeShape[] = []
  try {
    nodes = (await c.core.listNode()).items.map((n) => nodeShape(n))
  } catch {
    nodes = []
  }

  let engineKindClusters: string[] = []
  const context = c.target.context || undefined
  const quick = detectCluster({context, nodes})
  if (quick.kind === 'remote' && kindCluster) {
    try {
      const {listClusters} = await import('../image/kind.js')
      engineKindClusters = await listClusters()
    } catch {
      engineKindClusters = []
    }
  }

  let engineName: string | undefined
  if (quick.kind === 'docker-desktop' || quick.kind === 'rancher-desktop') engineName = await dockerEngineName()
  return detectCluster({context, engineKindClusters, engineName, kindCluster, nodes})
}

/** `docker info` .Name, or undefined when the engine does not answer (then the context alone decides). */
async function dockerEngineName(): Promise<string | undefined> {
  try {
    const {docker} = await import('../image/docker.js')
    const r = await docker(['info', '--format', '{{.Name}}'])
    return r.code === 0 && r.stdout.trim() ? r.stdout.trim() : undefined
  } catch {
    return undefined
  }
}
