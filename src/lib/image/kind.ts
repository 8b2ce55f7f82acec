/**
 * kind clusters as kind itself finds them: node containers carry the label io.x-k8s.kind.cluster=<name> and
 * io.x-k8s.kind.role (control-plane, worker, external-load-balancer). No kind binary needed.
 */
import {FabError} from '../errors.js'
import {docker, dockerError, ENGINE_TIMEOUT_MS, viaApi} from './docker.js'

export const CLUSTER_LABEL = 'io.x-k8s.kind.cluster'
export const ROLE_LABEL = 'io.x-k8s.kind.role'

export interface KindNode {
  name: string
  role: string
  running: boolean
}

/**
 * Local clusters whose nodes are containers on the Docker engine with containerd inside, told apart by the labels
 * their tool puts on the node containers, and where that containerd listens. kind: `io.x-k8s.kind.cluster`; k3d:
 * `k3d.cluster` (k3s's containerd at /run/k3s/containerd/containerd.sock; the server load balancer and tools
 * containers run no kubelet); minikube's docker driver: `name.minikube.sigs.k8s.io` (its containerd runtime).
 */
export interface NodeFlavor {
  /** Label on every node container whose value is the cluster name. */
  clusterLabel: string
  /** `ctr` with the node's containerd address: what `docker exec NODE …` runs. */
  ctr: string[]
  /** Roles (values of roleLabel) that are no Kubernetes node. */
  noKubelet: string[]
  roleLabel: string
  /** How people call it in messages: kind, k3d, minikube. */
  tool: 'k3d' | 'kind' | 'minikube'
}

export const FLAVORS: Record<NodeFlavor['tool'], NodeFlavor> = {
  k3d: {
    clusterLabel: 'k3d.cluster',
    ctr: ['ctr', '--address', '/run/k3s/containerd/containerd.sock'],
    noKubelet: ['loadbalancer', 'noRole', 'registry'],
    roleLabel: 'k3d.role',
    tool: 'k3d',
  },
  kind: {
    clusterLabel: 'io.x-k8s.kind.cluster',
    ctr: ['ctr'],
    noKubelet: ['external-load-balancer'],
    roleLabel: 'io.x-k8s.kind.role',
    tool: 'kind',
  },
  minikube: {
    clusterLabel: 'name.minikube.sigs.k8s.io',
    ctr: ['ctr'],
    noKubelet: [],
    roleLabel: 'role.minikube.sigs.k8s.io',
    tool: 'minikube',
  },
}

/** The names of all kind clusters on this engine (sorted, unique). */
export async function listClusters(): Promise<string[]> {
  const rows = await labelled(CLUSTER_LABEL)
  return [...new Set(rows.map((r) => r.labels[CLUSTER_LABEL] ?? '').filter(Boolean))].sort()
}

/** Every container of the cluster (running or not), sorted by name. */
export async function listClusterContainers(cluster: string, flavor: NodeFlavor = FLAVORS.kind): Promise<KindNode[]> {
  const rows = await labelled(`${flavor.clusterLabel}=${cluster}`, flavor)
  return rows
    .map((r) => ({name: r.name, role: r.labels[flavor.roleLabel] ?? '', running: r.state === 'running'}))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
}

interface ContainerRow {
  labels: Record<string, string>
  name: string
  state: string
}

/** `docker ps -a --filter label=FILTER`: through the Engine API when it is at hand, else the CLI. */
async function labelled(filter: string, flavor: NodeFlavor = FLAVORS.kind): Promise<ContainerRow[]> {
  const api = await viaApi('GET', `/containers/json?all=1&filters=${encodeURIComponent(JSON.stringify({label: [filter]}))}`)
  if (api?.status === 200) {
    const list = JSON.parse(api.body.toString('utf8')) as {Labels?: null | Record<string, string>; Names?: string[]; State?: string}[]
    return list.map((c) => ({
      labels: c.Labels ?? {},
      name: (c.Names?.[0] ?? '').replace(/^\//, ''),
      state: c.State ?? '',
    }))
  }

  const r = await docker(
    [
      'ps',
      '-a',
      '--filter',
      `label=${filter}`,
      '--format',
      `{{.Names}}\t{{.State}}\t{{.Label "${flavor.clusterLabel}"}}\t{{.Label "${flavor.roleLabel}"}}`,
    ],
    {timeoutMs: ENGINE_TIMEOUT_MS},
  )
  if (r.code !== 0) throw new FabError('DOCKER', `docker ps: ${dockerError(r)}`)
  return r.stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const [name, state, cluster, role] = l.split('\t')
      return {labels: {[flavor.clusterLabel]: cluster ?? '', [flavor.roleLabel]: role ?? ''}, name, state}
    })
}

/**
 * The nodes to load images into: the cluster's Kubernetes nodes (the external load balancer runs no kubelet),
 * optionally narrowed to `only`. Errors: cluster not found (naming the clusters that exist), node not in the
 * cluster, no running nodes.
 */
export async function clusterNodes(
  cluster: string,
  only?: string[],
  flavor: NodeFlavor = FLAVORS.kind,
): Promise<KindNode[]> {
  const all = await listClusterContainers(cluster, flavor)
  if (all.length === 0 && flavor.tool !== 'kind')
    throw new FabError('CLUSTER', `${flavor.tool} cluster "${cluster}": no node containers on this Docker engine`, {
      hint: `fabk8s loads through the Docker engine that runs the ${flavor.tool} nodes: point DOCKER_HOST / \`docker context use\` at it, or use --registry`,
    })
  if (all.length === 0) {
    const clusters = await listClusters()
    throw new FabError('CLUSTER', `kind cluster "${cluster}" not found`, {
      detail: {clusters},
      hint:
        clusters.length === 0
          ? `no kind clusters on this Docker engine; create one with \`kind create cluster --name ${cluster}\``
          : `clusters on this engine: ${clusters.join(', ')}; pass --cluster or set kind.cluster in fabk8s.yaml`,
    })
  }

  let nodes = all.filter((n) => !flavor.noKubelet.includes(n.role))
  if (only && only.length > 0) {
    const names = new Set(nodes.map((n) => n.name))
    const unknown = only.filter((n) => !names.has(n))
    if (unknown.length > 0)
      throw new FabError(
        'CLUSTER',
        `--nodes: ${unknown.join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not a node of ${flavor.tool} cluster "${cluster}"`,
        {
          hint: `nodes: ${[...names].join(', ')}`,
        },
      )
    nodes = nodes.filter((n) => only.includes(n.name))
  }

  if (nodes.length === 0)
    throw new FabError('CLUSTER', `${flavor.tool} cluster "${cluster}" has no nodes`, {
      hint: `recreate it: kind delete cluster --name ${cluster} && kind create cluster --name ${cluster}`,
    })
  const stopped = nodes.filter((n) => !n.running)
  if (stopped.length > 0)
    throw new FabError(
      'CLUSTER',
      `${flavor.tool} cluster "${cluster}": node${stopped.length === 1 ? '' : 's'} ${stopped.map((n) => n.name).join(', ')} not running`,
      {
        hint: `start ${stopped.length === 1 ? 'it' : 'them'} with \`docker start ${stopped.map((n) => n.name).join(' ')}\``,
      },
    )
  return nodes
}
