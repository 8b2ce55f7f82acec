/**
 * `fabk8s down`: find what deploy made for a chaincode (by the managed-by and chaincode labels) and delete it.
 * The namespace stays: other things may live there.
 */
import {isNotFound, kube, type KubeClients, kubeError} from './client.js'
import {managedSelector} from './manifests.js'

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
