/**
 * The fabk8s.yaml schema, in one place: the typed shape every command reads, the defaults, and the validation
 * that turns raw YAML into it. Errors are collected with their field path; load.ts adds file and line.
 */
import {homedir} from 'node:os'
import {join, resolve} from 'node:path'

import {parseSignaturePolicy} from '../fabric/policy-dsl.js'
import {escapeControl, hasControl, show} from '../ui/text.js'

export const LANGUAGES = ['typescript', 'javascript', 'go', 'java'] as const
export type Language = (typeof LANGUAGES)[number]

/** Fabric's chaincode label rule (core/chaincode/persistence). */
export const LABEL_RE = /^[A-Za-z0-9][A-Za-z0-9_.+-]*$/
/** Kubernetes DNS-1123 label (names of Deployments, Services, namespaces). */
export const DNS1123_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/
/**
 * Fabric's rule for chaincode names (core/chaincode/lifecycle ChaincodeNameRegExp). Of the DNS-1123 names a project
 * may have, it refuses those with '--': the peers would refuse such a definition only at approve, after the installs.
 */
export const CHAINCODE_NAME_RE = /^[a-zA-Z0-9]+([-_][a-zA-Z0-9]+)*$/
/** repository[:tag][@digest], the way docker accepts a reference (lower-case repository). */
export const IMAGE_RE =
  /^(?:[a-zA-Z0-9.-]+(?::\d+)?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/
/** A Kubernetes object name (DNS-1123 subdomain): Secret names. */
export const DNS1123_SUBDOMAIN_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/
export const ADDRESS_RE = /^[^\s:]+:\d{1,5}$/
/** The ccaas builder's `{{.peername}}` (Go template spacing allowed): one chaincode Deployment per peer name. */
export const PEERNAME_TEMPLATE_RE = /\{\{-?\s*\.peername\s*-?\}\}/g
/** A peer name fabk8s can put into a Kubernetes name: lower-case letters, digits and '-'. */
export const PEERNAME_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/

/** Whether connection.json's address uses the builder's `{{.peername}}`. */
export function usesPeername(address: string): boolean {
  return new RegExp(PEERNAME_TEMPLATE_RE.source).test(address)
}

/** The address a peer with this builder peername dials (what the ccaas builder renders). */
export function renderPeerAddress(address: string, peername: string): string {
  return address.replaceAll(PEERNAME_TEMPLATE_RE, peername)
}

/**
 * A path from fabk8s.yaml, made absolute: `~` and `~/…` are the home folder (os.homedir(), as the shell expands
 * them, so paths copied from tutorials work), anything else is relative to the project folder. `~user/…` is not
 * expanded; validateProject refuses it before it gets here.
 */
export function resolveProjectPath(dir: string, p: string): string {
  return p === '~' || p.startsWith('~/') ? join(homedir(), p.slice(1)) : resolve(dir, p)
}

/** A docker image tag (the default image is <name>:<version>, so the version must be one). */
export const TAG_RE = /^\w[\w.-]{0,127}$/
const DURATION_RE = /^\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h)$/

export interface TlsConfig {
  /** The chaincode server's certificate and key (mounted from a Secret). */
  cert: string
  /** mTLS: the peer must present a client certificate (connection.json client_auth_required). */
  clientAuth: boolean
  /** Absolute paths (resolved against the project dir); set when enabled. */
  clientCert: string
  clientKey: string
  enabled: boolean
  key: string
  /** The CA that signed the chaincode server's certificate (connection.json root_cert). */
  rootCert: string
}

export interface PeerConfig {
  address: string
  /** Name to check in the peer's TLS certificate when it differs from the address host. */
  hostnameOverride?: string
  /**
   * The `peername` of the peer's CHAINCODE_AS_A_SERVICE_BUILDER_CONFIG: what the ccaas builder puts for
   * `{{.peername}}` in connection.json's address. With such an address, each peer name gets its own Deployment.
   */
  peername?: string
  tlsCACert: string
}

export interface OrgConfig {
  mspId: string
  /** The org admin's MSP folder (signcerts + keystore). */
  mspPath: string
  peers: PeerConfig[]
}

export interface NetworkConfig {
  channel: string
  orderer: PeerConfig
  orgs: OrgConfig[]
}

