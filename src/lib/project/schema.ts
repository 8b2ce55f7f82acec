/**
 * The fabk8s.yaml schema, in one place: the typed shape every command reads, the defaults, and the validation
 * that turns raw YAML into it. Errors are collected with their field path; load.ts adds file and line.
 */

export const LANGUAGES = ['typescript', 'javascript', 'go'] as const
export type Language = (typeof LANGUAGES)[number]

/** Fabric's chaincode label rule (core/chaincode/persistence). */
export const LABEL_RE = /^[A-Za-z0-9][A-Za-z0-9_.+-]*$/
/** Kubernetes DNS-1123 label (names of Deployments, Services, namespaces). */
export const DNS1123_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/
/** repository[:tag][@digest], the way docker accepts a reference (lower-case repository). */
export const IMAGE_RE =
  /^(?:[a-zA-Z0-9.-]+(?::\d+)?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/
export const ADDRESS_RE = /^[^\s:]+:\d{1,5}$/
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
  image: string
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
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s ? `.${p}` : p
  return s
}

type Obj = Record<string, unknown>

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v)

/**
 * Validate raw (env-expanded) YAML data and apply defaults. `resolve` turns a path in the file into an absolute
 * path. Returns the config, or the list of issues (all of them, not only the first).
 */
export function validateProject(
  raw: unknown,
  resolve: (p: string) => string,
): {config?: Omit<ProjectConfig, 'dir' | 'file'>; issues: SchemaIssue[]} {
  const issues: SchemaIssue[] = []
  const bad = (path: (number | string)[], message: string) => {
    issues.push({message, path})
  }

  if (!isObj(raw)) {
    bad([], 'the file must be a YAML mapping (name: …, version: …)')
    return {issues}
  }

  const known = new Set([
    'chaincode',
    'definition',
    'image',
    'kind',
    'kubernetes',
    'label',
    'language',
    'name',
    'network',
    'version',
  ])
  for (const k of Object.keys(raw))
    if (!known.has(k)) bad([k], `unknown field (expected one of ${[...known].join(', ')})`)

  const str = (
    o: Obj,
    key: string,
    path: (number | string)[],
    opts: {re?: RegExp; reMsg?: string; required?: boolean} = {},
  ) => {
    const v = o[key]
    if (v === undefined || v === null || v === '') {
      if (opts.required) bad([...path, key], 'required')
      return
    }

    if (typeof v !== 'string' && typeof v !== 'number') {
      bad([...path, key], `must be a string, got ${Array.isArray(v) ? 'a list' : typeof v}`)
      return
    }

    const s = String(v)
    if (opts.re && !opts.re.test(s)) {
      bad([...path, key], opts.reMsg ?? `invalid value "${s}"`)
      return
    }

    return s
  }

  const section = (o: Obj, key: string, path: (number | string)[] = []): Obj => {
    const v = o[key]
    if (v === undefined || v === null) return {}
    if (!isObj(v)) {
      bad([...path, key], 'must be a mapping')
      return {}
    }

    return v
  }

  const bool = (o: Obj, key: string, path: (number | string)[], def: boolean): boolean => {
    const v = o[key]
    if (v === undefined || v === null) return def
    if (typeof v !== 'boolean') {
      bad([...path, key], 'must be true or false')
      return def
    }

    return v
  }

  const name = str(raw, 'name', [], {
    re: DNS1123_RE,
    reMsg: `must be a lower-case DNS-1123 name (a-z, 0-9, '-'; it names Kubernetes resources), got "${raw.name}"`,
    required: true,
  })
  if (name && name.length > 53)
    bad(['name'], 'must be at most 53 characters (Kubernetes resource names derive from it)')
  const version = str(raw, 'version', [], {required: true})
  const label =
    str(raw, 'label', [], {re: LABEL_RE, reMsg: `must match ${LABEL_RE.source} (Fabric's label rule)`}) ??
    (name && version ? `${name}_${version}` : undefined)
  if (label && !LABEL_RE.test(label))
    bad(
      ['label'],
      `"${label}" (name_version) does not match Fabric's label rule ${LABEL_RE.source}; set label explicitly`,
    )

  const language = (str(raw, 'language', []) ?? 'typescript') as Language
  if (!LANGUAGES.includes(language)) bad(['language'], `must be one of ${LANGUAGES.join(', ')}, got "${language}"`)

  const image =
    str(raw, 'image', [], {
      re: IMAGE_RE,
      reMsg: `must be an image reference like repository:tag, got "${raw.image}"`,
    }) ?? (name && version ? `${name}:${version}`.toLowerCase() : undefined)

  const kube = section(raw, 'kubernetes')
  const namespace =
    str(kube, 'namespace', ['kubernetes'], {re: DNS1123_RE, reMsg: 'must be a DNS-1123 name'}) ?? 'fabk8s'
  const context = str(kube, 'context', ['kubernetes'])

  const kind = section(raw, 'kind')
  const cluster = str(kind, 'cluster', ['kind']) ?? 'kind'

  const cc = section(raw, 'chaincode')
  let port = 9999
  if (cc.port !== undefined) {
    if (typeof cc.port === 'number' && Number.isInteger(cc.port) && cc.port > 0 && cc.port < 65_536) port = cc.port
    else bad(['chaincode', 'port'], `must be a port number 1-65535, got ${JSON.stringify(cc.port)}`)
  }

  const address =
    str(cc, 'address', ['chaincode'], {re: /^\S+:(\d{1,5}|\{\{[^}]+\}\})$/, reMsg: 'must be host:port'}) ??
    `${name ?? 'chaincode'}.${namespace}.svc.cluster.local:${port}`
  const dialTimeout =
    str(cc, 'dialTimeout', ['chaincode'], {re: DURATION_RE, reMsg: 'must be a Go duration such as 10s'}) ?? '10s'

  const svc = section(cc, 'service', ['chaincode'])
  const svcPath = ['chaincode', 'service']
  const serviceType = (str(svc, 'type', svcPath) ?? 'ClusterIP') as ServiceConfig['type']
  if (!SERVICE_TYPES.includes(serviceType))
    bad([...svcPath, 'type'], `must be one of ${SERVICE_TYPES.join(', ')}, got "${serviceType}"`)
  let nodePort: number | undefined
  if (svc.nodePort !== undefined) {
    const [lo, hi] = NODE_PORT_RANGE
    if (typeof svc.nodePort === 'number' && Number.isInteger(svc.nodePort) && svc.nodePort >= lo && svc.nodePort <= hi)
      nodePort = svc.nodePort
    else bad([...svcPath, 'nodePort'], `must be a node port ${lo}-${hi}, got ${JSON.stringify(svc.nodePort)}`)
    if (serviceType !== 'NodePort') bad([...svcPath, 'nodePort'], 'only with type: NodePort')
  }

  if (serviceType === 'NodePort') {
    if (svc.nodePort === undefined)
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
    cert: resolve('tls/server.crt'),
    clientAuth: false,
    clientCert: resolve('tls/client.crt'),
    clientKey: resolve('tls/client.key'),
    enabled: false,
    key: resolve('tls/server.key'),
    rootCert: resolve('tls/ca.crt'),
  }
  if (typeof cc.tls === 'boolean') tls.enabled = cc.tls
  else if (isObj(cc.tls)) {
    const t = cc.tls
    const p = ['chaincode', 'tls']
    tls = {
      cert: resolve(str(t, 'cert', p) ?? 'tls/server.crt'),
      clientAuth: bool(t, 'clientAuth', p, false),
      clientCert: resolve(str(t, 'clientCert', p) ?? 'tls/client.crt'),
      clientKey: resolve(str(t, 'clientKey', p) ?? 'tls/client.key'),
      enabled: bool(t, 'enabled', p, true),
      key: resolve(str(t, 'key', p) ?? 'tls/server.key'),
      rootCert: resolve(str(t, 'rootCert', p) ?? 'tls/ca.crt'),
    }
  } else if (cc.tls !== undefined && cc.tls !== null) bad(['chaincode', 'tls'], 'must be true, false or a mapping')

  const def = section(raw, 'definition')
  const collections = str(def, 'collectionsConfig', ['definition'])
  const definition: DefinitionConfig = {
    channelConfigPolicy: str(def, 'channelConfigPolicy', ['definition']),
    collectionsConfig: collections ? resolve(collections) : undefined,
    endorsementPlugin: str(def, 'endorsementPlugin', ['definition']),
    initRequired: bool(def, 'initRequired', ['definition'], false),
    signaturePolicy: str(def, 'signaturePolicy', ['definition']),
    validationPlugin: str(def, 'validationPlugin', ['definition']),
  }
  if (definition.signaturePolicy && definition.channelConfigPolicy)
    bad(['definition', 'signaturePolicy'], 'set signaturePolicy or channelConfigPolicy, not both')

  let network: NetworkConfig | undefined
  if (raw.network !== undefined && raw.network !== null) {
    const n = section(raw, 'network')
    const peer = (o: unknown, path: (number | string)[]): PeerConfig | undefined => {
      if (!isObj(o)) {
        bad(path, 'must be a mapping with address and tlsCACert')
        return undefined
      }

      const addr = str(o, 'address', path, {
        re: ADDRESS_RE,
        reMsg: `must be host:port, got "${o.address}"`,
        required: true,
      })
      const ca = str(o, 'tlsCACert', path, {required: true})
      const hostnameOverride = str(o, 'hostnameOverride', path)
      if (!addr || !ca) return undefined
      return {address: addr, hostnameOverride, tlsCACert: resolve(ca)}
    }

    const orderer = peer(n.orderer, ['network', 'orderer'])
    const orgs: OrgConfig[] = []
    if (!Array.isArray(n.orgs) || n.orgs.length === 0)
      bad(['network', 'orgs'], 'required: a list of orgs (mspId, mspPath, peers)')
    else
      for (const [i, o] of n.orgs.entries()) {
        const path = ['network', 'orgs', i]
        if (!isObj(o)) {
          bad(path, 'must be a mapping with mspId, mspPath and peers')
          continue
        }

        const mspId = str(o, 'mspId', path, {required: true})
        const mspPath = str(o, 'mspPath', path, {required: true})
        const peers: PeerConfig[] = []
        if (!Array.isArray(o.peers) || o.peers.length === 0)
          bad([...path, 'peers'], 'required: at least one peer (address, tlsCACert)')
        else
          for (const [j, p] of o.peers.entries()) {
            const pc = peer(p, [...path, 'peers', j])
            if (pc) peers.push(pc)
          }

        if (mspId && mspPath) orgs.push({mspId, mspPath: resolve(mspPath), peers})
      }

    const channel =
      str(n, 'channel', ['network'], {
        re: /^[a-z][a-z0-9.-]*$/,
        reMsg: 'must be a Fabric channel name (lower-case letters, digits, . and -)',
      }) ?? 'mychannel'
    if (orderer) network = {channel, orderer, orgs}
    else if (n.orderer === undefined) bad(['network', 'orderer'], 'required: {address, tlsCACert}')
  }

  if (issues.length > 0) return {issues}
  return {
    config: {
      chaincode: {address, dialTimeout, port, service: {nodePort, type: serviceType}, tls},
      definition,
      image: image!,
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
