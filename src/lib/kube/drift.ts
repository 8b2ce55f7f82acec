/**
 * Read-only comparison of what deploy would apply with what the cluster has: `fabk8s up` uses it to skip an
 * apply (a write request) when nothing would change. Every object carries the hash of its rendered form
 * (manifests.ts ANNOTATION_HASH); the Deployment must also be fully rolled out.
 */
import type {V1Deployment} from '@kubernetes/client-node'

import {isNotFound, type KubeClients, kubeError} from './client.js'
import {ANNOTATION_HASH, type Manifest} from './manifests.js'
import {deploymentProgress} from './rollout.js'

/** Why the cluster differs from the manifests; empty when an apply would change nothing and the rollout is done. */
export async function deployDrift(c: KubeClients, manifests: Manifest[]): Promise<string[]> {
  const reasons = await Promise.all(
    manifests.map(async (m): Promise<string | undefined> => {
      const {name, namespace = ''} = m.metadata
      const at = {...c.target, namespace}
      const id = `${m.kind.toLowerCase()}/${name}`
      let live: undefined | {metadata?: {annotations?: Record<string, string>}}
      try {
        live = await (async () => {
          switch (m.kind) {
            case 'Deployment': {
              return c.apps.readNamespacedDeployment({name, namespace})
            }

            case 'Namespace': {
              return c.core.readNamespace({name})
            }

            case 'Secret': {
              return c.core.readNamespacedSecret({name, namespace})
            }

            case 'Service': {
              return c.core.readNamespacedService({name, namespace})
            }

            default: {
              throw new Error(`drift: unsupported kind ${m.kind}`)
            }
          }
        })()
      } catch (error) {
        if (isNotFound(error)) return `${id} does not exist`
        throw kubeError(error, `read ${m.kind} ${name}`, at)
      }

      // a namespace fabk8s did not create is used as it is (deploy never relabels it)
      if (m.kind === 'Namespace') return undefined
      if (live?.metadata?.annotations?.[ANNOTATION_HASH] !== m.metadata.annotations?.[ANNOTATION_HASH])
        return `${id} differs from fabk8s.yaml`
      if (m.kind === 'Deployment') {
        const changed = editedDeployment(id, live as V1Deployment, m as unknown as V1Deployment)
        if (changed) return changed
        const p = deploymentProgress(live as V1Deployment)
        if (!p.done) return `${id} is not rolled out: ${p.message}`
      }

      return undefined
    }),
  )
  return reasons.filter((r): r is string => r !== undefined)
}

/**
 * A change that leaves the hash annotation as it was (kubectl scale, kubectl set image): the replicas, or the image of
 * a container, differ from the manifest's. A Deployment scaled to 0 is "rolled out", yet no pod serves the chaincode.
 */
function editedDeployment(id: string, live: V1Deployment, want: V1Deployment): string | undefined {
  const replicas = want.spec?.replicas ?? 1
  if ((live.spec?.replicas ?? 1) !== replicas)
    return `${id} runs ${live.spec?.replicas ?? 1} replicas, fabk8s.yaml asks for ${replicas}`
  const images = new Map((live.spec?.template?.spec?.containers ?? []).map((x) => [x.name, x.image]))
  for (const x of want.spec?.template?.spec?.containers ?? [])
    if (images.get(x.name) !== x.image)
      return `${id} runs image ${images.get(x.name) ?? '(none)'} in container ${x.name}, fabk8s.yaml gives ${x.image}`
  return undefined
}

/** Deployments and Services of the chaincode that fabk8s.yaml no longer asks for (deploy deletes them). */
export async function staleDrift(
  c: KubeClients,
  namespace: string,
  chaincode: string,
  keep: string[],
): Promise<string[]> {
  const {listManaged} = await import('./down.js')
  return (await listManaged(c, namespace, chaincode))
    .filter((r) => r.kind !== 'Secret' && !keep.includes(r.name))
    .map((r) => `${r.kind.toLowerCase()}/${r.name} is no longer in fabk8s.yaml`)
}
