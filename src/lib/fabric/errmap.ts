/**
 * Turn what gRPC, the peer and the Gateway report into one clear line with exit code FABRIC (9): which address,
 * which file, which org, what to do next. Pure: tested with the messages Fabric v2.5 and grpc-js produce.
 */
import {FabError} from '../errors.js'

export interface ErrContext {
  /** host:port that was called. */
  address: string
  /** Set when calling a user chaincode (invoke/query): a peer response error is that chaincode's answer. */
  chaincode?: string
  channel?: string
  hostnameOverride?: string
  mspId?: string
  mspPath?: string
  /** What we were doing, e.g. "install on localhost:7051". */
  op: string
  /** The orderer of the network config (for submit failures). */
  orderer?: string
  /** What `address` is: a peer (default) or the orderer; errors name it and point at its fabk8s.yaml field. */
  role?: 'orderer' | 'peer'
  tlsCACert?: string
}

interface DetailLike {
  address?: string
  message?: string
  mspId?: string
}

interface ErrLike {
  code?: number | string
  details?: DetailLike[] | string
  /** GrpcError's: the peers' errors behind a Gateway's failure. */
  endorsers?: DetailLike[]
  message?: string
}

/** The peers' errors behind a Gateway's failure, in either shape (grpc-js's `details` array, our GrpcError's). */
function detailList(e: ErrLike): DetailLike[] {
  if (Array.isArray(e.details)) return e.details
  return e.endorsers ?? []
}

const UNAVAILABLE = 14
const DEADLINE_EXCEEDED = 4

/** The text of an error including Gateway details (address: message), on one line. */
export function errorText(err: unknown): string {
  const e = (err ?? {}) as ErrLike
  let text = typeof e.details === 'string' && e.details ? e.details : (e.message ?? String(err))
  const list = detailList(e)
  if (list.length > 0)
    text +=
      ': ' + list.map((d) => `${d.mspId ? d.mspId + ' ' : ''}${d.address ?? ''}: ${d.message ?? ''}`.trim()).join('; ')
  return text.replaceAll(/\s*\n\s*/g, ' ').trim()
}

/** Strip gRPC's "N CODE: " prefix and the peer's wrapping, keeping the cause. */
function cause(text: string): string {
  return text
    .replace(/^\d+ [A-Z_]+: /, '')
    .replace(/^No connection established\. Last error: /, '')
    .replace(/^Error: /, '')
    .replace(/\.? ?Resolution note:.*$/, '')
    .trim()
}

/** What went wrong, as `detail.kind` of the mapped error (callers branch on it, --json shows it). */
export type ErrKind =
  | 'access'
  | 'chaincode'
  | 'chaincode-error'
  | 'channel'
  | 'discovery'
  | 'no-answer'
  | 'other'
  | 'package'
  | 'tls'
  | 'tls-name'
  | 'unreachable'
  | 'wrong-node'

export function errKind(err: unknown): ErrKind | undefined {
  return (err as {detail?: {kind?: ErrKind}})?.detail?.kind
}