export interface DefinitionConfig {
  channelConfigPolicy?: string
  /** Absolute path of a collections config JSON (same format as the peer CLI). */
  collectionsConfig?: string
  endorsementPlugin?: string
  initRequired: boolean
  signaturePolicy?: string
  validationPlugin?: string
}

/** How the peers reach the chaincode pods: a ClusterIP Service (peers in the cluster), or a NodePort (peers outside). */
export interface ServiceConfig {
  /** NodePort: the fixed node port (30000-32767), so connection.json (and the package ID) never changes. */
  nodePort?: number
  type: 'ClusterIP' | 'NodePort'
}

/** fabk8s.yaml image.registry / image.pullSecrets. */
export interface ImagePullConfig {
  /** Secret names (kubernetes.io/dockerconfigjson) the pods pull with; created by you, never by fabk8s. */
  pullSecrets: string[]
  /** host[:port][/path] to push to (registry mode), e.g. ghcr.io/acme or localhost:5000. */
  registry?: string
}

/** A registry to push to: host[:port] with optional /path, no scheme, tag or digest. */
export const REGISTRY_RE = /^[a-zA-Z0-9.-]+(?::\d{1,5})?(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/

export const SERVICE_TYPES = ['ClusterIP', 'NodePort'] as const
export const NODE_PORT_RANGE = [30_000, 32_767] as const

export interface ProjectConfig {
  chaincode: {
    /** Address the peer dials; goes into connection.json. */
    address: string
    dialTimeout: string
    port: number
    service: ServiceConfig
    tls: TlsConfig
  }
  definition: DefinitionConfig
  /** Folder holding fabk8s.yaml. */
  dir: string
  /** Absolute path of fabk8s.yaml. */
  file: string
  /** The local image tag to build (image, or image.name): repository:tag. */
  image: string
  /** Registry mode (image.registry): push there and deploy by digest; imagePullSecrets for the pods. */
  imagePull?: ImagePullConfig
  kind: {cluster: string}
  kubernetes: {context?: string; namespace: string}
  label: string
  language: Language
  name: string
  network?: NetworkConfig
  version: string
}

export interface SchemaIssue {
  message: string
  path: (number | string)[]
}

export function formatPath(path: (number | string)[]): string {
  let s = ''
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s ? `.${escapeControl(p)}` : escapeControl(p)
  return s
}

/** The keys each mapping of fabk8s.yaml may hold; anything else is an error naming the nearest valid key. */
export const KEYS = {
  chaincode: ['port', 'address', 'dialTimeout', 'tls', 'service'],
  definition: [
    'signaturePolicy',
    'channelConfigPolicy',
    'collectionsConfig',
    'initRequired',
    'endorsementPlugin',
    'validationPlugin',
  ],
  image: ['name', 'registry', 'pullSecrets'],
  kind: ['cluster'],
  kubernetes: ['namespace', 'context'],
  network: ['channel', 'orderer', 'orgs'],
  org: ['mspId', 'mspPath', 'peers'],
  peer: ['address', 'tlsCACert', 'hostnameOverride', 'peername'],
  service: ['type', 'nodePort'],
  tls: ['enabled', 'clientAuth', 'rootCert', 'cert', 'key', 'clientCert', 'clientKey'],
  top: ['name', 'version', 'label', 'language', 'image', 'chaincode', 'kubernetes', 'kind', 'definition', 'network'],
} as const

/** Keys people write that fabk8s deliberately does not take, and why. */
const KEY_HINTS: Record<string, string> = {
  domain:
    "the ccaas builder drops connection.json's domain; the server certificate needs a SAN for the host in chaincode.address",
}

/** Optimal string alignment distance (Levenshtein plus adjacent transpositions). */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({length: a.length + 1}, (_, i) => [i, ...Array.from({length: b.length}, () => 0)])
  for (let j = 1; j <= b.length; j++) d[0][j] = j
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1)
    }

  return d[a.length][b.length]
}

/** The valid key closest to `key` (case-insensitive), when it is close enough to be a typo. */
export function nearestKey(key: string, valid: readonly string[]): string | undefined {
  let best: string | undefined
  let bestD = Infinity
  for (const v of valid) {
    const dist = distance(key.toLowerCase(), v.toLowerCase())
    if (dist < bestD) [best, bestD] = [v, dist]
  }

  return bestD <= (key.length <= 4 ? 1 : Math.max(2, Math.floor(key.length / 4))) ? best : undefined
}

