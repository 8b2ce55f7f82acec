/**
 * kind clusters as kind itself finds them: node containers carry the label io.x-k8s.kind.cluster=<name> and
 * io.x-k8s.kind.role (control-plane, worker, external-load-balancer). No kind binary needed.
 */
import {FabError} from '../errors.js'
import {docker, dockerError, viaApi} from './docker.js'

export const CLUSTER_LABEL = 'io.x-k8s.kind.cluster'
export const ROLE_LABEL = 'io.x-k8s.kind.role'

export interface KindNode {
  name: string
  role: string
  running: boolean
}

/** The names of all kind clusters on this engine (sorted, unique). */
export async function listClusters(): Promise<string[]> {
  const rows = await labelled(CLUSTER_LABEL)
  return [...new Set(rows.map((r) => r.labels[CLUSTER_LABEL] ?? '').filter(Boolean))].sort()
}

/** Every container of the cluster (running or not), sorted by name. */
export async function listClusterContainers(cluster: string): Promise<KindNode[]> {
  const rows = await labelled(`${CLUSTER_LABEL}=${cluster}`)
  return rows
    .map((r) => ({name: r.name, role: r.labels[ROLE_LABEL] ?? '', running: r.state === 'running'}))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
}

interface ContainerRow {
  labels: Record<string, string>
  name: string
  state: string
}

/** `docker ps -a --filter label=FILTER`: through the Engine API when it is at hand, else the CLI. */
async function labelled(filter: string): Promise<ContainerRow[]> {
  const api = await viaApi('GET', `/containers/json?all=1&filters=${encodeURIComponent(JSON.stringify({label: [filter]}))}`)
  if (api?.status === 200) {
    const list = JSON.parse(api.body.toString('utf8')) as {Labels?: null | Record<string, string>; Names?: string[]; State?: string}[]
    return list.map((c) => ({
      labels: c.Labels ?? {},
      name: (c.Names?.[0] ?? '').replace(/^\//, ''),
      state: c.State ?? '',
    }))
  }

  const r = await docker([
    'ps',
    '-a',
    '--filter',
    `label=${filter}`,
    '--format',
    `{{.Names}}\t{{.State}}\t{{.Label "${CLUSTER_LABEL}"}}\t{{.Label "${ROLE_LABEL}"}}`,
  ])
  if (r.code !== 0) throw new FabError('DOCKER', `docker ps: ${dockerError(r)}`)
  return r.stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const [name, state, cluster, role] = l.split('\t')
      return {labels: {[CLUSTER_LABEL]: cluster ?? '', [ROLE_LABEL]: role ?? ''}, name, state}
    })
}

/**
 * The nodes to load images into: the cluster's Kubernetes nodes (the external load balancer runs no kubelet),
 * optionally narrowed to `only`. Errors: cluster not found (naming the clusters that exist), node not in the
 * cluster, no running nodes.
 */
export async function clusterNodes(cluster: string, only?: string[]): Promise<KindNode[]> {
  const all = await listClusterContainers(cluster)
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

  let nodes = all.filter((n) => n.role !== 'external-load-balancer')
  if (only && only.length > 0) {
    const names = new Set(nodes.map((n) => n.name))
    const unknown = only.filter((n) => !names.has(n))
    if (unknown.length > 0)
      throw new FabError(
        'CLUSTER',
        `--nodes: ${unknown.join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not a node of kind cluster "${cluster}"`,
        {
          hint: `nodes: ${[...names].join(', ')}`,
        },
      )
    nodes = nodes.filter((n) => only.includes(n.name))
  }

  if (nodes.length === 0)
    throw new FabError('CLUSTER', `kind cluster "${cluster}" has no nodes`, {
      hint: `recreate it: kind delete cluster --name ${cluster} && kind create cluster --name ${cluster}`,
    })
  const stopped = nodes.filter((n) => !n.running)
  if (stopped.length > 0)
    throw new FabError(
      'CLUSTER',
      `kind cluster "${cluster}": node${stopped.length === 1 ? '' : 's'} ${stopped.map((n) => n.name).join(', ')} not running`,
      {
        hint: `start ${stopped.length === 1 ? 'it' : 'them'} with \`docker start ${stopped.map((n) => n.name).join(' ')}\``,
      },
    )
  return nodes
}