export function mapFabricError(err: unknown, ctx: ErrContext): FabError {
  if (err instanceof FabError) return err
  const e = (err ?? {}) as ErrLike & {status?: number}
  const text = errorText(err)
  const why = cause(text)
  const host = ctx.address.replace(/:\d+$/, '')
  const raw = {address: ctx.address, raw: text}
  const k = (kind: ErrKind) => ({...raw, kind})
  const orderer = ctx.role === 'orderer'
  const what = orderer ? `orderer ${ctx.address}` : ctx.address

  // the peer answered, but it could not run the chaincode: that is the chaincode's problem, not the peer's
  const ccp = chaincodeProblem(text)
  if (ccp)
    return new FabError('FABRIC', ccp.message, {detail: {...k('chaincode'), chaincode: ccp.kind}, hint: ccp.hint})

  // a Gateway that cannot find another org's peers: gossip discovery, not reachability
  const disc = /failed to find any endorsing peers for org\(s\): ([\w.,\s-]+?)(?:$|[;:)])/.exec(text)
  if (disc)
    return new FabError(
      'FABRIC',
      `peer ${ctx.address}'s gateway sees no peer of ${disc[1].trim()} (gossip/anchor peers) during ${ctx.op}`,
      {
        detail: k('discovery'),
        hint: 'the Gateway finds other orgs through gossip discovery: the channel needs anchor peers, and a network that has just started needs up to peer.gossip.reconnectInterval (25 s)',
      },
    )

  // TLS: host name not in the certificate
  if (/altnames|does not match certificate|Hostname\/IP does not match|ERR_TLS_CERT_ALTNAME_INVALID/i.test(text))
    return new FabError(
      'FABRIC',
      `TLS: host name "${ctx.hostnameOverride ?? host}" is not in the certificate of ${what} (${ctx.op})`,
      {
        detail: k('tls-name'),
        hint: `set hostnameOverride on ${orderer ? 'network.orderer' : 'that peer'} in fabk8s.yaml to a name the certificate carries (e.g. ${orderer ? 'orderer.example.com' : 'peer0.org1.example.com'})`,
      },
    )
  // TLS: certificate not trusted / handshake failure
  if (
    /self[- ]signed|unable to (get|verify)|certificate (verify|has expired|signature)|CERT_|SSL routines|wrong version number|handshake|tls/i.test(
      text,
    ) &&
    !/access denied/i.test(text)
  )
    return new FabError(
      'FABRIC',
      `TLS handshake with ${what} failed (${why}); check the CA file ${ctx.tlsCACert ?? '(none)'}`,
      {
        detail: k('tls'),
        hint: 'tlsCACert must be the TLS CA that signed the server certificate of that address (the tlsca/…-cert.pem of its org)',
      },
    )
  // connected, but no answer in time: a peer calling a chaincode waits for it to start (chaincode.startuptimeout)
  if (e.code === DEADLINE_EXCEEDED && /remote_addr=/.test(text) && !orderer)
    return new FabError(
      'FABRIC',
      `${ctx.address} did not answer within the deadline (${ctx.op})${ctx.chaincode ? ': a peer waits that long for a chaincode that does not register (a server whose CHAINCODE_ID is not the package ID)' : ''}`,
      {
        detail: k('no-answer'),
        hint: ctx.chaincode
          ? '`fabk8s status` compares the running CHAINCODE_ID with the approved package ID'
          : 'see the peer log',
      },
    )
  // unreachable
  if (
    e.code === UNAVAILABLE ||
    e.code === DEADLINE_EXCEEDED ||
    /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ETIMEDOUT|Failed to connect|No connection established|deadline|nothing answered within/i.test(
      text,
    )
  ) {
    if (orderer || (/orderer|broadcast/i.test(text) && ctx.orderer))
      return new FabError(
        'FABRIC',
        `orderer ${orderer ? ctx.address : ctx.orderer} is unreachable (${why}) during ${ctx.op}`,
        {
          detail: k('unreachable'),
          hint: 'is the orderer running? check network.orderer.address in fabk8s.yaml',
        },
      )
    return new FabError('FABRIC', `cannot reach ${ctx.address} (${why}) during ${ctx.op}`, {
      detail: k('unreachable'),
      hint: 'is the peer running and the address right? check network.orgs[].peers[].address in fabk8s.yaml',
    })
  }

  // the address answers gRPC, but not as what fabk8s.yaml says it is: a peer given as the orderer, or the reverse
  const wrong = wrongNode(text, ctx, raw)
  if (wrong) return wrong

  // a peer of another org: its admin check names both MSP IDs
  const other =
    /expected MSP ID (\S+?),? received (\S+?)\]?$/.exec(text) ?? /expected MSP ID (\S+?), received (\S+?)\]/.exec(text)
  if (other)
    return new FabError(
      'PROJECT',
      `peer ${ctx.address} is a peer of ${other[1]}, but fabk8s.yaml lists it under ${other[2]}: it refuses ${other[2]}'s admin (${ctx.op})`,
      {detail: k('access'), hint: `list it under the org whose mspId is ${other[1]} (network.orgs[].peers)`},
    )
  // the peer cannot take the identity as one of mspId's at all (not a question of admin rights)
  const unknown = unknownCreator(text, ctx, raw)
  if (unknown) return unknown
  // identity not an admin / access denied
  if (
    /access denied|failed ACL|not an admin|does not contain OU \[ADMIN\]|signature set did not satisfy policy|creator .* (not|isn't) valid|authentication handshake failed|Admins/i.test(
      text,
    )
  )
    return new FabError(
      'FABRIC',
      `access denied at ${ctx.address} for ${ctx.mspId ?? 'this identity'} (${ctx.op}): ${why}`,
      {
        detail: k('access'),
        hint: `mspPath must be an ADMIN identity of ${ctx.mspId ?? 'the org'}${ctx.mspPath ? ` (now ${ctx.mspPath})` : ''}, e.g. users/Admin@…/msp`,
      },
    )
  // channel missing
  if (
    /channel .*(not found|does not exist)|no such channel|cannot find channel|unknown channel|channel \[?\S*\]? ?(is )?not (found|joined)|could not get channelconfig|no application config/i.test(
      text,
    )
  )
    return new FabError(
      'FABRIC',
      `channel "${ctx.channel ?? '?'}" does not exist on ${ctx.address}, or the peer has not joined it (${ctx.op})`,
      {
        detail: k('channel'),
        hint: 'check network.channel in fabk8s.yaml and that every peer joined the channel',
      },
    )
  // malformed package rejected by the peer
  if (/could not parse as a chaincode install package|malformed|not a regular file|metadata\.json/i.test(text))
    return new FabError('FABRIC', `${ctx.address} rejected the chaincode package: ${why}`, {
      detail: k('package'),
      hint: 'rebuild it with `fabk8s lifecycle package`',
    })

  // the chaincode itself answered with an error (shim.Error / a thrown error in the contract)
  const cc = /chaincode response (\d+), (.*?)(?:: \S+ \S+: chaincode response|$)/.exec(text)
  if (cc) {
    const [first] = detailList(e)
    const where = first ? `${first.mspId} ${first.address}` : ctx.address
    return new FabError(
      'FABRIC',
      `${ctx.op}: the chaincode returned an error (status ${cc[1]}) at ${where}: ${cc[2]}`,
      {detail: k('chaincode-error'), hint: localMspHint(text)},
    )
  }

  // a user chaincode's own error response (the peer passes its status and message on)
  if (ctx.chaincode && typeof e.status === 'number')
    return new FabError(
      'FABRIC',
      `${ctx.op}: the chaincode returned an error (status ${e.status}) at ${ctx.mspId ? `${ctx.mspId} ` : ''}${ctx.address}: ${why}`,
      {detail: k('chaincode-error'), hint: localMspHint(text)},
    )

  return new FabError('FABRIC', `${ctx.op} failed at ${what}: ${why}`, {detail: k('other')})
}