export function unknownKeyMessage(key: string, valid: readonly string[]): string {
  if (KEY_HINTS[key]) return `unknown key (${KEY_HINTS[key]})`
  const near = nearestKey(key, valid)
  return near ? `unknown key; did you mean ${near}?` : `unknown key (expected one of ${valid.join(', ')})`
}

type Obj = Record<string, unknown>
type Path = (number | string)[]

const absent = (v: unknown) => v === undefined || v === null || v === ''

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v)

const kindOf = (v: unknown) =>
  v === null || v === undefined ? 'an empty value' : Array.isArray(v) ? 'a list' : isObj(v) ? 'a mapping' : typeof v

const BOOLS: Record<string, boolean> = {false: false, False: false, FALSE: false, true: true, True: true, TRUE: true}

/** host:port with a port 1-65535; `template` also takes a ccaas builder template key as the port. */
function addressIssue(v: string, template = false): string | undefined {
  const m = /^(\S+):(\d{1,5}|\{\{[^}]+\}\})$/.exec(v)
  const port = m?.[2]
  if (!m || (!template && !/^\d+$/.test(port!)) || (!template && m[1].includes(':')))
    return `must be host:port, got ${show(v)}`
  if (/^\d+$/.test(port!) && (Number(port) < 1 || Number(port) > 65_535))
    return `must be host:port with a port 1-65535, got ${show(v)}`
  return undefined
}

export interface ValidateOptions {
  /** Paths (as formatPath writes them) whose value came from ${VAR} expansion: such text fills a number or boolean. */
  expanded?: ReadonlySet<string>
  /** The text of the scalar at a path as the file spells it (a YAML number's digits, e.g. 1.10 not 1.1). */
  source?: (path: Path) => string | undefined
}

/**
 * Validate raw (env-expanded) YAML data and apply defaults. Paths in the file are made absolute against `dir`, the
 * project folder (resolveProjectPath). Returns the config, or the list of issues (all of them, not only the first).
 */
