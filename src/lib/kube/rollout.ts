/**
 * Wait for a chaincode Deployment to roll out (the rules of `kubectl rollout status`) and for its old pods to be gone,
 * and when it does not, say why from the pods: image not on the node → `fabk8s load`; crash loop → the last log lines;
 * pending → the scheduler's message; an old pod that does not stop → it ignores SIGTERM.
 */
import type {V1Deployment, V1Pod} from '@kubernetes/client-node'

import {FabError} from '../errors.js'
import {kube, type KubeClients} from './client.js'
import {ANNOTATION_IMAGE, ANNOTATION_PACKAGE, CONTAINER, LABEL_CHAINCODE, LABEL_NAME} from './manifests.js'

export interface RolloutOptions {
  /** The chaincode (fabk8s.io/chaincode label) when it differs from the Deployment's name (one per peer name). */
  chaincode?: string
  image: string
  name: string
  namespace: string
  /** Called with a one-line progress message whenever it changes. */
  onProgress?: (message: string) => void
  packageId: string
  /** Poll interval (default 250 ms). */
  pollMs?: number
  signal?: AbortSignal
  timeoutMs: number
}

export interface RolloutResult {
  available: number
  ready: boolean
  replicas: number
  updated: number
}

/** What the Deployment's status says: done, or still waiting (and why), or failed. */
export function deploymentProgress(d: V1Deployment): {done: boolean; failed?: string; message: string} {
  const name = d.metadata?.name
  const want = d.spec?.replicas ?? 1
  const st = d.status ?? {}
  if ((st.observedGeneration ?? 0) < (d.metadata?.generation ?? 0))
    return {done: false, message: `waiting for the deployment controller to see deployment/${name}`}
  const progressing = st.conditions?.find((c) => c.type === 'Progressing')
  if (progressing?.reason === 'ProgressDeadlineExceeded')
    return {
      done: false,
      failed: `deployment/${name} exceeded its progress deadline: ${progressing.message ?? ''}`.trim(),
      message: '',
    }
  const updated = st.updatedReplicas ?? 0
  if (updated < want) return {done: false, message: `${updated} of ${want} new pods updated`}
  if ((st.replicas ?? 0) > updated)
    return {done: false, message: `${(st.replicas ?? 0) - updated} old pod(s) terminating`}
  if ((st.availableReplicas ?? 0) < updated)
    return {done: false, message: `${st.availableReplicas ?? 0} of ${updated} new pods ready`}
  return {done: true, message: `${updated} of ${want} pods ready`}
}

export interface PodProblem {
  /** Fatal now (image missing, crash loop, bad config) or only an explanation when the wait times out. */
  fatal: boolean
  message: string
  pod: string
  reason: string
}

const IMAGE_REASONS = new Set(['ErrImageNeverPull', 'ErrImagePull', 'ImagePullBackOff', 'InvalidImageName'])
const CONFIG_REASONS = new Set([
  'CrashLoopBackOff',
  'CreateContainerConfigError',
  'CreateContainerError',
  'RunContainerError',
])

/**
 * The pods of other revisions (or being deleted) whose containers may still run: until they have exited, a peer may
 * still hold a stream to the old code (it dials the Service again only when that stream ends). A pod that has ended
 * (Succeeded, Failed: say, evicted) serves nothing, even while its object lingers.
 */