/**
 * The chaincode asked for its peer's org (shim.GetMSPID(), stub.getMspID()) and had none: a peer sets
 * CORE_PEER_LOCALMSPID for chaincode it launches; fabk8s sets it on pods that only one org's peers dial.
 */
function localMspHint(text: string): string | undefined {
  if (!/CORE_PEER_LOCALMSPID/.test(text)) return undefined
  return (
    "the chaincode asks for its peer's org (CORE_PEER_LOCALMSPID), which one Deployment serving several orgs' peers " +
    'cannot have: run one pod per peer (chaincode.address with {{.peername}}, and peername: on each peer under ' +
    'network), then fabk8s up'
  )
}

/**
 * "access denied: channel [C] creator org unknown, creator is malformed": the peer could not read the signer as an
 * identity of mspId. Channelless (C empty: install, queryinstalled) a peer knows only its own org, so the peer is
 * another org's, or mspId is not the certificate's; on a channel, mspId is no org of it, or not the certificate's.
 */
function unknownCreator(text: string, ctx: ErrContext, raw: {address: string; raw: string}): FabError | undefined {
  const m = /channel \[([^\]]*)\] creator org unknown/.exec(text)
  if (!m) return undefined
  const msp = ctx.mspId ?? 'this org'
  const path = ctx.mspPath ? ` (${ctx.mspPath})` : ''
  return new FabError(
    'FABRIC',
    m[1]
      ? `access denied at ${ctx.address} for ${msp} (${ctx.op}): channel ${m[1]} does not take the identity as one of ${msp}`
      : `access denied at ${ctx.address} for ${msp} (${ctx.op}): the peer does not take the identity as one of ${msp}`,
    {
      detail: {...raw, kind: 'access'},
      hint: m[1]
        ? `is ${msp} an org of channel ${m[1]} (network.orgs[].mspId), and is the certificate in mspPath${path} issued by ${msp}'s CA?`
        : `a peer takes channelless calls only from its own org: is ${ctx.address} a peer of ${msp} (network.orgs[].peers), and is the certificate in mspPath${path} issued by ${msp}'s CA?`,
    },
  )
}

