/**
 * Extraction from Kubernetes objects: the pod spec wherever the kind keeps it, every container (init, regular,
 * ephemeral) with its environment resolved through `env`, `envFrom` and the ConfigMaps of the same input (or the
 * cluster), its effective security context, its mounts, and the pod's volumes.
 */
import {classifyHostPath} from './sockets.js'
import {
  type AnalysisContext,
  type Analyzed,
  type ContainerInfo,
  type ContainerKind,
  type EnvValue,
  isNil,
  type Mount,
  type Obj,
  str,
  type VolumeInfo,
} from './types.js'

/** Where each kind keeps its pod spec. */
function podSpecOf(obj: Obj): null | {spec: Obj; templateMeta: null | Obj} {
  const {kind} = obj
  const {spec} = obj
  if (!spec || typeof spec !== 'object') return null
  if (kind === 'Pod') return isPodSpec(spec) ? {spec, templateMeta: null} : null
  if (kind === 'CronJob') {
    const t = spec.jobTemplate?.spec?.template
    return t && isPodSpec(t.spec) ? {spec: t.spec, templateMeta: t.metadata ?? null} : null
  }

  if (kind === 'PodTemplate')
    return obj.template && isPodSpec(obj.template.spec)
      ? {spec: obj.template.spec, templateMeta: obj.template.metadata ?? null}
      : null
  const t = spec.template
  if (t && isPodSpec(t.spec)) return {spec: t.spec, templateMeta: t.metadata ?? null}
  // any other object with a job template (e.g. CronJob-like CRDs)
  const jt = spec.jobTemplate?.spec?.template
  if (jt && isPodSpec(jt.spec)) return {spec: jt.spec, templateMeta: jt.metadata ?? null}
  return null
}

const SPEC_PATHS = [
  ['spec'],
  ['spec', 'template', 'spec'],
  ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
  ['template', 'spec'],
]

/** The keys leading to the pod spec that analyze() reads (for `doctor --fix`), or null when there is none. */
export function podSpecPath(obj: Obj): null | string[] {
  const ps = podSpecOf(obj)
  if (!ps) return null
  for (const p of SPEC_PATHS) {
    let v: unknown = obj
    for (const k of p) v = (v as Obj | undefined)?.[k]
    if (v === ps.spec) return p
  }

  return null
}

/** The container lists of a pod spec in the order analyze() reads them. */
export const CONTAINER_LIST_KEYS = ['initContainers', 'containers', 'ephemeralContainers'] as const

function isPodSpec(s: unknown): s is Obj {
  return Boolean(s && typeof s === 'object' && Array.isArray((s as Obj).containers))
}

function resolveEnv(c: Obj, namespace: null | string, ctx: AnalysisContext): Map<string, EnvValue> {
  const env = new Map<string, EnvValue>()
  if (Array.isArray(c.envFrom)) {
    for (const ef of c.envFrom) {
      const prefix = str(ef?.prefix)
      const ref = ef?.configMapRef?.name
      if (typeof ref === 'string') {
        const cm = ctx.configMaps.get(namespace, ref)
        if (cm?.data && typeof cm.data === 'object') {
          for (const [k, v] of Object.entries(cm.data as Obj))
            env.set(prefix + k, {from: 'envFrom', ref, value: str(v)})
        }
      }
    }
  }

  if (Array.isArray(c.env)) {
    for (const e of c.env) {
      if (!e || typeof e.name !== 'string') continue
      if (e.valueFrom) {
        const k = e.valueFrom.configMapKeyRef
        if (k && typeof k.name === 'string') {
          const cm = ctx.configMaps.get(namespace, k.name)
          const v = cm?.data?.[k.key]
          env.set(e.name, {from: 'valueFrom', ref: k.name, value: v === undefined ? null : str(v)})
        } else {
          env.set(e.name, {from: 'valueFrom', ref: e.valueFrom.secretKeyRef?.name, value: null})
        }
      } else {
        env.set(e.name, {from: 'env', value: str(e.value)})
      }
    }
  }

  return env
}