export function stoppingPods(pods: V1Pod[], packageId: string, image: string): V1Pod[] {
  const current = new Set(currentPods(pods, packageId, image))
  return pods.filter((p) => !current.has(p) && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed')
}

/** The pods of the revision being rolled out (same package ID and image), not being deleted. */
export function currentPods(pods: V1Pod[], packageId: string, image: string): V1Pod[] {
  return pods.filter(
    (p) =>
      !p.metadata?.deletionTimestamp &&
      p.metadata?.annotations?.[ANNOTATION_PACKAGE] === packageId &&
      p.metadata?.annotations?.[ANNOTATION_IMAGE] === image,
  )
}

/** Why the pods are not ready, most telling first. Pure: the rollout loop and status both use it. */
export function diagnosePods(pods: V1Pod[]): PodProblem[] {
  const out: PodProblem[] = []
  for (const p of pods) {
    const pod = p.metadata?.name ?? '?'
    const statuses = [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])]
    for (const cs of statuses) {
      const w = cs.state?.waiting
      if (!w?.reason) continue
      if (IMAGE_REASONS.has(w.reason))
        out.push({
          fatal: w.reason !== 'ErrImagePull',
          message: w.message ?? `cannot get image ${cs.image}`,
          pod,
          reason: w.reason,
        })
      else if (CONFIG_REASONS.has(w.reason)) {
        const last = cs.lastState?.terminated
        const exit = last
          ? ` (last exit code ${last.exitCode}${last.reason ? `, ${last.reason}` : ''}, ${cs.restartCount ?? 0} restarts)`
          : ''
        out.push({fatal: true, message: `${w.message ?? w.reason}${exit}`, pod, reason: w.reason})
      }
    }

    if (p.status?.phase === 'Pending') {
      const sched = p.status.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False')
      if (sched)
        out.push({
          fatal: false,
          message: sched.message ?? 'waiting for a node',
          pod,
          reason: sched.reason ?? 'Unschedulable',
        })
    }

    if (p.status?.phase === 'Running' && statuses.some((cs) => cs.state?.running && !cs.ready))
      out.push({
        fatal: false,
        message: `container running but not ready (the TCP readiness probe on the chaincode port fails: does the server listen on CHAINCODE_SERVER_ADDRESS?)`,
        pod,
        reason: 'NotReady',
      })
    if (p.status?.phase === 'Failed')
      out.push({fatal: true, message: p.status.message ?? 'pod failed', pod, reason: p.status.reason ?? 'Failed'})
  }

  const rank = (x: PodProblem) => (x.fatal ? 0 : 1)
  return out.sort((a, b) => rank(a) - rank(b))
}

/** The last lines a crashing container printed (the previous run, else the current one); undefined when none can be read. */
export async function lastLogLines(
  c: KubeClients,
  namespace: string,
  pod: string,
  lines = 20,
): Promise<string | undefined> {
  for (const previous of [true, false]) {
    try {
      const text = await c.core.readNamespacedPodLog({
        container: CONTAINER,
        name: pod,
        namespace,
        previous,
        tailLines: lines,
      })
      if (typeof text === 'string' && text.trim()) return text.trimEnd()
    } catch {
      // no log (container never started, or the kubelet does not serve logs): try the other, then give up
    }
  }

  return undefined
}

const IMAGE_HINT =
  'run `fabk8s load` to load the image into the kind nodes (imagePullPolicy is IfNotPresent), or push it to a registry the cluster can pull from'

/** Turn a pod problem into the ROLLOUT error the user sees. */
export async function problemError(
  c: KubeClients,
  o: {image: string; name: string; namespace: string},
  p: PodProblem,
  timedOut?: string,
): Promise<FabError> {
  const head = timedOut ?? `rollout of deployment/${o.name} failed`
  const detail = {namespace: o.namespace, pod: p.pod, reason: p.reason}
  if (IMAGE_REASONS.has(p.reason))
    return new FabError(
      'ROLLOUT',
      `${head}: pod ${p.pod} cannot get image ${o.image} (${p.reason}: ${p.message}); run fabk8s load`,
      {detail, hint: IMAGE_HINT},
    )
  if (p.reason === 'CrashLoopBackOff' || p.reason === 'RunContainerError') {
    const logs = await lastLogLines(c, o.namespace, p.pod)
    const shown = logs
      ? `; last log lines:\n${logs
          .split('\n')
          .map((l) => `  | ${l}`)
          .join('\n')}`
      : '; no log output could be read'
    return new FabError(
      'ROLLOUT',
      `${head}: the chaincode container in pod ${p.pod} keeps crashing (${p.reason}: ${p.message})${shown}`,
      {
        detail: {...detail, logs},
        hint: `fix the chaincode start-up (it must listen on CHAINCODE_SERVER_ADDRESS), rebuild, then \`fabk8s build && fabk8s load && fabk8s deploy\`; more: kubectl -n ${o.namespace} logs ${p.pod} --previous`,
      },
    )
  }

  if (p.reason === 'Unschedulable' || p.reason === 'SchedulerError')
    return new FabError('ROLLOUT', `${head}: pod ${p.pod} is Pending: cannot be scheduled: ${p.message}`, {
      detail,
      hint: 'the cluster has no node that fits the pod (resources, taints); check `kubectl get nodes` and `kubectl describe pod`',
    })
  return new FabError('ROLLOUT', `${head}: pod ${p.pod}: ${p.reason}: ${p.message}`, {
    detail,
    hint: `kubectl -n ${o.namespace} describe pod ${p.pod}`,
  })
}

/** Wait `ms`, or less when the signal aborts; the listener goes when the wait ends (one wait per poll). */
export const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(t)
      signal?.removeEventListener('abort', done)
      resolve()
    }

    const t = setTimeout(done, ms)
    signal?.addEventListener('abort', done, {once: true})
  })