/**
 * An address that answers gRPC, but not as what fabk8s.yaml says it is: a peer's address given as the orderer
 * (`unknown service orderer.AtomicBroadcast`), the orderer's given as a peer (`unknown service protos.Endorser`).
 */
function wrongNode(text: string, ctx: ErrContext, raw: {address: string; raw: string}): FabError | undefined {
  const service = /unknown service ([\w.]+)/.exec(text)?.[1]
  if (!service) return undefined
  const what = ctx.role === 'orderer' ? `orderer ${ctx.address}` : ctx.address
  const detail = {...raw, kind: 'wrong-node'}
  // what the call wanted follows from the service it named (a probe's Deliver to the orderer has no role)
  const wantedOrderer = service.startsWith('orderer.')
  // a peer without its Gateway (core.yaml peer.gateway.enabled: false) is still a peer
  if (service === 'gateway.Gateway')
    return new FabError(
      'FABRIC',
      `${what} has no gateway.Gateway service during ${ctx.op}: a peer with peer.gateway.enabled false (core.yaml), or not a peer?`,
      {detail, hint: 'the Gateway is on by default since Fabric v2.4; enable it on that peer'},
    )
  return new FabError(
    'FABRIC',
    `${what} is not ${wantedOrderer ? 'an orderer' : 'a peer'}: it has no ${service} service (is it ${wantedOrderer ? 'a peer' : 'an orderer'}?) during ${ctx.op}`,
    {
      detail,
      hint: wantedOrderer
        ? "network.orderer.address in fabk8s.yaml must be an orderer's host:port (test-network: localhost:7050)"
        : "network.orgs[].peers[].address in fabk8s.yaml must be a peer's host:port (test-network: localhost:7051)",
    },
  )
}

/**
 * What a "the peers cannot reach the chaincode" message suggests next, for invoke and query. `fabk8s up` and
 * `fabk8s dev` have just started the chaincode themselves: they say their own next step (withReachNext).
 */
export const REACH_NEXT = 'is it running? `fabk8s status`; start it with `fabk8s up`'

/** The error with REACH_NEXT in its message replaced by what the command that got it suggests; others as they are. */
export function withReachNext(err: unknown, next: string): unknown {
  if (!(err instanceof FabError) || !err.message.includes(REACH_NEXT)) return err
  return new FabError(err.code, err.message.replace(REACH_NEXT, next), {
    cause: err.cause,
    detail: err.detail,
    hint: err.hint,
  })
}

export interface ChaincodeProblem {
  /** The chaincode address the peer dialled, when its text names it. */
  address?: string
  hint: string
  kind: 'id-mismatch' | 'no-such-host' | 'not-defined' | 'not-installed' | 'refused' | 'terminated' | 'timeout' | 'tls'
  message: string
}

/**
 * What a peer says when it cannot run the chaincode (every invoke and query goes through this), as one plain line.
 * The texts are Fabric v2.5's (core/chaincode launch and the ccaas connection, Go's net and crypto/tls errors); the
 * raw text stays in the error's detail. Undefined when the text is not about running the chaincode.
 */
