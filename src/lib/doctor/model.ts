/**
 * The analysed view of one Kubernetes object that the rules read: its pod spec (wherever the kind keeps it), every
 * container (init, regular, ephemeral) with its environment resolved through `env`, `envFrom` and ConfigMaps of the
 * same input (or the cluster), its volumes and mounts, and what kind of Fabric component it looks like.
 */
import jsyaml from 'js-yaml'
import path from 'node:path'

// Kubernetes objects are untyped JSON here; rules read them defensively.
/* eslint-disable @typescript-eslint/no-explicit-any */
export type Obj = Record<string, any>

export type ContainerKind = 'container' | 'ephemeral' | 'init'

export interface EnvValue {
  from: 'core.yaml' | 'env' | 'envFrom' | 'valueFrom'
  /** ConfigMap (or Secret) that supplied it. */
  ref?: string
  /** null when the value cannot be seen (Secret, field ref, ConfigMap not in the input). */
  value: null | string
}

export interface Mount {
  mountPath: string
  name: string
  subPath?: string
}

export interface ContainerInfo {
  /** Memo of isPeer(). */
  _peer?: boolean
  /** command + args joined by spaces. */
  cmd: string
  env: Map<string, EnvValue>
  image: string
  kind: ContainerKind
  mounts: Mount[]
  name: string
  raw: Obj
  /** Effective security context: container fields over the pod's. */
  sc: {
    allowPrivilegeEscalation?: boolean
    capAdd: string[]
    privileged: boolean
    runAsNonRoot?: boolean
    runAsUser?: number
  }
}

export interface HostPathClass {
  kind: 'dir' | 'socket'
  normalized: string
}

export interface VolumeInfo {
  hostPath?: string
  hostPathClass: HostPathClass | null
  name: string
  raw: Obj
}

export interface Workload {
  containers: ContainerInfo[]
  podSpec: Obj
  /** metadata of the pod template (annotations for suppression), or null for a bare Pod. */
  templateMeta: null | Obj
  volumes: Map<string, VolumeInfo>
}

export interface Analyzed {
  apiVersion: string
  ctx: AnalysisContext
  kind: string
  name: null | string
  namespace: null | string
  obj: Obj
  workload: null | Workload
}

/** Cross-object facts: ConfigMaps by namespace/name. */
export class ConfigMapIndex {
  private readonly byName = new Map<string, Obj[]>()
  private readonly coreCache = new Map<Obj, CoreYaml | null>()

  get size(): number {
    return this.byName.size
  }

  add(cm: Obj): void {
    const name = cm?.metadata?.name
    if (typeof name !== 'string') return
    const list = this.byName.get(name)
    if (list) list.push(cm)
    else this.byName.set(name, [cm])
  }

  /** The parsed `core.yaml` key of a ConfigMap, if it has one. */
  coreYaml(cm: Obj): CoreYaml | null {
    if (this.coreCache.has(cm)) return this.coreCache.get(cm)!
    let out: CoreYaml | null = null
    const text = cm?.data?.['core.yaml']
    if (typeof text === 'string') {
      try {
        const core = jsyaml.load(text, {json: true}) as Obj
        const eb = core?.chaincode?.externalBuilders
        const ep = core?.vm?.endpoint
        out = {
          externalBuilders: Array.isArray(eb) ? eb : [],
          vmEndpoint: typeof ep === 'string' ? ep : isNil(ep) ? null : String(ep),
        }
      } catch {
        out = null
      }
    }

    this.coreCache.set(cm, out)
    return out
  }

  /** A ConfigMap by name, preferring the same namespace; objects without a namespace match any. */
  get(namespace: null | string, name: string): Obj | undefined {
    const list = this.byName.get(name)
    if (!list) return undefined
    const exact = list.find((cm) => (cm.metadata?.namespace ?? null) === namespace)
    if (exact) return exact
    return list.find((cm) => !cm.metadata?.namespace || !namespace)
  }
}

export interface CoreYaml {
  externalBuilders: unknown[]
  vmEndpoint: null | string
}

export interface AnalysisContext {
  configMaps: ConfigMapIndex
}

