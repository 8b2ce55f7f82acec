/**
 * `doctor --fix` for a docker-compose file (the model reads it as one workload whose containers are the services,
 * model/compose.ts). For the Fabric services (peer, tools/CLI, orderer):
 *  - Docker-in-Docker services that only Fabric services use are removed, with the `depends_on`/`links` entries that
 *    name them and the top-level named volumes only they used;
 *  - runtime-socket bind mounts (short `SRC:DST` and long `{type: bind, source, target}` syntax, or a named volume
 *    bound to a socket directory) are removed from each Fabric service; another service keeps its socket (a build or
 *    monitoring container may need it) and is listed;
 *  - CORE_VM_ENDPOINT becomes empty where `environment:` sets it (`- CORE_VM_ENDPOINT=` in a list, `""` in a mapping);
 *  - a peer whose Docker set-up changed and that shows no external builder gets CORE_CHAINCODE_EXTERNALBUILDERS and
 *    CHAINCODE_AS_A_SERVICE_BUILDER_CONFIG {"peername": CORE_PEER_ID, container_name or the service name};
 *  - `privileged: true` is dropped from the Fabric services whose Docker set-up changed.
 * An `env_file` cannot be edited (doctor does not read it): a changed peer that has one is listed with the reason.
 */
import {isMap, isScalar, isSeq, type Node, type YAMLMap} from 'yaml'

import {composeWorkload} from '../model/compose.js'
import {bindParts} from '../model/containers.js'
import {dindReasons} from '../model/dind.js'
import {externalBuilderEvidence, isPeer} from '../model/fabric.js'
import {type Analyzed, type ContainerInfo, type Obj, str, type VolumeInfo} from '../model/types.js'
import {
  addEnv,
  asMap,
  builderVars,
  emptyEnv,
  FileFix,
  type FixPlan,
  type FormatInput,
  isFabric,
  line,
  matching,
  noConfigMaps,
  own,
  peerName,
  removeFromList,
  type Suppressed,
} from './common.js'
import {CannotEdit, pairOf, removePair} from './edits.js'

const PATHLIKE = /^[/.~$]/

interface Service {
  c: ContainerInfo
  js: Obj
  name: string
  node: YAMLMap
}

/** A volume entry as the model reads it: the volume's name in the workload (host path or named volume). */
function volumeName(v: unknown): null | string {
  if (typeof v === 'string') {
    const parts = bindParts(v)
    return parts.length < 2 ? null : parts[0] || parts[1]
  }

  if (v && typeof v === 'object' && !Array.isArray(v)) {
    const o = v as Obj
    if ((o.type !== 'bind' && o.type !== 'volume') || typeof o.target !== 'string') return null
    const source = str(o.source)
    return (o.type === 'bind' && source && !PATHLIKE.test(source) ? './' + source : source) || o.target
  }

  return null
}

/** A `volumes:` entry that mounts a runtime socket (or a directory holding one) from the host. */
function isSocket(volumes: Map<string, VolumeInfo>, v: unknown): boolean {
  const n = volumeName(v)
  return n !== null && Boolean(volumes.get(n)?.hostPathClass)
}

/** Named volumes (not host paths) a service's `volumes:` use. */
function namedVolumes(js: Obj): string[] {
  if (!Array.isArray(js.volumes)) return []
  return js.volumes.flatMap((v: unknown) => {
    const n = volumeName(v)
    return n && !PATHLIKE.test(n) ? [n] : []
  })
}

/** Host names a service answers to on the compose network. */
function hostNames(s: Service): string[] {
  const out = [s.name]
  if (typeof s.js.container_name === 'string') out.push(s.js.container_name)
  if (typeof s.js.hostname === 'string') out.push(s.js.hostname)
  return out
}

function mentions(value: null | string, hosts: string[]): boolean {
  if (!value) return false
  return hosts.some((h) => new RegExp(String.raw`(^|[/@\s,=])${h.replaceAll('.', String.raw`\.`)}(:|/|$)`).test(value))
}

function dependsOn(js: Obj): string[] {
  if (Array.isArray(js.depends_on)) return js.depends_on.map((x: unknown) => str(x))
  return js.depends_on && typeof js.depends_on === 'object' ? Object.keys(js.depends_on) : []
}

function links(js: Obj): string[] {
  return Array.isArray(js.links) ? js.links.map((x: unknown) => str(x).split(':')[0]) : []
}

class ComposeFix extends FileFix {
  private readonly removed = new Set<Service>()
  /** Indexes of `volumes:` items removed, per service. */
  private readonly removedMounts = new Map<Service, Set<number>>()
  private readonly services: Service[] = []
  private readonly servicesNode: undefined | YAMLMap

  constructor(
    plan: FixPlan,
    private readonly input: FormatInput,
    a: Analyzed,
    suppressed: Suppressed,
  ) {
    super(plan, input.file, input.text, a, suppressed)
    this.servicesNode = asMap(input.node.get('services', true))
    const byName = new Map(a.workload!.containers.map((c) => [c.name, c]))
    if (!this.servicesNode) return
    for (const p of this.servicesNode.items) {
      const name = isScalar(p.key) ? String(p.key.value) : ''
      const c = byName.get(name)
      if (c && isMap(p.value)) this.services.push({c, js: c.raw, name, node: p.value})
    }
  }

