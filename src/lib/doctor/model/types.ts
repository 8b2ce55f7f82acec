/**
 * The analysed view of one checked object that the rules read, whatever it came from (a Kubernetes object, a compose
 * service, a CI job): its containers with resolved environment, mounts and security settings, its volumes, and
 * where each of those sits in the source (`at`: hints for input/locate.ts).
 */
import type {InputKind, Needle} from '../types.js'

// Kubernetes objects are untyped JSON here; rules read them defensively.
/* eslint-disable @typescript-eslint/no-explicit-any */
export type Obj = Record<string, any>

/** init/regular/ephemeral containers of a pod; `service` is a CI service container (GitLab, GitHub Actions). */
export type ContainerKind = 'container' | 'ephemeral' | 'init' | 'service'

export interface EnvValue {
  /** Where the value is set, when the reader knows (compose, CI); else derived by envAt(). */
  at?: Needle[]
  from: 'core.yaml' | 'env' | 'envFrom' | 'valueFrom'
  /** ConfigMap (or Secret) that supplied it. */
  ref?: string
  /** null when the value cannot be seen (Secret, field ref, ConfigMap not in the input, unset variable). */
  value: null | string
}

export interface Mount {
  /** Where the mount is written, when the reader knows; else derived by mountAt(). */
  at?: Needle[]
  mountPath: string
  name: string
  subPath?: string
}

export interface ContainerInfo {
  /** Memo of isPeer(). */
  _peer?: boolean
  /** Where the container is declared. */
  at: Needle[]
  /** command + args joined by spaces. */
  cmd: string
  env: Map<string, EnvValue>
  image: string
  kind: ContainerKind
  mounts: Mount[]
  name: string
  /** Container ports (Kubernetes containerPort; compose/CI published or exposed ports). */
  ports: number[]
  raw: Obj
  /** Effective security context: container fields over the pod's. */
  sc: {
    allowPrivilegeEscalation?: boolean
    /** Where privileged/capabilities are set when it is not under those keys (e.g. GitHub `options: --privileged`). */
    at?: Needle[]
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
  /** Where the volume is declared, when the reader knows; else derived by volumeAt(). */
  at?: Needle[]
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

/** What a peer's mounted `core.yaml` says about Docker and external builders. */
export interface CoreYaml {
  externalBuilders: unknown[]
  vmEndpoint: null | string
}

/** ConfigMaps of the same input (or the cluster); see configmaps.ts. */
export interface ConfigMapLookup {
  coreYaml(cm: Obj): CoreYaml | null
  get(namespace: null | string, name: string): Obj | undefined
  readonly size: number
}

export interface AnalysisContext {
  configMaps: ConfigMapLookup
}

export interface Analyzed {
  apiVersion: string
  ctx: AnalysisContext
  /** What the object was read from; rules declare which inputs they apply to. */
  input: InputKind
  kind: string
  name: null | string
  namespace: null | string
  obj: Obj
  workload: null | Workload
}

/*
 * Where things sit, for line numbers. Derived only when a finding needs them (most objects have none), so the
 * Kubernetes extraction allocates no hints per env var or mount.
 */

/** Where variable `name` of container `c` is set: its env entry, the envFrom list, or the container (core.yaml). */
export function envAt(c: ContainerInfo, name: string, e: EnvValue): Needle[] {
  if (e.at) return e.at
  if (e.from === 'envFrom') return [...c.at, {key: 'envFrom'}]
  if (e.from === 'core.yaml') return c.at
  return [...c.at, {key: 'name', value: name}]
}

export function mountAt(c: ContainerInfo, m: Mount): Needle[] {
  return m.at ?? [...c.at, {key: 'mountPath', value: m.mountPath}]
}

export function volumeAt(v: VolumeInfo): Needle[] {
  return v.at ?? [{key: 'volumes'}, {item: true, key: 'name', value: v.name}]
}

export function describeObject(a: Analyzed): string {
  return `${a.kind || 'object'} ${a.namespace ? a.namespace + '/' : ''}${a.name ?? '(unnamed)'}`
}

export function isNil(v: unknown): v is null | undefined {
  return v === null || v === undefined
}

export function str(v: unknown): string {
  return isNil(v) ? '' : String(v)
}