/** kube-proxy's default minimum time between two syncs of its rules (iptables and ipvs: minSyncPeriod 1s). */
export const KUBE_PROXY_SYNC_MS = 1000

/** Poll the Deployment and its pods until the rollout is done, fails, or times out (→ ROLLOUT error). */
export async function waitForRollout(c: KubeClients, o: RolloutOptions): Promise<RolloutResult> {
  const at = {...c.target, namespace: o.namespace}
  const deadline = Date.now() + o.timeoutMs
  const selector = `${LABEL_NAME}=${o.name},${LABEL_CHAINCODE}=${o.chaincode ?? o.name}`
  let last = ''
  let lastProblems: PodProblem[] = []
  let lastProgress = ''
  let lastStopping: string[] = []
  /** Pods of another revision were there during this wait (this rollout replaced pods). */
  let hadOld = false
  /** When a poll first found none of them left (undefined while some are there). */
  let oldGoneAt: number | undefined
  const progress = (m: string) => {
    if (m !== last) o.onProgress?.(m)
    last = m
  }

  for (;;) {
    if (o.signal?.aborted) throw new FabError('ABORTED', `interrupted while waiting for deployment/${o.name}`)
    const d = await kube(`read Deployment ${o.namespace}/${o.name}`, at, () =>
      c.apps.readNamespacedDeployment({name: o.name, namespace: o.namespace}),
    )
    const st = deploymentProgress(d)
    const result = () => ({
      available: d.status?.availableReplicas ?? 0,
      ready: st.done,
      replicas: d.spec?.replicas ?? 1,
      updated: d.status?.updatedReplicas ?? 0,
    })
    const list = await kube(`list Pods in ${o.namespace}`, at, () =>
      c.core.listNamespacedPod({labelSelector: selector, namespace: o.namespace}),
    )
    const stopping = stoppingPods(list.items, o.packageId, o.image).map((p) => p.metadata?.name ?? '?')
    if (stopping.length > 0) {
      hadOld = true
      oldGoneAt = undefined
    } else if (hadOld) oldGoneAt ??= Date.now()
    if (st.done) {
      // rolled out; the peers reach the new code once the old pods have exited
      if (stopping.length === 0) {
        // kube-proxy drops the old pods' addresses from the Service's rules at its next sync (at most once a second)
        // after they went; until then a peer's new dial may still go to an address that is gone and hang for the
        // chaincode's dial_timeout. Returning one sync after the first poll that found them gone (whether the
        // rollout was done then or not), the peers' next dial reaches a new pod.
        if (oldGoneAt !== undefined) await sleep(Math.max(0, oldGoneAt + KUBE_PROXY_SYNC_MS - Date.now()), o.signal)
        progress(st.message)
        return result()
      }

      lastStopping = stopping
      lastProgress = `${stopping.length} old pod(s) stopping: ${stopping.join(', ')}`
      progress(lastProgress)
    } else {
      const problems = diagnosePods(currentPods(list.items, o.packageId, o.image))
      const fatal = problems.find((p) => p.fatal)
      if (fatal) throw await problemError(c, o, fatal)
      if (st.failed) {
        if (problems[0]) throw await problemError(c, o, problems[0], st.failed)
        throw new FabError('ROLLOUT', st.failed, {hint: `kubectl -n ${o.namespace} describe deployment ${o.name}`})
      }

      lastStopping = []
      lastProblems = problems
      lastProgress = st.message
      progress(problems[0] ? `${st.message}; ${problems[0].pod}: ${problems[0].reason}` : st.message)
    }

    if (Date.now() >= deadline) break
    await sleep(Math.min(o.pollMs ?? 250, Math.max(0, deadline - Date.now())), o.signal)
  }

  const secs = Math.round(o.timeoutMs / 1000)
  const head = `rollout of deployment/${o.name} timed out after ${secs}s (${lastProgress})`
  if (lastStopping.length > 0)
    throw new FabError('ROLLOUT', head, {
      detail: {namespace: o.namespace, stopping: lastStopping},
      hint: `the new pods are ready, but the old one has not exited: its chaincode server must exit on SIGTERM (the templates' servers do), else the kubelet kills it only after its grace period; a pod on a node that is down stays until the node is back: kubectl -n ${o.namespace} describe pod ${lastStopping[0]}`,
    })
  if (lastProblems[0]) throw await problemError(c, o, lastProblems[0], head)
  throw new FabError('ROLLOUT', head, {
    detail: {namespace: o.namespace},
    hint: `raise --timeout, or look: fabk8s status; kubectl -n ${o.namespace} describe deployment ${o.name}`,
  })
}
