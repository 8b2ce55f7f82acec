/**
 * Server-side apply (fieldManager `fabk8s`, conflicts forced) of the manifests deploy renders, with "no change"
 * detection: the API server does not bump resourceVersion when an apply changes nothing.
 */
import {isNotFound, kube, type KubeClients, kubeError} from './client.js'
import {kubeLib} from './lib.js'
import {FIELD_MANAGER, type Manifest} from './manifests.js'

export type ApplyAction = 'configured' | 'created' | 'exists' | 'unchanged'

export interface Applied {
  action: ApplyAction
  /** Service only: the cluster IP the API server gave it. */
  clusterIP?: string
  /** metadata.generation after the apply (Deployment: a bump means the spec changed → a rollout). */
  generation?: number
  kind: string
  name: string
  namespace?: string
  resourceVersion?: string
  /** Deployment only: the pod template changed, so a new ReplicaSet rolls out. */
  rollout?: boolean
}

interface Meta {
  metadata?: {generation?: number; resourceVersion?: string}
  spec?: object & {clusterIP?: string; template?: unknown}
}

type Ops = {
  patch: (body: Manifest, opts: unknown) => Promise<Meta>
  read: () => Promise<Meta>
}

async function opsFor(c: KubeClients, m: Manifest): Promise<Ops> {
  const {name, namespace} = m.metadata
  const ns = namespace ?? ''
  const common = {fieldManager: FIELD_MANAGER, force: true}
  switch (m.kind) {
    case 'Deployment': {
      return {
        patch: (body, o) => c.apps.patchNamespacedDeployment({...common, body, name, namespace: ns}, o as never),
        read: () => c.apps.readNamespacedDeployment({name, namespace: ns}),
      }
    }

    case 'Namespace': {
      return {
        patch: (body, o) => c.core.patchNamespace({...common, body, name}, o as never),
        read: () => c.core.readNamespace({name}),
      }
    }

    case 'Secret': {
      return {
        patch: (body, o) => c.core.patchNamespacedSecret({...common, body, name, namespace: ns}, o as never),
        read: () => c.core.readNamespacedSecret({name, namespace: ns}),
      }
    }

    case 'Service': {
      return {
        patch: (body, o) => c.core.patchNamespacedService({...common, body, name, namespace: ns}, o as never),
        read: () => c.core.readNamespacedService({name, namespace: ns}),
      }
    }

    default: {
      throw new Error(`apply: unsupported kind ${m.kind}`)
    }
  }
}

const describe = (m: Manifest) =>
  `${m.kind} ${m.metadata.namespace ? `${m.metadata.namespace}/` : ''}${m.metadata.name}`

/** Server-side apply one manifest; says whether it was created, changed, or left as it was. */
export async function applyManifest(c: KubeClients, m: Manifest): Promise<Applied> {
  const {PatchStrategy, setHeaderOptions} = await kubeLib()
  const ops = await opsFor(c, m)
  const at = {...c.target, namespace: m.metadata.namespace ?? c.target.namespace}
  let before: Meta | undefined
  try {
    before = await ops.read()
  } catch (error) {
    if (!isNotFound(error)) throw kubeError(error, `read ${describe(m)}`, at)
  }

  const after = await kube(`apply ${describe(m)}`, at, () =>
    ops.patch(m, setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply)),
  )
  const rv = after.metadata?.resourceVersion
  const action: ApplyAction = before
    ? before.metadata?.resourceVersion === rv
      ? 'unchanged'
      : 'configured'
    : 'created'
  const applied: Applied = {
    action,
    generation: after.metadata?.generation,
    kind: m.kind,
    name: m.metadata.name,
    namespace: m.metadata.namespace,
    resourceVersion: rv,
  }
  if (m.kind === 'Service' && after.spec?.clusterIP) applied.clusterIP = after.spec.clusterIP
  if (m.kind === 'Deployment')
    applied.rollout =
      action === 'created' ||
      (action === 'configured' && JSON.stringify(before?.spec?.template) !== JSON.stringify(after.spec?.template))
  return applied
}

/**
 * Make sure the namespace exists: left alone when it does (its labels are not ours to change), created by
 * server-side apply from the rendered Namespace when it does not. A user who may not read namespaces goes on:
 * the apply of the chaincode's objects then says whether the namespace is there and theirs.
 */
export async function ensureNamespace(c: KubeClients, ns: Manifest): Promise<Applied> {
  const at = {...c.target, namespace: ns.metadata.name}
  try {
    await c.core.readNamespace({name: ns.metadata.name})
    return {action: 'exists', kind: 'Namespace', name: ns.metadata.name}
  } catch (error) {
    if (isNotFound(error)) return applyManifest(c, ns)
    const e = kubeError(error, `read Namespace ${ns.metadata.name}`, at)
    if ((e.detail as undefined | {code?: number})?.code === 403)
      return {action: 'exists', kind: 'Namespace', name: ns.metadata.name}
    throw e
  }
}
