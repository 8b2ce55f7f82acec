/**
 * Building blocks for the readers of compose and CI files: a container in the model's shape, environment from
 * lists (`K=V`) or mappings, bind mounts (`SRC:DST[:MODE]`, or `{type: bind, source, target}`) as host-path volumes,
 * ports, and the `docker run` options that GitHub Actions passes through (`--privileged`, `-v`, `--cap-add`, `-p`).
 */
import path from 'node:path'

import type {Needle} from '../types.js'
import type {Path, Positions} from './positions.js'

import {classifyHostPath, SOCKET_FILES} from './sockets.js'
import {
  type ContainerInfo,
  type ContainerKind,
  type EnvValue,
  type HostPathClass,
  isNil,
  type Mount,
  type Obj,
  str,
  type VolumeInfo,
} from './types.js'

export const isMap = (v: unknown): v is Obj => Boolean(v) && typeof v === 'object' && !Array.isArray(v)

export interface ContainerSpec {
  at: Needle[]
  capAdd?: string[]
  cmd?: string
  env?: Map<string, EnvValue>
  image?: string
  kind: ContainerKind
  mounts?: Mount[]
  name: string
  ports?: number[]
  privileged?: boolean
  raw: Obj
  scAt?: Needle[]
}

export function container(s: ContainerSpec): ContainerInfo {
  return {
    at: s.at,
    cmd: s.cmd ?? '',
    env: s.env ?? new Map(),
    image: s.image ?? '',
    kind: s.kind,
    mounts: s.mounts ?? [],
    name: s.name,
    ports: s.ports ?? [],
    raw: s.raw,
    sc: {
      at: s.scAt,
      capAdd: (s.capAdd ?? []).map((x) => x.toUpperCase().replace(/^CAP_/, '')),
      privileged: s.privileged ?? false,
    },
  }
}

/** Strings of a command given as a string or a (nested) list. */
export function words(v: unknown): string {
  if (Array.isArray(v)) return v.map((x) => words(x)).join(' ')
  return isNil(v) || typeof v === 'object' ? '' : String(v)
}

/**
 * Environment from a `K=V` list or a mapping (values null when not visible: `- K` alone takes the caller's value),
 * each with its line; later sources override earlier ones, as compose and CI do.
 */
export function envOf(v: unknown, pos: Positions, at: Path, into = new Map<string, EnvValue>()): Map<string, EnvValue> {
  if (Array.isArray(v)) {
    for (const [i, e] of v.entries()) {
      if (typeof e !== 'string' && typeof e !== 'number') continue
      const s = String(e)
      const eq = s.indexOf('=')
      const k = eq === -1 ? s : s.slice(0, eq)
      into.set(k.trim(), {at: pos.at([...at, i]), from: 'env', value: eq === -1 ? null : s.slice(eq + 1)})
    }
  } else if (isMap(v)) {
    for (const [k, x] of Object.entries(v)) {
      // GitLab: {value, description}
      const value = isMap(x) ? x.value : x
      into.set(k, {at: pos.at([...at, k]), from: 'env', value: isNil(value) ? null : str(value)})
    }
  }

  return into
}

/** `${VAR:-default}` and `${VAR-default}` take their default; other variables stay as written. */
/**
 * The fields of a short bind spec (`SRC:DST[:MODE]`, as compose, `docker run -v` and CI volumes write it), split at the
 * colons outside `${…}`: a source such as `${DOCKER_SOCK:-/var/run/docker.sock}` keeps its default.
 */
export function bindParts(spec: string): string[] {
  const parts: string[] = []
  let depth = 0
  let from = 0
  for (let i = 0; i < spec.length; i++) {
    const ch = spec[i]
    if (ch === '$' && spec[i + 1] === '{') {
      depth++
      i++
    } else if (ch === '}' && depth > 0) depth--
    else if (ch === ':' && depth === 0) {
      parts.push(spec.slice(from, i))
      from = i + 1
    }
  }

  parts.push(spec.slice(from))
  return parts
}