  run(): void {
    if (!this.servicesNode) return
    this.dind()
    this.sockets()
    this.dropTopVolumes()
    this.endpoints()
    this.builders()
    this.privileged()
  }

  private builders(): void {
    for (const s of this.services) {
      if (this.removed.has(s) || !isPeer(s.c) || !this.touched.has(s.c)) continue
      if (this.envFile(s)) continue
      if (externalBuilderEvidence(this.a, s.c) || this.isSuppressed('peer-no-external-builder', s.c)) continue
      const name = peerName(s.c, s.js.container_name, s.name)
      this.attempt('peer-no-external-builder', s.c, () => {
        const edit = addEnv(this.text, s.node, 'environment', builderVars(s.c, name))
        this.add(
          'peer-no-external-builder',
          s.c,
          `ccaas_builder external builder added to service "${s.name}" (peername ${name})`,
          [edit],
        )
      })
    }
  }

  private dind(): void {
    const fabric = this.services.filter((s) => isFabric(s.c) && dindReasons(s.c).length === 0)
    for (const d of this.services) {
      if (dindReasons(d.c).length === 0 || this.isSuppressed('dind-sidecar', d.c)) continue
      const users = this.usersOf(d)
      const others = users.filter((u) => !isFabric(u.s.c) && dindReasons(u.s.c).length === 0)
      if (fabric.length === 0) {
        this.notFixed('dind-sidecar', d.c, 'no Fabric service in this file: something else may need this daemon')
        continue
      }

      if (others.length > 0) {
        this.notFixed(
          'dind-sidecar',
          d.c,
          `used by ${others.map((u) => `service "${u.s.name}" (${u.how})`).join(', ')}, not a Fabric container: it may need the daemon`,
        )
        continue
      }

      this.attempt('dind-sidecar', d.c, () => {
        const edits = removePair(this.text, this.servicesNode!, d.name)
        this.removed.add(d)
        this.add('dind-sidecar', d.c, `removed the Docker-in-Docker service "${d.name}"`, edits)
        for (const u of users) this.touched.add(u.s.c)
      })
    }

    if (this.removed.size === 0) return
    const gone = new Set([...this.removed].map((s) => s.name))
    for (const s of this.services) {
      if (this.removed.has(s)) continue
      for (const key of ['depends_on', 'links'] as const) {
        this.attempt('dind-sidecar', s.c, () => {
          const v = own(s.node, key, `${key} of service "${s.name}"`)
          if (isSeq(v)) {
            const idx = matching(v, (x) => gone.has(str(x).split(':')[0]))
            const edits = removeFromList(this.text, s.node, key, v, idx)
            this.add('dind-sidecar', null, `removed ${key} ${[...gone].join(', ')} from service "${s.name}"`, edits)
          } else if (isMap(v)) {
            const keys = v.items.flatMap((p) => (isScalar(p.key) && gone.has(String(p.key.value)) ? [String(p.key.value)] : []))
            const edits =
              keys.length === v.items.length
                ? removePair(this.text, s.node, key)
                : keys.flatMap((k) => removePair(this.text, v, k))
            this.add('dind-sidecar', null, `removed ${key} ${keys.join(', ')} from service "${s.name}"`, edits)
          }
        })
      }
    }

  }

  /** Top-level named volumes that only removed services or removed mounts used. */
  private dropTopVolumes(): void {
    const top = asMap(this.input.node.get('volumes', true))
    if (!top) return
    const kept = new Set(this.services.flatMap((s) => this.namedOf(s, false)))
    const drop = new Set(
      this.services.flatMap((s) => this.namedOf(s, true)).filter((n) => !kept.has(n) && pairOf(top, n)),
    )
    if (drop.size === 0) return
    try {
      this.also(
        drop.size === top.items.length
          ? removePair(this.text, this.input.node, 'volumes')
          : [...drop].flatMap((n) => removePair(this.text, top, n)),
      )
    } catch (error) {
      if (!(error instanceof CannotEdit)) throw error // the volumes stay declared: harmless
    }
  }

  private endpoints(): void {
    for (const s of this.services) {
      if (this.removed.has(s)) continue
      const e = s.c.env.get('CORE_VM_ENDPOINT')
      if (!e || (e.value !== null && e.value.trim() === '')) continue
      const peer = isPeer(s.c)
      const rule = peer ? 'peer-vm-endpoint' : 'vm-endpoint-non-peer'
      if (!isFabric(s.c) || this.isSuppressed(rule, s.c)) continue
      this.attempt(rule, s.c, () => {
        const env = own(s.node, 'environment', `environment of service "${s.name}"`)
        if (env === undefined) throw new CannotEdit(`CORE_VM_ENDPOINT of service "${s.name}" is not written in it`)
        const edit = emptyEnv(this.text, env, 'CORE_VM_ENDPOINT')
        this.add(rule, s.c, `CORE_VM_ENDPOINT set to empty in service "${s.name}"`, [edit])
      })
    }
  }

