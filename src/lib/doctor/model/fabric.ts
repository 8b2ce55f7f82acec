/**
 * Fabric heuristics shared by several rules: is a container a peer or a chaincode server, which CORE_VM_ENDPOINT
 * does it run with (env, envFrom, or a mounted core.yaml), and does it show an external builder.
 */
import type {Analyzed, ContainerInfo, CoreYaml, EnvValue, Mount, VolumeInfo} from './types.js'

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
export function mountedCoreYamls(a: Analyzed, c: ContainerInfo): {cm: string; core: CoreYaml; mount: Mount}[] {
  const out: {cm: string; core: CoreYaml; mount: Mount}[] = []
  const w = a.workload
  if (!w || a.ctx.configMaps.size === 0) return out
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
      if (core) out.push({cm: n, core, mount: m})
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