export function withDefaults(s: string): string {
  return s.replaceAll(/\$\{[A-Za-z_]\w*:?-([^}]*)\}/g, '$1')
}

/** Classify a host path; one still holding a variable is judged by the socket file it is mounted as. */
export function classifyBind(source: string, target: string): HostPathClass | null {
  const c = classifyHostPath(source)
  if (c || !source.includes('$')) return c
  return SOCKET_FILES.has(path.posix.basename(target.replace(/\/+$/, ''))) ? {kind: 'socket', normalized: source} : null
}

/** Volumes and mounts of one container being built (host paths become volumes named by their source). */
export class MountSet {
  readonly mounts: Mount[] = []

  constructor(readonly volumes: Map<string, VolumeInfo>) {}

  /**
   * Add a mount. `source` is a host path (absolute, relative, ~ or a variable) or a named volume whose host path the
   * caller knows (`named`); anything else (anonymous volumes, tmpfs) is an ordinary volume.
   */
  add(source: string, target: string, at: Needle[], named?: {hostPath?: string; raw: Obj}): void {
    if (!target) return
    const isHost = /^[/.~$]/.test(source)
    const name = source || target
    if (!this.volumes.has(name)) {
      const hostPath = isHost ? withDefaults(source) : named?.hostPath
      this.volumes.set(name, {
        at,
        hostPath,
        hostPathClass: hostPath === undefined ? null : classifyBind(hostPath, target),
        name,
        raw: named?.raw ?? {},
      })
    }

    this.mounts.push({at, mountPath: target, name})
  }
}

/** Container ports of compose/CI port specs: `2375`, `"2375:2375"`, `"127.0.0.1:8080:2375/tcp"`, `{target: 2375}`. */
export function portsOf(v: unknown): number[] {
  if (!Array.isArray(v)) return []
  const out: number[] = []
  for (const p of v) {
    const spec = isMap(p) ? str(p.target) : str(p)
    const n = Number(spec.split('/')[0].split(':').at(-1))
    if (Number.isInteger(n) && n > 0) out.push(n)
  }

  return out
}

/** Split a shell-like option string into words (quotes respected, no expansion). */
export function splitArgs(s: string): string[] {
  const out: string[] = []
  for (const m of s.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)) out.push(m[1] ?? m[2] ?? m[3])
  return out
}

export interface DockerOptions {
  capAdd: string[]
  mounts: {source: string; target: string}[]
  ports: number[]
  privileged: boolean
}

/** The `docker create` options GitHub Actions passes through (`container.options`, `services.*.options`). */
export function dockerOptions(s: string): DockerOptions {
  const out: DockerOptions = {capAdd: [], mounts: [], ports: [], privileged: false}
  const args = splitArgs(s)
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i].startsWith('--') && args[i].includes('=') ? args[i].split(/=(.*)/s) : [args[i]]
    const value = () => inline ?? args[++i] ?? ''
    switch (flag) {
      case '--cap-add': {
        out.capAdd.push(value())
        break
      }

      case '--mount': {
        const kv = Object.fromEntries(
          value()
            .split(',')
            .map((x) => x.split('=')),
        )
        const source = kv.source ?? kv.src
        const target = kv.target ?? kv.dst ?? kv.destination
        if ((kv.type ?? 'volume') === 'bind' && source && target) out.mounts.push({source, target})
        break
      }

      case '--privileged': {
        out.privileged = inline === undefined || inline === 'true'
        break
      }

      case '--publish':
      case '-p': {
        out.ports.push(...portsOf([value()]))
        break
      }

      case '--volume':
      case '-v': {
        const [source, target] = bindParts(value())
        if (target !== undefined) out.mounts.push({source, target})
        break
      }

      default:
      // other options do not matter to the rules
    }
  }

  return out
}
