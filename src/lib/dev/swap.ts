/**
 * Swap the chaincode Deployment's pods for the relay, and back. Both directions are server-side applies with
 * fabk8s's field manager, so the restore puts back exactly the configuration fabk8s had applied (read from the
 * Deployment's managedFields before the swap, kept in an annotation on the swapped Deployment): the spec after
 * the restore equals the spec before. A session that dies without restoring leaves that annotation behind; the
 * next `fabk8s dev` restores from it, and `fabk8s up`/`deploy` see a Deployment that differs from fabk8s.yaml
 * and apply the real one again.
 */
import type {ProjectConfig} from '../project/schema.js'

import {FabError} from '../errors.js'
import {isNotFound, kube, type KubeClients, kubeError} from '../kube/client.js'
import {ANNOTATION_IMAGE, ANNOTATION_PACKAGE, CONTAINER, FIELD_MANAGER, type Manifest} from '../kube/manifests.js'
import {chaincodeTargets} from '../kube/targets.js'
import {extractApplied} from './extract.js'
import {ANNOTATION_DEV, ANNOTATION_RESTORE, relayDeployment} from './relay/manifest.js'

export type RawObject = Record<string, unknown> & {
  metadata?: {annotations?: Record<string, string>; generation?: number; name?: string; resourceVersion?: string}
  spec?: Record<string, unknown>
}

/** GET an API path as raw JSON (nothing dropped by the client's models); undefined on 404. */
export async function getRaw(c: KubeClients, apiPath: string): Promise<RawObject | undefined> {
  const server = c.kc.getCurrentCluster()?.server
  if (!server) throw new FabError('KUBERNETES', 'the kubeconfig context has no cluster server')
  const url = new URL(apiPath, server)
  const {request} = url.protocol === 'https:' ? await import('node:https') : await import('node:http')
  const opts: import('node:https').RequestOptions = {headers: {Accept: 'application/json'}, method: 'GET'}
  await c.kc.applyToHTTPSOptions(opts)
  const res = await new Promise<{body: string; code: number}>((resolve, reject) => {
    const req = request(url, opts, (r) => {
      let body = ''
      r.setEncoding('utf8')
      r.on('data', (d: string) => {
        body += d
      })
      r.on('end', () => resolve({body, code: r.statusCode ?? 0}))
      r.on('error', reject)
    })
    req.setTimeout(30_000, () => req.destroy(new Error(`GET ${apiPath}: no answer within 30s`)))
    req.on('error', reject)
    req.end()
  }).catch((error: unknown) => {
    throw kubeError(error, `GET ${apiPath}`, c.target)
  })
  if (res.code === 404) return undefined
  if (res.code !== 200) {
    // shape it like client-node's ApiException so kubeError maps 401/403 with their hints
    throw kubeError({body: res.body, code: res.code, headers: {}}, `GET ${apiPath}`, c.target)
  }

  return JSON.parse(res.body) as RawObject
}

export function deploymentPath(namespace: string, name: string): string {
  return `/apis/apps/v1/namespaces/${encodeURIComponent(namespace)}/deployments/${encodeURIComponent(name)}`
}

export interface RestorePlan {
  /** The configuration to apply at the end; null: there was no Deployment, delete the relay's. */
  applied: null | Record<string, unknown>
  /** The relay was already in place, left by this session (ANNOTATION_DEV) that did not exit cleanly. */
  leftBy?: string
}

/** What to put back at the end, judged from the live Deployment (or its absence). */
export function restorePlan(live: RawObject | undefined): RestorePlan {
  if (!live) return {applied: null}
  const ann = live.metadata?.annotations ?? {}
  if (ann[ANNOTATION_DEV] && ann[ANNOTATION_RESTORE]) {
    try {
      const saved = JSON.parse(ann[ANNOTATION_RESTORE]) as {applied?: null | Record<string, unknown>}
      if (saved && 'applied' in saved) return {applied: saved.applied ?? null, leftBy: ann[ANNOTATION_DEV]}
    } catch {
      // unreadable: fall through and treat what runs as the original
    }
  }

  const applied = extractApplied(live, FIELD_MANAGER)
  if (!applied)
    throw new FabError(
      'KUBERNETES',
      `deployment/${live.metadata?.name} was not applied by fabk8s (no "${FIELD_MANAGER}" field manager): fabk8s dev will not replace it`,
      {hint: 'deploy it with `fabk8s deploy` (or `fabk8s up`) first, or use another -n/--namespace'},
    )
  return {applied}
}