  /** A changed peer with an env_file: listed (it may set CORE_VM_ENDPOINT or the builders); true when listed. */
  private envFile(s: Service): boolean {
    if (s.js.env_file === undefined) return false
    const files = (Array.isArray(s.js.env_file) ? s.js.env_file : [s.js.env_file]).map((f: unknown) =>
      typeof f === 'object' && f ? str((f as Obj).path) : str(f),
    )
    const key = (pairOf(s.node, 'env_file')?.key ?? s.node) as Node
    this.notFixed(
      'peer-vm-endpoint',
      s.c,
      `env_file entries cannot be edited: make sure ${files.join(', ')} sets CORE_VM_ENDPOINT empty and CORE_CHAINCODE_EXTERNALBUILDERS to the ccaas_builder (or set both under environment:, which overrides env_file)`,
      {
        line: line(this.text, key.range?.[0] ?? 0),
        message: `${this.a.kind} ${this.a.name}: peer service "${s.name}" reads env_file ${files.join(', ')}, which doctor does not read; its Docker set-up was removed here`,
      },
    )
    return true
  }

  /** Named volumes of a service's mounts that were removed (or kept). */
  private namedOf(s: Service, removed: boolean): string[] {
    if (!Array.isArray(s.js.volumes)) return []
    return s.js.volumes.flatMap((v: unknown, i: number) => {
      const n = volumeName(v)
      const gone = this.removed.has(s) || Boolean(this.removedMounts.get(s)?.has(i))
      return n && !PATHLIKE.test(n) && gone === removed ? [n] : []
    })
  }

  private privileged(): void {
    for (const s of this.services) {
      if (this.removed.has(s) || !s.c.sc.privileged || !isFabric(s.c) || !this.touched.has(s.c)) continue
      if (this.isSuppressed('privileged-container', s.c)) continue
      this.attempt('privileged-container', s.c, () => {
        own(s.node, 'privileged', `privileged of service "${s.name}"`)
        const edits = removePair(this.text, s.node, 'privileged')
        if (edits.length === 0) throw new CannotEdit(`privileged is not written in service "${s.name}"`)
        this.add(
          'privileged-container',
          s.c,
          `privileged: true removed from service "${s.name}" (it needed it only for Docker)`,
          edits,
        )
      })
    }
  }

  private sockets(): void {
    const {volumes} = this.a.workload!
    for (const s of this.services) {
      if (this.removed.has(s) || !Array.isArray(s.js.volumes)) continue
      if (!s.js.volumes.some((v: unknown) => isSocket(volumes, v))) continue
      if (this.isSuppressed('docker-socket-mount', s.c)) continue
      if (!isFabric(s.c)) {
        this.notFixed(
          'docker-socket-mount',
          s.c,
          `service "${s.name}" (${s.c.image || 'no image'}) is not a Fabric container: it may need the socket`,
        )
        continue
      }

      this.attempt('docker-socket-mount', s.c, () => {
        const seq = own(s.node, 'volumes', `volumes of service "${s.name}"`)
        if (!isSeq(seq)) throw new CannotEdit(`volumes of service "${s.name}" is not a list`)
        const idx = matching(seq, (v) => isSocket(volumes, v))
        const what = idx.map((i) => {
          const n = volumeName(s.js.volumes[i])!
          const target = typeof s.js.volumes[i] === 'string' ? bindParts(s.js.volumes[i])[1] : s.js.volumes[i].target
          return `${volumes.get(n)?.hostPath ?? n} at ${target}`
        })
        const edits = removeFromList(this.text, s.node, 'volumes', seq, idx)
        this.add('docker-socket-mount', s.c, `removed the bind mount of ${what.join(', ')} from service "${s.name}"`, edits)
        this.removedMounts.set(s, new Set(idx))
      })
    }

  }

  /** The services that use a DinD service: through env (DOCKER_HOST, CORE_VM_ENDPOINT…), depends_on, links or volumes. */
  private usersOf(d: Service): {how: string; s: Service}[] {
    const hosts = hostNames(d)
    const vols = new Set(namedVolumes(d.js))
    const out: {how: string; s: Service}[] = []
    for (const s of this.services) {
      if (s === d) continue
      const env = [...s.c.env].find(([, e]) => mentions(e.value, hosts))
      if (env) out.push({how: `${env[0]}=${env[1].value}`, s})
      else if (dependsOn(s.js).includes(d.name)) out.push({how: `depends_on ${d.name}`, s})
      else if (links(s.js).includes(d.name)) out.push({how: `links ${d.name}`, s})
      else {
        const shared = namedVolumes(s.js).find((v) => vols.has(v))
        if (shared) out.push({how: `shares volume ${shared}`, s})
      }
    }

    return out
  }
}

export function fixCompose(plan: FixPlan, input: FormatInput, suppressed: Suppressed): void {
  const prepared = composeWorkload(input.value, input.pos, input.file)
  new ComposeFix(plan, input, {...prepared, ctx: noConfigMaps()}, suppressed).run()
}