export function validateProject(
  raw: unknown,
  dir: string,
  opts: ValidateOptions = {},
): {config?: Omit<ProjectConfig, 'dir' | 'file'>; issues: SchemaIssue[]} {
  const issues: SchemaIssue[] = []
  const bad = (path: Path, message: string) => {
    issues.push({message, path})
  }

  const expanded = opts.expanded ?? new Set<string>()

  if (!isObj(raw)) {
    bad([], 'the file must be a YAML mapping (name: …, version: …)')
    return {issues}
  }

  const keys = (o: Obj, path: Path, valid: readonly string[]) => {
    for (const k of Object.keys(o)) if (!valid.includes(k)) bad([...path, k], unknownKeyMessage(k, valid))
  }

  keys(raw, [], KEYS.top)

  /** A string field: a YAML number or boolean there is an error that says how to quote it (1.10 stays 1.10). */
  const str = (o: Obj, key: string, path: Path, opts2: {re?: RegExp; reMsg?: string; required?: boolean} = {}) => {
    const p = [...path, key]
    const v = o[key]
    if (v === undefined || v === null || v === '') {
      if (opts2.required) bad(p, 'required')
      return
    }

    if (typeof v === 'number' || typeof v === 'boolean') {
      const src = opts.source?.(p) ?? String(v)
      bad(p, `${escapeControl(src)} is a ${typeof v} in YAML; quote it: ${show(src)}`)
      return
    }

    if (typeof v !== 'string') {
      bad(p, `must be a string, got ${kindOf(v)}`)
      return
    }

    if (hasControl(v)) {
      bad(p, `must not hold control characters, got ${show(v)}`)
      return
    }

    if (opts2.re && !opts2.re.test(v)) {
      bad(p, opts2.reMsg ?? `invalid value ${show(v)}`)
      return
    }

    return v
  }

  /**
   * A path field, made absolute (resolveProjectPath). `~user/…` (another user's home) is an error: fabk8s does not
   * look up other users' homes, and a folder of the project named so is never what was meant.
   */
  const file = (o: Obj, key: string, path: Path, opts2: {required?: boolean} = {}): string | undefined => {
    const v = str(o, key, path, opts2)
    if (v === undefined) return
    if (/^~[^/]/.test(v)) {
      bad(
        [...path, key],
        `${show(v)}: only ~ and ~/ (your home folder) are expanded, not ~user; write the full path, or ${show(`./${v}`)} for a folder of the project`,
      )
      return
    }

    return resolveProjectPath(dir, v)
  }

  /** A number field: text from ${VAR} counts when it is digits. */
  const num = (o: Obj, key: string, path: Path): unknown => {
    const v = o[key]
    if (typeof v === 'string' && expanded.has(formatPath([...path, key])) && /^\s*\d+\s*$/.test(v)) return Number(v)
    return v
  }

  /** A boolean field (or one that may be): text from ${VAR} counts when it is a YAML boolean. */
  const boolish = (o: Obj, key: string, path: Path): unknown => {
    const v = o[key]
    if (typeof v === 'string' && expanded.has(formatPath([...path, key])) && v.trim() in BOOLS) return BOOLS[v.trim()]
    return v
  }

  const section = (o: Obj, key: string, path: Path, valid: readonly string[]): Obj => {
    const v = o[key]
    if (v === undefined || v === null) return {}
    if (!isObj(v)) {
      bad([...path, key], `must be a mapping, got ${kindOf(v)}`)
      return {}
    }

    keys(v, [...path, key], valid)
    return v
  }

  const bool = (o: Obj, key: string, path: Path, def: boolean): boolean => {
    const v = boolish(o, key, path)
    if (v === undefined || v === null) return def
    if (typeof v !== 'boolean') {
      bad([...path, key], `must be true or false, got ${show(v)}`)
      return def
    }

    return v
  }

  const name = str(raw, 'name', [], {
    re: DNS1123_RE,
    reMsg: `must be a lower-case DNS-1123 name (a-z, 0-9, '-'; it names Kubernetes resources), got ${show(raw.name)}`,
    required: true,
  })
  if (name && name.length > 53)
    bad(['name'], 'must be at most 53 characters (Kubernetes resource names derive from it)')
  // DNS-1123 allows '--'; Fabric's chaincode name rule does not
  else if (name && !CHAINCODE_NAME_RE.test(name))
    bad(
      ['name'],
      `must not hold '--' (Fabric's chaincode name rule: one '-' between letters or digits), got ${show(name)}`,
    )
  // Fabric's rule for definition versions (core/chaincode/lifecycle ChaincodeVersionRegExp): the peers refuse any
  // other at approve, after the installs
  const version = str(raw, 'version', [], {
    re: /^[\w.+-]+$/,
    reMsg: `must be letters, digits, '_', '.', '+', '-' (Fabric's rule for chaincode versions), got ${show(raw.version)}`,
    required: true,
  })
  const explicitLabel = str(raw, 'label', [], {
    re: LABEL_RE,
    reMsg: `must match ${LABEL_RE.source} (Fabric's label rule), got ${show(raw.label)}`,
  })
  let label = explicitLabel
  if (absent(raw.label) && name && version) {
    label = `${name}_${version}`
    if (!LABEL_RE.test(label)) {
      bad(
        ['version'],
        `${show(version)} cannot be part of the label ${show(label)} (<name>_<version>; Fabric's rule ${LABEL_RE.source}): use letters, digits, '_', '.', '+', '-', or set label`,
      )
      label = undefined
    }
  }

  const language = (str(raw, 'language', []) ?? 'typescript') as Language
  if (!LANGUAGES.includes(language)) bad(['language'], `must be one of ${LANGUAGES.join(', ')}, got ${show(language)}`)

  // image: repository:tag, or a mapping {name, registry, pullSecrets}
  const imageMap = isObj(raw.image) ? section(raw, 'image', [], KEYS.image) : undefined
  const imageRe = {
    re: IMAGE_RE,
    reMsg: `must be an image reference like repository:tag, got ${show(imageMap ? imageMap.name : raw.image)}`,
  }
  let image = imageMap ? str(imageMap, 'name', ['image'], imageRe) : str(raw, 'image', [], imageRe)
  const imagePull: ImagePullConfig = {pullSecrets: []}
  if (imageMap) {
    imagePull.registry = str(imageMap, 'registry', ['image'], {
      re: REGISTRY_RE,
      reMsg: `must be a registry host[:port][/path] without scheme or tag (e.g. ghcr.io/acme, localhost:5000), got ${show(imageMap.registry)}`,
    })
    const ps = imageMap.pullSecrets
    if (ps !== undefined && ps !== null) {
      if (Array.isArray(ps))
        for (const [i, v] of ps.entries()) {
          if (typeof v === 'string' && DNS1123_SUBDOMAIN_RE.test(v)) imagePull.pullSecrets.push(v)
          else
            bad(['image', 'pullSecrets', i], `must be the name of a Secret in the namespace (DNS-1123), got ${show(v)}`)
        }
      else bad(['image', 'pullSecrets'], `must be a list of Secret names, got ${kindOf(ps)}`)
    }
  }

  if (absent(imageMap ? imageMap.name : raw.image) && name && version) {
    if (TAG_RE.test(version)) image = `${name}:${version}`.toLowerCase()
    else
      bad(
        ['version'],
        `${show(version)} cannot be an image tag, and the default image is <name>:<version>: use letters, digits, '_', '.', '-' (at most 128), or set image`,
      )
  }

  const kube = section(raw, 'kubernetes', [], KEYS.kubernetes)
  const namespace =
    str(kube, 'namespace', ['kubernetes'], {
      re: DNS1123_RE,
      reMsg: `must be a DNS-1123 name (a-z, 0-9, '-'), got ${show(kube.namespace)}`,
    }) ?? 'fabk8s'
  if (namespace.length > 63) bad(['kubernetes', 'namespace'], 'must be at most 63 characters (a DNS-1123 label)')
  const context = str(kube, 'context', ['kubernetes'])

  const kind = section(raw, 'kind', [], KEYS.kind)
  const cluster = str(kind, 'cluster', ['kind']) ?? 'kind'

  const cc = section(raw, 'chaincode', [], KEYS.chaincode)
  let port = 9999
  const ccPort = num(cc, 'port', ['chaincode'])
  if (ccPort !== undefined && ccPort !== null) {
    if (typeof ccPort === 'number' && Number.isInteger(ccPort) && ccPort > 0 && ccPort < 65_536) port = ccPort
    else bad(['chaincode', 'port'], `must be a port number 1-65535, got ${show(ccPort)}`)
  }

  let address = str(cc, 'address', ['chaincode'])
  if (address !== undefined) {
    const why = addressIssue(address, true)
    if (why) {
      bad(['chaincode', 'address'], why)
      address = undefined
    }
  }

  address ??= `${name ?? 'chaincode'}.${namespace}.svc.cluster.local:${port}`
  const dialTimeout =
    str(cc, 'dialTimeout', ['chaincode'], {
      re: DURATION_RE,
      reMsg: `must be a Go duration such as 10s, got ${show(cc.dialTimeout)}`,
    }) ?? '10s'

  const svcPath = ['chaincode', 'service']
  const svc = section(cc, 'service', ['chaincode'], KEYS.service)
  const serviceType = (str(svc, 'type', svcPath) ?? 'ClusterIP') as ServiceConfig['type']
  if (!SERVICE_TYPES.includes(serviceType))
    bad([...svcPath, 'type'], `must be one of ${SERVICE_TYPES.join(', ')}, got ${show(serviceType)}`)
  let nodePort: number | undefined
  const np = num(svc, 'nodePort', svcPath)
  if (np !== undefined && np !== null) {
    const [lo, hi] = NODE_PORT_RANGE
    if (typeof np === 'number' && Number.isInteger(np) && np >= lo && np <= hi) nodePort = np
    else bad([...svcPath, 'nodePort'], `must be a node port ${lo}-${hi}, got ${show(np)}`)
    if (serviceType !== 'NodePort') bad([...svcPath, 'nodePort'], 'only with type: NodePort')
  }

  if (serviceType === 'NodePort') {
    if (np === undefined || np === null)
      bad(
        [...svcPath, 'nodePort'],
        'required with type NodePort: a fixed port (30000-32767), so the address in connection.json never changes',
      )
    if (cc.address === undefined || cc.address === null)
      bad(
        ['chaincode', 'address'],
        'required with chaincode.service.type NodePort: the host:port the peers dial (a node address and the nodePort)',
      )
  }

  let tls: TlsConfig = {
    cert: resolve(dir, 'tls/server.crt'),
    clientAuth: false,
    clientCert: resolve(dir, 'tls/client.crt'),
    clientKey: resolve(dir, 'tls/client.key'),
    enabled: false,
    key: resolve(dir, 'tls/server.key'),
    rootCert: resolve(dir, 'tls/ca.crt'),
  }
  const ccTls = boolish(cc, 'tls', ['chaincode'])
  if (typeof ccTls === 'boolean') tls.enabled = ccTls
  else if (isObj(ccTls)) {
    const p = ['chaincode', 'tls']
    const t = section(cc, 'tls', ['chaincode'], KEYS.tls)
    tls = {
      cert: file(t, 'cert', p) ?? tls.cert,
      clientAuth: bool(t, 'clientAuth', p, false),
      clientCert: file(t, 'clientCert', p) ?? tls.clientCert,
      clientKey: file(t, 'clientKey', p) ?? tls.clientKey,
      enabled: bool(t, 'enabled', p, true),
      key: file(t, 'key', p) ?? tls.key,
      rootCert: file(t, 'rootCert', p) ?? tls.rootCert,
    }
  } else if (ccTls !== undefined && ccTls !== null)
    bad(['chaincode', 'tls'], `must be true, false or a mapping, got ${show(ccTls)}`)

  const def = section(raw, 'definition', [], KEYS.definition)
  const definition: DefinitionConfig = {
    channelConfigPolicy: str(def, 'channelConfigPolicy', ['definition']),
    collectionsConfig: file(def, 'collectionsConfig', ['definition']),
    endorsementPlugin: str(def, 'endorsementPlugin', ['definition']),
    initRequired: bool(def, 'initRequired', ['definition'], false),
    signaturePolicy: str(def, 'signaturePolicy', ['definition']),
    validationPlugin: str(def, 'validationPlugin', ['definition']),
  }
  if (definition.signaturePolicy && definition.channelConfigPolicy)
    bad(['definition', 'signaturePolicy'], 'set signaturePolicy or channelConfigPolicy, not both')
  else if (definition.signaturePolicy)
    try {
      parseSignaturePolicy(definition.signaturePolicy)
    } catch (error) {
      bad(['definition', 'signaturePolicy'], (error as Error).message)
    }

  let network: NetworkConfig | undefined
  /** Every peer entry read (with its peername, if valid): the {{.peername}} checks below name them. */
  const peerPaths: {path: Path; peername?: string}[] = []
  // a network that is not a mapping is one error, not one for each field it cannot hold
  if (raw.network !== undefined && raw.network !== null && !isObj(raw.network))
    bad(['network'], `must be a mapping (channel, orderer, orgs), got ${kindOf(raw.network)}`)
  else if (raw.network !== undefined && raw.network !== null) {
    const n = section(raw, 'network', [], KEYS.network)
    const peer = (o: unknown, path: Path): PeerConfig | undefined => {
      if (!isObj(o)) {
        bad(path, `must be a mapping with address and tlsCACert, got ${kindOf(o)}`)
        return undefined
      }

      keys(o, path, KEYS.peer)
      let addr = str(o, 'address', path, {required: true})
      const why = addr === undefined ? undefined : addressIssue(addr)
      if (why) {
        bad([...path, 'address'], why)
        addr = undefined
      }

      const ca = file(o, 'tlsCACert', path, {required: true})
      const hostnameOverride = str(o, 'hostnameOverride', path)
      const isOrderer = path[1] === 'orderer'
      if (isOrderer && !absent(o.peername))
        bad([...path, 'peername'], 'only peers have a peername (the orderer runs no chaincode)')
      const peername = isOrderer
        ? undefined
        : str(o, 'peername', path, {
            re: PEERNAME_RE,
            reMsg: `must be lower-case letters, digits and '-' (it becomes part of Kubernetes names), got ${show(o.peername)}`,
          })
      if (!isOrderer) peerPaths.push({path, peername})
      if (!addr || !ca) return undefined
      return {address: addr, hostnameOverride, ...(peername ? {peername} : {}), tlsCACert: ca}
    }

    // no orderer (or `orderer:` with nothing after it) is one error: required
    let orderer: PeerConfig | undefined
    if (absent(n.orderer)) bad(['network', 'orderer'], 'required: {address, tlsCACert}')
    else orderer = peer(n.orderer, ['network', 'orderer'])
    const orgs: OrgConfig[] = []
    const seenMsp = new Map<string, number>()
    if (!Array.isArray(n.orgs) || n.orgs.length === 0)
      bad(['network', 'orgs'], 'required: a list of orgs (mspId, mspPath, peers)')
    else
      for (const [i, o] of n.orgs.entries()) {
        const path = ['network', 'orgs', i]
        if (!isObj(o)) {
          bad(path, `must be a mapping with mspId, mspPath and peers, got ${kindOf(o)}`)
          continue
        }

        keys(o, path, KEYS.org)
        const mspId = str(o, 'mspId', path, {required: true})
        // one entry per org (its peers listed together): a second one is a copy left unchanged, and fabk8s would
        // sign for that org with the other entry's admin
        const first = mspId === undefined ? undefined : seenMsp.get(mspId)
        if (first !== undefined)
          bad(
            [...path, 'mspId'],
            `${show(mspId)} is also network.orgs[${first}].mspId: list each org once, with all its peers under peers`,
          )
        else if (mspId !== undefined) seenMsp.set(mspId, i)
        const mspPath = file(o, 'mspPath', path, {required: true})
        const peers: PeerConfig[] = []
        if (!Array.isArray(o.peers) || o.peers.length === 0)
          bad([...path, 'peers'], 'required: at least one peer (address, tlsCACert)')
        else
          for (const [j, p] of o.peers.entries()) {
            const pc = peer(p, [...path, 'peers', j])
            if (pc) peers.push(pc)
          }

        if (mspId && mspPath) orgs.push({mspId, mspPath, peers})
      }

    const channel =
      str(n, 'channel', ['network'], {
        re: /^[a-z][a-z0-9.-]*$/,
        reMsg: `must be a Fabric channel name (lower-case letters, digits, . and -), got ${show(n.channel)}`,
      }) ?? 'mychannel'
    if (channel.length > 249) bad(['network', 'channel'], 'must be at most 249 characters (Fabric channel name)')
    if (orderer) network = {channel, orderer, orgs}
  }

  if (usesPeername(address)) perPeerIssues({address, bad, network: raw.network, peerPaths, serviceType})

  if (issues.length > 0) return {issues}
  return {
    config: {
      chaincode: {address, dialTimeout, port, service: {nodePort, type: serviceType}, tls},
      definition,
      image: image!,
      imagePull,
      kind: {cluster},
      kubernetes: {context, namespace},
      label: label!,
      language,
      name: name!,
      network,
      version: version!,
    },
    issues,
  }
}