/** command + args joined by spaces. */
function commandLine(c: Obj): string {
  let out = ''
  for (const list of [c.command, c.args])
    if (Array.isArray(list)) for (const x of list) out = out === '' ? str(x) : out + ' ' + str(x)
  return out
}

function mountsOf(c: Obj): Mount[] {
  const out: Mount[] = []
  if (Array.isArray(c.volumeMounts))
    for (const m of c.volumeMounts)
      if (m && typeof m.name === 'string') out.push({mountPath: str(m.mountPath), name: m.name, subPath: m.subPath})
  return out
}

function portsOf(c: Obj): number[] {
  const out: number[] = []
  if (Array.isArray(c.ports))
    for (const p of c.ports) {
      const n = Number(p?.containerPort)
      if (Number.isFinite(n)) out.push(n)
    }

  return out
}

const NO_CAPS: string[] = []

function containerInfo(
  c: Obj,
  kind: ContainerKind,
  psc: Obj,
  namespace: null | string,
  ctx: AnalysisContext,
): ContainerInfo {
  const sc = (c.securityContext ?? EMPTY) as Obj
  const add = sc.capabilities?.add
  const name = str(c.name)
  return {
    at: [{item: true, key: 'name', value: name}],
    cmd: commandLine(c),
    env: resolveEnv(c, namespace, ctx),
    image: str(c.image),
    kind,
    mounts: mountsOf(c),
    name,
    ports: portsOf(c),
    raw: c,
    sc: {
      allowPrivilegeEscalation:
        typeof sc.allowPrivilegeEscalation === 'boolean' ? sc.allowPrivilegeEscalation : undefined,
      capAdd: Array.isArray(add) ? add.map((x: unknown) => str(x).toUpperCase().replace(/^CAP_/, '')) : NO_CAPS,
      privileged: sc.privileged === true,
      runAsNonRoot:
        typeof sc.runAsNonRoot === 'boolean'
          ? sc.runAsNonRoot
          : typeof psc.runAsNonRoot === 'boolean'
            ? psc.runAsNonRoot
            : undefined,
      runAsUser:
        typeof sc.runAsUser === 'number' ? sc.runAsUser : typeof psc.runAsUser === 'number' ? psc.runAsUser : undefined,
    },
  }
}

const EMPTY: Obj = Object.freeze({})
const CONTAINER_LISTS = [
  ['initContainers', 'init'],
  ['containers', 'container'],
  ['ephemeralContainers', 'ephemeral'],
] as const

/** The analysed view of a Kubernetes object (workload null when it carries no pod spec). */
export function analyze(obj: Obj, ctx: AnalysisContext): Analyzed {
  const md = (obj.metadata ?? {}) as Obj
  const a: Analyzed = {
    apiVersion: str(obj.apiVersion),
    ctx,
    input: 'kubernetes',
    kind: str(obj.kind),
    name: typeof md.name === 'string' ? md.name : isNil(md.name) ? null : String(md.name),
    namespace: typeof md.namespace === 'string' ? md.namespace : null,
    obj,
    workload: null,
  }
  const ps = podSpecOf(obj)
  if (!ps) return a
  const pod = ps.spec
  const containers: ContainerInfo[] = []
  const psc = (pod.securityContext ?? EMPTY) as Obj
  for (const [key, kind] of CONTAINER_LISTS) {
    const list = pod[key]
    if (!Array.isArray(list)) continue
    for (const c of list) if (c && typeof c === 'object') containers.push(containerInfo(c, kind, psc, a.namespace, ctx))
  }

  const volumes = new Map<string, VolumeInfo>()
  if (Array.isArray(pod.volumes)) {
    for (const v of pod.volumes) {
      if (!v || typeof v.name !== 'string') continue
      const hp = v.hostPath?.path
      volumes.set(v.name, {
        hostPath: isNil(hp) ? undefined : str(hp),
        hostPathClass: v.hostPath ? classifyHostPath(hp) : null,
        name: v.name,
        raw: v,
      })
    }
  }

  a.workload = {containers, podSpec: pod, templateMeta: ps.templateMeta, volumes}
  return a
}
