/**
 * Turn what gRPC, the peer and the Gateway report into one clear line with exit code FABRIC (9): which address,
 * which file, which org, what to do next. Pure: tested with the messages Fabric v2.5 and grpc-js produce.
 */
import {FabError} from '../errors.js'
import {chaincodeReach} from './reach.js'

export interface ErrContext {
  /** host:port that was called. */
  address: string
  channel?: string
  hostnameOverride?: string
  mspId?: string
  mspPath?: string
  /** What we were doing, e.g. "install on localhost:7051". */
  op: string
  /** The orderer of the network config (for submit failures). */
  orderer?: string
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
  message?: string
}

const UNAVAILABLE = 14
const DEADLINE_EXCEEDED = 4

/** The text of an error including Gateway details (address: message), on one line. */
export function errorText(err: unknown): string {
  const e = (err ?? {}) as ErrLike
  let text = typeof e.details === 'string' && e.details ? e.details : (e.message ?? String(err))
  if (Array.isArray(e.details) && e.details.length > 0)
    text +=
      ': ' +
      e.details.map((d) => `${d.mspId ? d.mspId + ' ' : ''}${d.address ?? ''}: ${d.message ?? ''}`.trim()).join('; ')
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

export function mapFabricError(err: unknown, ctx: ErrContext): FabError {
  if (err instanceof FabError) return err
  const e = (err ?? {}) as ErrLike
  const text = errorText(err)
  const why = cause(text)
  const host = ctx.address.replace(/:\d+$/, '')
  const detail = {address: ctx.address, raw: text}

  // the peers could not reach the chaincode server (CCaaS): say that, not the peer's 1.5 KB per peer
  const reach = chaincodeReach(text)
  if (reach && reach.kind !== 'peer-timeout')
    return new FabError('FABRIC', `${ctx.op}: ${reach.message}`, {
      detail: {...detail, chaincodeAddress: reach.address, peers: reach.peers},
      hint: reach.hint,
    })
  // TLS: host name not in the certificate
  if (/altnames|does not match certificate|Hostname\/IP does not match|ERR_TLS_CERT_ALTNAME_INVALID/i.test(text))
    return new FabError(
      'FABRIC',
      `TLS: host name "${ctx.hostnameOverride ?? host}" is not in the certificate of ${ctx.address} (${ctx.op})`,
      {
        detail,
        hint: 'set hostnameOverride on that peer/orderer in fabk8s.yaml to a name the certificate carries (e.g. peer0.org1.example.com)',
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
      `TLS handshake with ${ctx.address} failed (${why}); check the CA file ${ctx.tlsCACert ?? '(none)'}`,
      {
        detail,
        hint: 'tlsCACert must be the TLS CA that signed the server certificate of that address (the tlsca/…-cert.pem of its org)',
      },
    )
  // unreachable
  if (
    e.code === UNAVAILABLE ||
    e.code === DEADLINE_EXCEEDED ||
    /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ETIMEDOUT|Failed to connect|No connection established|deadline/i.test(
      text,
    )
  ) {
    if (/orderer|broadcast/i.test(text) && ctx.orderer)
      return new FabError('FABRIC', `orderer ${ctx.orderer} is unreachable (${why}) during ${ctx.op}`, {
        detail,
        hint: 'is the orderer running? check network.orderer in fabk8s.yaml',
      })
    return new FabError('FABRIC', `cannot reach ${ctx.address} (${why}) during ${ctx.op}`, {
      detail,
      hint: 'is the peer running and the address right? check network.orgs[].peers[].address in fabk8s.yaml',
    })
  }

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
        detail,
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
        detail,
        hint: 'check network.channel in fabk8s.yaml and that every peer joined the channel',
      },
    )
  // malformed package rejected by the peer
  if (/could not parse as a chaincode install package|malformed|not a regular file|metadata\.json/i.test(text))
    return new FabError('FABRIC', `${ctx.address} rejected the chaincode package: ${why}`, {
      detail,
      hint: 'rebuild it with `fabk8s lifecycle package`',
    })

  // the chaincode itself answered with an error (shim.Error / a thrown error in the contract)
  const cc = /chaincode response (\d+), (.*?)(?:: \S+ \S+: chaincode response|$)/.exec(text)
  if (cc) {
    const where =
      Array.isArray(e.details) && e.details[0] ? `${e.details[0].mspId} ${e.details[0].address}` : ctx.address
    return new FabError(
      'FABRIC',
      `${ctx.op}: the chaincode returned an error (status ${cc[1]}) at ${where}: ${cc[2]}`,
      {detail},
    )
  }

  return new FabError('FABRIC', `${ctx.op} failed at ${ctx.address}: ${why}`, {detail})
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
