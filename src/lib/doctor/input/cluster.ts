/**
 * `doctor --cluster`: read every pod-bearing workload (all namespaces, or -n), the ConfigMaps they can reference
 * (peer env and core.yaml), and Fabric operator custom resources when their CRDs exist. Objects that a scanned
 * controller owns (ReplicaSets of Deployments, Pods of ReplicaSets/Jobs/StatefulSets/DaemonSets, Jobs of CronJobs)
 * are skipped, so one problem is reported once, on the object to fix.
 */
import type {KubernetesListObject, KubernetesObject} from '@kubernetes/client-node'

import type {Obj} from '../model/types.js'
import type {ClusterOptions, InputError} from '../types.js'
import type {ParsedObject} from './parse.js'

import {messageOf} from '../../errors.js'

interface Kind {
  apiVersion: string
  kind: string
  /** Optional kinds (OpenShift, operator CRDs) are skipped when the API server does not know them. */
  optional?: boolean
}

export const WORKLOAD_KINDS: Kind[] = [
  {apiVersion: 'apps/v1', kind: 'Deployment'},
  {apiVersion: 'apps/v1', kind: 'StatefulSet'},
  {apiVersion: 'apps/v1', kind: 'DaemonSet'},
  {apiVersion: 'apps/v1', kind: 'ReplicaSet'},
  {apiVersion: 'v1', kind: 'ReplicationController'},
  {apiVersion: 'batch/v1', kind: 'Job'},
  {apiVersion: 'batch/v1', kind: 'CronJob'},
  {apiVersion: 'v1', kind: 'Pod'},
  {apiVersion: 'apps.openshift.io/v1', kind: 'DeploymentConfig', optional: true},
]

export const OPERATOR_KINDS: Kind[] = [
  {apiVersion: 'hlf.kungfusoftware.es/v1alpha1', kind: 'FabricPeer', optional: true},
  {apiVersion: 'ibp.com/v1beta1', kind: 'IBPPeer', optional: true},
]

const CONTROLLERS = new Set(WORKLOAD_KINDS.map((k) => k.kind))

/** Owned by a controller we also scan: its template is checked there. */
export function ownedByScanned(o: Obj): boolean {
  const refs = o.metadata?.ownerReferences
  return Array.isArray(refs) && refs.some((r: Obj) => r?.controller === true && CONTROLLERS.has(r.kind))
}

function isUnknownKind(err: unknown): boolean {
  const code = (err as {code?: unknown})?.code
  return (
    code === 404 ||
    /Unrecognized API version and kind|could not find the requested resource|not found/i.test(messageOf(err))
  )
}

export async function readCluster(opts: ClusterOptions): Promise<{errors: InputError[]; objects: ParsedObject[]}> {
  const errors: InputError[] = []
  const objects: ParsedObject[] = []
  const {kubeError, loadKubeConfig, targetOf} = await import('../../kube/client.js')
  let kc
  try {
    kc = await loadKubeConfig({context: opts.context, kubeconfig: opts.kubeconfig})
  } catch (error) {
    const fe = kubeError(error, 'load kubeconfig')
    return {errors: [{file: null, line: null, message: fe.message + (fe.hint ? ` (${fe.hint})` : '')}], objects}
  }

  const target = targetOf(kc, opts.namespace)
  const {KubernetesObjectApi} = await (await import('../../kube/lib.js')).kubeLib()
  const api = KubernetesObjectApi.makeApiClient(kc)
  const where = opts.namespace ? `in namespace ${opts.namespace}` : 'in all namespaces'

  const list = async (k: Kind): Promise<null | Obj[]> => {
    const out: Obj[] = []
    let cont: string | undefined
    do {
      const page: KubernetesListObject<KubernetesObject> = await api.list(
        k.apiVersion,
        k.kind,
        opts.namespace,
        undefined,
        undefined,
        undefined,
        undefined,
        undefined,
        500,
        cont,
      )
      for (const item of page.items ?? [])
        out.push({...item, apiVersion: item.apiVersion ?? k.apiVersion, kind: item.kind ?? k.kind} as Obj)
      cont = page.metadata?._continue || undefined
    } while (cont)

    return out
  }

  let reachable = false
  for (const k of [...WORKLOAD_KINDS, {apiVersion: 'v1', kind: 'ConfigMap'}, ...OPERATOR_KINDS]) {
    try {
      const items = await list(k)
      reachable = true
      if (!items) continue
      for (const o of items) {
        if (k.kind !== 'ConfigMap' && ownedByScanned(o)) continue
        objects.push({doc: null, file: null, from: 0, obj: o})
      }
    } catch (error) {
      if (isUnknownKind(error)) continue // the server does not serve this kind (CRD absent, OpenShift kinds elsewhere)
      const fe = kubeError(error, `list ${k.kind} ${where}`, target)
      errors.push({file: null, line: null, message: fe.message + (fe.hint ? ` (${fe.hint})` : '')})
      if (!reachable) break // unreachable or unauthorised: one clear line, not one per kind
    }
  }

  // a list in a namespace that does not exist is empty, not an error: a mistyped -n would pass as clean. Every
  // namespace holds a ConfigMap (kube-root-ca.crt), so only an empty result costs this one read
  if (opts.namespace && reachable && errors.length === 0 && objects.length === 0) {
    try {
      await api.read({apiVersion: 'v1', kind: 'Namespace', metadata: {name: opts.namespace}})
    } catch (error) {
      // any other answer (forbidden to read namespaces: a user with a namespaced Role) leaves the empty lists standing
      if ((error as {code?: unknown})?.code === 404)
        errors.push({
          file: null,
          line: null,
          message: `-n/--namespace: namespace "${opts.namespace}" not found (context "${target.context}"): nothing to check (kubectl get namespaces lists them)`,
        })
    }
  }

  return {errors, objects}
}