const SOCKET_FILES = new Set(['containerd.sock', 'cri-dockerd.sock', 'crio.sock', 'docker.sock', 'dockershim.sock'])
const SOCKET_DIRS = new Set([
  '/',
  '/run',
  '/run/containerd',
  '/run/crio',
  '/run/docker',
  '/run/k3s/containerd',
  '/var',
  '/var/run',
  '/var/run/containerd',
  '/var/run/crio',
  '/var/run/docker',
])

/** Whether a hostPath is a container-runtime socket or a directory that holds one (trailing slashes ignored). */
export function classifyHostPath(p: unknown): HostPathClass | null {
  if (typeof p !== 'string' || p.trim() === '') return null
  let n = path.posix.normalize(p.trim())
  if (n.length > 1 && n.endsWith('/')) n = n.slice(0, -1)
  if (SOCKET_FILES.has(path.posix.basename(n))) return {kind: 'socket', normalized: n}
  if (SOCKET_DIRS.has(n)) return {kind: 'dir', normalized: n}
  return null
}

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

function isPodSpec(s: unknown): s is Obj {
  return Boolean(s && typeof s === 'object' && Array.isArray((s as Obj).containers))
}

function isNil(v: unknown): v is null | undefined {
  return v === null || v === undefined
}

function str(v: unknown): string {
  return isNil(v) ? '' : String(v)
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

function containerInfo(
  c: Obj,
  kind: ContainerKind,
  pod: Obj,
  namespace: null | string,
  ctx: AnalysisContext,
): ContainerInfo {
  const cmd = [...(Array.isArray(c.command) ? c.command : []), ...(Array.isArray(c.args) ? c.args : [])]
    .map((x) => str(x))
    .join(' ')
  const psc = (pod.securityContext ?? {}) as Obj
  const sc = (c.securityContext ?? {}) as Obj
  const add = sc.capabilities?.add
  return {
    cmd,
    env: resolveEnv(c, namespace, ctx),
    image: str(c.image),
    kind,
    mounts: Array.isArray(c.volumeMounts)
      ? c.volumeMounts
          .filter((m: Obj) => m && typeof m.name === 'string')
          .map((m: Obj) => ({mountPath: str(m.mountPath), name: m.name, subPath: m.subPath}))
      : [],
    name: str(c.name),
    raw: c,
    sc: {
      allowPrivilegeEscalation:
        typeof sc.allowPrivilegeEscalation === 'boolean' ? sc.allowPrivilegeEscalation : undefined,
      capAdd: Array.isArray(add) ? add.map((x: unknown) => str(x).toUpperCase().replace(/^CAP_/, '')) : [],
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

export function analyze(obj: Obj, ctx: AnalysisContext): Analyzed {
  const md = (obj.metadata ?? {}) as Obj
  const a: Analyzed = {
    apiVersion: str(obj.apiVersion),
    ctx,
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
  const lists: [unknown, ContainerKind][] = [
    [pod.initContainers, 'init'],
    [pod.containers, 'container'],
    [pod.ephemeralContainers, 'ephemeral'],
  ]
  for (const [list, kind] of lists) {
    if (!Array.isArray(list)) continue
    for (const c of list) if (c && typeof c === 'object') containers.push(containerInfo(c, kind, pod, a.namespace, ctx))
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

// ---- Fabric heuristics shared by several rules ----

const NOT_PEER_IMAGE = /fabric-(tools|ca|orderer|ccenv|baseos|couchdb|javaenv|nodeenv)|couchdb|fabric-tools/i
const NOT_PEER_NAME = /(^|[-_.])(cli|tools?|admin|job|setup|init|installer|couchdb|orderer|ca)([-_.]|$)/i

/** A Fabric peer: runs `peer node start`, uses a fabric-peer image, or is a peer-named container with CORE_PEER_* env. */
export function isPeer(c: ContainerInfo): boolean {
  c._peer ??= detectPeer(c)
  return c._peer
}

function detectPeer(c: ContainerInfo): boolean {
  if (/(^|[\s;&|/])peer\s+node\s+start\b/.test(c.cmd)) return true
  if (/fabric-peer/i.test(c.image)) return true
  if (NOT_PEER_IMAGE.test(c.image) || NOT_PEER_NAME.test(c.name)) return false
  if (c.cmd && !/\bpeer\b/.test(c.cmd)) return false
  let hasCorePeer = false
  for (const k of c.env.keys())
    if (k.startsWith('CORE_PEER_')) {
      hasCorePeer = true
      break
    }

  if (!hasCorePeer) return false
  return c.env.has('CORE_PEER_ID') || /peer/i.test(c.name)
}

/** Chaincode-as-a-service server: has CHAINCODE_SERVER_ADDRESS or CORE_CHAINCODE_ADDRESS and is not a peer. */
export function isChaincodeServer(c: ContainerInfo): boolean {
  return (c.env.has('CHAINCODE_SERVER_ADDRESS') || c.env.has('CORE_CHAINCODE_ADDRESS')) && !isPeer(c)
}

/** core.yaml facts from ConfigMaps the container mounts (volume or projected). */
export function mountedCoreYamls(a: Analyzed, c: ContainerInfo): {cm: string; core: CoreYaml}[] {
  const out: {cm: string; core: CoreYaml}[] = []
  const w = a.workload
  if (!w) return out
  for (const m of c.mounts) {
    const v = w.volumes.get(m.name)
    if (!v) continue
    const names: string[] = []
    if (typeof v.raw.configMap?.name === 'string') names.push(v.raw.configMap.name)
    if (Array.isArray(v.raw.projected?.sources))
      for (const s of v.raw.projected.sources) if (typeof s?.configMap?.name === 'string') names.push(s.configMap.name)
    for (const n of names) {
      const cm = a.ctx.configMaps.get(a.namespace, n)
      const core = cm && a.ctx.configMaps.coreYaml(cm)
      if (core) out.push({cm: n, core})
    }
  }

  return out
}

/** The CORE_VM_ENDPOINT a container runs with: env/envFrom first, then a mounted core.yaml's vm.endpoint. */
export function vmEndpoint(a: Analyzed, c: ContainerInfo): EnvValue | null {
  const e = c.env.get('CORE_VM_ENDPOINT')
  if (e) return e
  for (const {cm, core} of mountedCoreYamls(a, c))
    if (core.vmEndpoint !== null) return {from: 'core.yaml', ref: cm, value: core.vmEndpoint}
  return null
}

export function isSetEndpoint(e: EnvValue | null): e is EnvValue {
  return Boolean(e && (e.value === null || e.value.trim() !== ''))
}

/** Evidence that a peer has external builders (env, mounted core.yaml, or a builders volume); null when none is visible. */
export function externalBuilderEvidence(a: Analyzed, c: ContainerInfo): null | string {
  const eb = c.env.get('CORE_CHAINCODE_EXTERNALBUILDERS')
  if (eb && (eb.value === null || !['', '[]'].includes(eb.value.trim()))) return 'CORE_CHAINCODE_EXTERNALBUILDERS'
  for (const {cm, core} of mountedCoreYamls(a, c))
    if (core.externalBuilders.length > 0) return `chaincode.externalBuilders in ConfigMap ${cm} (core.yaml)`
  const w = a.workload
  if (w)
    for (const m of c.mounts) {
      const v = w.volumes.get(m.name)
      const cmName = v?.raw.configMap?.name ?? ''
      if (/builder/i.test(m.name) || /builder/i.test(m.mountPath) || /builder/i.test(String(cmName)))
        return `volume ${m.name} at ${m.mountPath}`
    }

  return null
}

/** The volume a path inside the container lives on (longest mountPath prefix). */
export function volumeForPath(a: Analyzed, c: ContainerInfo, p: string): null | {mount: Mount; volume?: VolumeInfo} {
  let best: Mount | null = null
  for (const m of c.mounts) {
    const mp = m.mountPath.replace(/\/+$/, '') || '/'
    if (
      (p === mp || p.startsWith(mp === '/' ? '/' : mp + '/')) &&
      (!best || mp.length > best.mountPath.replace(/\/+$/, '').length)
    )
      best = m
  }

  if (!best) return null
  return {mount: best, volume: a.workload?.volumes.get(best.name)}
}

export function describeObject(a: Analyzed): string {
  return `${a.kind || 'object'} ${a.namespace ? a.namespace + '/' : ''}${a.name ?? '(unnamed)'}`
}