export function chaincodeProblem(text: string): ChaincodeProblem | undefined {
  const at = /grpc connection to (\S+):\s/.exec(text)?.[1]
  const where = at ? `the chaincode at ${at}` : 'the chaincode'
  const pkg = /(?:could not launch chaincode|starting chaincode|connection to) '?([\w.+-]+:[0-9a-f]{64})/.exec(
    text,
  )?.[1]
  const status = REACH_NEXT
  const hint = {
    address:
      'chaincode.address in fabk8s.yaml is what the peers dial (it goes into connection.json): peers outside the cluster need a NodePort address they can reach',
    tls: 'chaincode.tls in fabk8s.yaml must match the server: tls on or off on both sides, rootCert the CA of its certificate, whose names include the host of chaincode.address',
  }
  if (/could not launch chaincode|chaincode registration failed|error creating grpc connection to/.test(text)) {
    if (/connect: connection refused/.test(text))
      return {
        address: at,
        hint: hint.address,
        kind: 'refused',
        message: `the peers cannot reach ${where} (connection refused): ${status}`,
      }
    // a Service or pod IP whose endpoints are gone answers with an ICMP error instead of a refusal
    if (/connect: (no route to host|network is unreachable)/.test(text))
      return {
        address: at,
        hint: hint.address,
        kind: 'refused',
        message: `the peers cannot reach ${where} (${/connect: (no route to host|network is unreachable)/.exec(text)![1]}): ${status}`,
      }
    const dns =
      /lookup (\S+?)(?: on \S+)?: (no such host|server misbehaving|Temporary failure in name resolution|i\/o timeout)/.exec(
        text,
      )
    if (dns)
      return {
        address: at,
        hint: `the peers must reach the chaincode Service at that name (<name>.<namespace>.svc.cluster.local resolves only inside the cluster); ${hint.address}`,
        kind: 'no-such-host',
        message: `the peers cannot resolve ${dns[1]}, the host of ${where} (${dns[2]})`,
      }
    const tls = /(x509: [^"]*?|tls: [^"]*?|first record does not look like a TLS handshake)(?:"|$)/.exec(text)
    if (tls || /authentication handshake failed/.test(text))
      return {
        address: at,
        hint: hint.tls,
        kind: 'tls',
        message: `TLS between the peers and ${where} failed (${tls?.[1] ?? 'authentication handshake failed'})`,
      }
    if (/use of closed network connection|connection reset by peer|error reading server preface/.test(text))
      return {
        address: at,
        hint: hint.tls,
        kind: 'tls',
        message: `${where} closed the connection while the peers set it up: TLS on one side only? (chaincode.tls in fabk8s.yaml against the server's TLS settings)`,
      }
    const expired = /timeout expired while starting chaincode ([\w.+-]+:[0-9a-f]{64})/.exec(text)
    if (expired)
      return {
        address: at,
        hint: 'the server must run with CHAINCODE_ID set to the package ID that was approved (`fabk8s status` compares them; `fabk8s up` redeploys)',
        kind: 'id-mismatch',
        message: `the chaincode never registered with the peers as ${expired[1]}: is the server running with another CHAINCODE_ID (package ID)?`,
      }
    if (/context deadline exceeded|i\/o timeout/.test(text))
      return {
        address: at,
        hint: hint.address,
        kind: 'timeout',
        message: `the peers cannot reach ${where} (no answer within chaincode.dialTimeout): ${status}; a route or firewall problem and a TLS handshake failure look the same`,
      }
    if (/chaincode registration failed: connection to \S+ terminated/.test(text))
      return {
        address: at,
        hint: `${hint.tls}; the server's CHAINCODE_ID must be the package ID${pkg ? ` ${pkg}` : ''}`,
        kind: 'terminated',
        message: `the peers reached ${where} but the connection ended before it registered: is it a chaincode server for this package, with matching TLS settings?`,
      }
  }

  const notDefined =
    /make sure the chaincode (\S+) has been successfully (?:defined|instantiated)|chaincode definition for '([^']+)' (?:not found|exists, but chaincode is not installed)/.exec(
      text,
    )
  if (notDefined && !/not installed/.test(text))
    return {
      hint: '`fabk8s register` installs, approves and commits it',
      kind: 'not-defined',
      message: `chaincode ${notDefined[1] ?? notDefined[2]} is not committed on the channel`,
    }
  if (
    /cannot get package for chaincode|chaincode is not installed|is not installed/.test(text) &&
    /chaincode/.test(text)
  )
    return {
      hint: '`fabk8s register` (or `fabk8s lifecycle install`) installs the package on every peer in fabk8s.yaml',
      kind: 'not-installed',
      message: `the package ${pkg ?? 'of this chaincode'} is not installed on the peer`,
    }
  return undefined
}

/** "chaincode already successfully installed": success for install. */
export function isAlreadyInstalled(err: unknown): boolean {
  return /already successfully installed/i.test(errorText(err))
}

/** "attempted to redefine (uncommitted|the current committed) sequence … with unchanged content": already approved. */
export function isAlreadyApproved(err: unknown): boolean {
  return /redefine .*sequence.*unchanged content/i.test(errorText(err))
}

/** _lifecycle's 404s: namespace not defined / approval or package not found. */
export function isNotFound(err: unknown): boolean {
  const t = errorText(err)
  if ((err as {status?: number})?.status === 404) return true
  if (/namespace \S+ is not defined|could not fetch approved chaincode definition/i.test(t)) return true
  return /not found|does not exist/i.test(t) && !/channel/i.test(t)
}