/** The image and package ID an applied Deployment configuration runs (for the rollout wait). */
export function runsOf(applied: Record<string, unknown>): {image: string; packageId: string} {
  const spec = applied.spec as
    | undefined
    | {
        template?: {
          metadata?: {annotations?: Record<string, string>}
          spec?: {containers?: {env?: {name: string; value?: string}[]; image?: string; name?: string}[]}
        }
      }
  const containers = spec?.template?.spec?.containers ?? []
  const c = containers.find((x) => x.name === CONTAINER) ?? containers[0]
  const ann = spec?.template?.metadata?.annotations ?? {}
  return {
    image: c?.image ?? ann[ANNOTATION_IMAGE] ?? '',
    packageId: ann[ANNOTATION_PACKAGE] ?? c?.env?.find((e) => e.name === 'CHAINCODE_ID')?.value ?? '',
  }
}

async function applyDeployment(c: KubeClients, m: Manifest | Record<string, unknown>, what: string): Promise<void> {
  const {PatchStrategy, setHeaderOptions} = await (await import('../kube/lib.js')).kubeLib()
  const meta = (m as Manifest).metadata
  await kube(what, {...c.target, namespace: meta.namespace}, () =>
    c.apps.patchNamespacedDeployment(
      {body: m, fieldManager: FIELD_MANAGER, force: true, name: meta.name, namespace: meta.namespace ?? ''},
      setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply),
    ),
  )
}

export interface SwapInOptions {
  image: string
  namespace: string
  packageId: string
  session: string
}

/** Apply the relay in place of the chaincode; returns what to restore at the end. */
export async function swapIn(c: KubeClients, project: ProjectConfig, o: SwapInOptions): Promise<RestorePlan> {
  const [{name}] = chaincodeTargets(project, o.namespace)
  const live = await getRaw(c, deploymentPath(o.namespace, name))
  const plan = restorePlan(live)
  const relay = relayDeployment(project, {
    image: o.image,
    namespace: o.namespace,
    packageId: o.packageId,
    restore: plan.applied,
    session: o.session,
  })
  await applyDeployment(c, relay, `apply the dev relay as Deployment ${o.namespace}/${name}`)
  return plan
}

export type RestoreOutcome = 'deleted' | 'gone' | 'restored' | 'taken-over'

/**
 * Put the chaincode Deployment back: apply the saved configuration (or delete the relay's Deployment when there
 * was none). Leaves it alone when another session has taken it over since (its annotation names someone else), and
 * when it was deleted meanwhile (`fabk8s down`): putting it back would undo that.
 */
export async function swapOut(
  c: KubeClients,
  o: {name: string; namespace: string; plan: RestorePlan; session: string},
): Promise<{by?: string; outcome: RestoreOutcome}> {
  const live = await getRaw(c, deploymentPath(o.namespace, o.name))
  if (!live) return {outcome: 'gone'}
  const by = live.metadata?.annotations?.[ANNOTATION_DEV]
  if (by !== o.session) return {by, outcome: 'taken-over'}
  if (o.plan.applied === null) {
    await kube(`delete Deployment ${o.namespace}/${o.name}`, {...c.target, namespace: o.namespace}, () =>
      c.apps.deleteNamespacedDeployment({name: o.name, namespace: o.namespace}),
    ).catch((error: unknown) => {
      if (!isNotFound((error as FabError).cause)) throw error
    })
    return {outcome: 'deleted'}
  }

  await applyDeployment(c, o.plan.applied, `restore Deployment ${o.namespace}/${o.name}`)
  return {outcome: 'restored'}
}