/**
 * chaincode.address with the builder's `{{.peername}}`: fabk8s runs one Deployment + Service per peer name, named
 * after the first label of the address each peer dials, so every peer needs its peername and every rendered name
 * must be a Kubernetes name.
 */
function perPeerIssues(o: {
  address: string
  bad: (path: Path, message: string) => void
  network: unknown
  peerPaths: {path: Path; peername?: string}[]
  serviceType: ServiceConfig['type']
}): void {
  const {address, bad} = o
  const at = ['chaincode', 'address']
  // the template itself holds a dot: find the first label with a stand-in for it
  const marker = 'fabk8speername'
  const first = renderPeerAddress(address.slice(0, address.lastIndexOf(':')), marker).split('.')[0]
  if (!first.includes(marker)) {
    bad(
      at,
      `{{.peername}} must be in the host's first label, which names each peer's Service (e.g. {{.peername}}-mycc.fabk8s.svc.cluster.local:9999), got ${show(address)}`,
    )
    return
  }

  if (/\{\{/.test(renderPeerAddress(address, 'x'))) {
    bad(at, `fabk8s fills in only {{.peername}} of the ccaas builder's template keys, got ${show(address)}`)
    return
  }

  if (o.serviceType === 'NodePort')
    bad(
      ['chaincode', 'service', 'type'],
      "NodePort cannot serve {{.peername}} in chaincode.address: every peer's Service would need the same node port; use ClusterIP (peers in the cluster)",
    )
  if (o.network === undefined || o.network === null) {
    bad(
      at,
      'uses {{.peername}}: list the peers, each with its peername, under network.orgs[].peers (fabk8s runs one Deployment per peer name)',
    )
    return
  }

  for (const p of o.peerPaths) {
    if (!p.peername) {
      bad(
        [...p.path, 'peername'],
        "required: chaincode.address uses {{.peername}}; give the peername of this peer's CHAINCODE_AS_A_SERVICE_BUILDER_CONFIG",
      )
      continue
    }

    const name = first.replaceAll(marker, p.peername)
    if (name.length > 63 || !DNS1123_RE.test(name))
      bad(
        [...p.path, 'peername'],
        `${show(p.peername)} makes the Service name ${show(name)} (the first label of chaincode.address), which is not a DNS-1123 label of at most 63 characters`,
      )
  }
}
