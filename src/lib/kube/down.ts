/**
 * `fabk8s down`: find what deploy made for a chaincode (by the managed-by and chaincode labels) and delete it.
 * The namespace stays: other things may live there.
 */
import {isNotFound, kube, type KubeClients, kubeError} from './client.js'
import {managedSelector} from './manifests.js'
import {sleep} from './rollout.js'

export interface ManagedResource {
  kind: 'Deployment' | 'Secret' | 'Service'
  name: string
  namespace: string
}

/** Deployments, Services and Secrets in the namespace labelled managed-by=fabk8s and fabk8s.io/chaincode=<name>. */
export async function listManaged(c: KubeClients, namespace: string, name: string): Promise<ManagedResource[]> {
  const labelSelector = managedSelector(name)
  const at = {...c.target, namespace}
  const [d, s, sec] = await Promise.all([
    kube(`list Deployments in ${namespace}`, at, () => c.apps.listNamespacedDeployment({labelSelector, namespace})),
    kube(`list Services in ${namespace}`, at, () => c.core.listNamespacedService({labelSelector, namespace})),
    kube(`list Secrets in ${namespace}`, at, () => c.core.listNamespacedSecret({labelSelector, namespace})),
  ])
  const items = (kind: ManagedResource['kind'], list: {items: {metadata?: {name?: string}}[]}) =>
    list.items.map((i) => ({kind, name: i.metadata?.name ?? '', namespace})).filter((r) => r.name)
  return [...items('Deployment', d), ...items('Service', s), ...items('Secret', sec)]
}

/** Delete each resource (already gone counts as deleted). Deployments go first so their pods stop. */
export async function deleteManaged(c: KubeClients, resources: ManagedResource[]): Promise<ManagedResource[]> {
  const done: ManagedResource[] = []
  for (const r of resources) {
    const at = {...c.target, namespace: r.namespace}
    const args = {name: r.name, namespace: r.namespace, propagationPolicy: 'Background'}
    try {
      if (r.kind === 'Deployment') await c.apps.deleteNamespacedDeployment(args)
      else if (r.kind === 'Service') await c.core.deleteNamespacedService(args)
      else await c.core.deleteNamespacedSecret(args)
    } catch (error) {
      if (!isNotFound(error)) throw kubeError(error, `delete ${r.kind} ${r.namespace}/${r.name}`, at)
    }

    done.push(r)
  }

  return done
}

/**
 * Wait until no pod of the chaincode is left: not only marked for deletion but removed, which the kubelet does once
 * the containers have stopped. Until then a pod runs through its grace period, and the peers' open connections
 * still reach it (a `query` right after `down` would be answered). Lists every `intervalMs`; returns the names of the
 * pods left when `timeoutMs` is up or `signal` aborts, [] once none is left.
 */
export async function waitPodsGone(
  c: KubeClients,
  namespace: string,
  name: string,
  o: {intervalMs?: number; signal?: AbortSignal; timeoutMs: number},
): Promise<string[]> {
  const labelSelector = managedSelector(name)
  const at = {...c.target, namespace}
  const deadline = Date.now() + o.timeoutMs
  for (;;) {
    const list = await kube(`list Pods in ${namespace}`, at, () => c.core.listNamespacedPod({labelSelector, namespace}))
    const left = list.items.map((p) => p.metadata?.name ?? '').filter(Boolean)
    const wait = Math.min(o.intervalMs ?? 250, deadline - Date.now())
    if (left.length === 0 || wait <= 0 || o.signal?.aborted) return left.sort()
    await sleep(wait, o.signal)
  }
}
