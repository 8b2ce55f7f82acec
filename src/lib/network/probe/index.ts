/**
 * `fabk8s network import --check`: probe every peer and the orderer of a network section and say, per endpoint,
 * what works. Each peer: TLS handshake with its CA → `_lifecycle` QueryInstalledChaincodes signed by the org's admin
 * (only an admin of the peer's own org may call it, so it proves the identity) → QueryChaincodeDefinitions on the
 * channel (the peer has joined it). The orderer: TLS handshake → Deliver of the channel's newest block header,
 * signed by the first org's admin. A step after a failed one is skipped, with the reason.
 */
import {readFile} from 'node:fs/promises'

import type {FabError} from '../../errors.js'
import type {SigningIdentity} from '../../fabric/identity.js'
import type {NetworkConfig, OrgConfig, PeerConfig} from '../../project/schema.js'

import {errorText, mapFabricError} from '../../fabric/errmap.js'
import {peer as peerProtos} from '../../fabric/protos.js'
import {FabricSession} from '../../fabric/session.js'
import {certProblem, keyMatchesCert} from '../pem.js'
import {deliverNewest, seekNewestEnvelope, statusName} from './deliver.js'
import {type ProbeStep, probeTls} from './tls.js'

export type {ProbeStep} from './tls.js'

export interface EndpointReport {
  address: string
  hostnameOverride?: string
  kind: 'orderer' | 'peer'
  /** The org whose admin signed (peers: the peer's org; orderer: the first org). */
  mspId?: string
  /** The name the source gave it, when known. */
  name?: string
  ok: boolean
  steps: ProbeStep[]
  tlsCACert: string
}

export interface CheckReport {
  channel: string
  endpoints: EndpointReport[]
  /** Number of endpoints with a failed step. */
  failed: number
  ok: boolean
}

export interface CheckOptions {
  /** Peer address → the source's name for the node, for display. */
  names?: Record<string, string>
  /** The source's name for the orderer (a peer's address given to the orderer keeps both names apart). */
  ordererName?: string
  /** Per step (default 10 s). */
  timeoutMs?: number
}

const lc = peerProtos.lifecycle
const skipped = (probe: ProbeStep['probe'], why: string): ProbeStep => ({message: why, probe, status: 'skipped'})

async function tlsStep(p: PeerConfig, timeoutMs: number): Promise<ProbeStep> {
  let caPem: string
  try {
    caPem = await readFile(p.tlsCACert, 'utf8')
  } catch (error) {
    return {
      code: 'tls-ca-unreadable',
      message: `cannot read the TLS CA file ${p.tlsCACert} (${(error as NodeJS.ErrnoException).code})`,
      probe: 'tls',
      status: 'failed',
    }
  }

  const problem = certProblem(caPem)
  if (problem) return {code: 'tls-ca-unreadable', message: `${p.tlsCACert}: ${problem}`, probe: 'tls', status: 'failed'}
  return probeTls({address: p.address, caFile: p.tlsCACert, caPem, hostnameOverride: p.hostnameOverride, timeoutMs})
}

/** The org's admin identity, loaded once per org, with its key checked against its certificate. */
async function identityStep(s: FabricSession, org: OrgConfig): Promise<{id?: SigningIdentity; step: ProbeStep}> {
  let id: SigningIdentity
  try {
    id = await s.identity(org)
  } catch (error) {
    const fe = error as FabError
    // a keystore without the certificate's key: loadIdentity says so (the check below, for a key it did take)
    if (fe.detail?.kind === 'key-mismatch')
      return {
        step: {
          code: 'identity-key-mismatch',
          hint: fe.hint,
          message: fe.message.replace(/^network\.orgs\[[^\]]*\]\.mspPath: /, ''),
          probe: 'identity',
          status: 'failed',
        },
      }
    return {
      step: {code: 'identity-unreadable', message: (error as Error).message, probe: 'identity', status: 'failed'},
    }
  }

  if (!keyMatchesCert(id.key, id.certPem))
    return {
      step: {
        code: 'identity-key-mismatch',
        hint: 'keystore/ and signcerts/ must come from the same enrollment',
        message: `the private key in ${org.mspPath}/keystore does not belong to the certificate CN=${id.subject} in signcerts/`,
        probe: 'identity',
        status: 'failed',
      },
    }
  const ous = id.ous.length > 0 ? `, OU ${id.ous.join('/')}` : ''
  return {id, step: {message: `${id.subject} of ${org.mspId}${ous}`, probe: 'identity', status: 'ok'}}
}

/** What the peer said when it refused the admin's query, as one precise line. */
export function classifyPeerRefusal(
  text: string,
  who: {address: string; mspId: string; mspPath: string; subject: string},
): ProbeStep {
  const id = `identity ${who.subject} (${who.mspPath})`
  if (
    /not an admin|does not contain OU \[ADMIN\]|policy \[Admins\]/i.test(text) &&
    !/not valid under this MSP/i.test(text)
  )
    return {
      code: 'not-admin',
      hint: `mspPath must be an admin of ${who.mspId} (e.g. users/Admin@…/msp); peer said: ${text}`,
      message: `${id} is not an admin of ${who.mspId}: ${who.address} refused QueryInstalledChaincodes`,
      probe: 'admin',
      status: 'failed',
    }
  if (
    /not valid under this MSP|MSP .* is unknown|creator org unknown|deserializ|expected MSP ID|does not match the MSP|unknown authority/i.test(
      text,
    )
  )
    return {
      code: 'wrong-msp',
      hint: `mspPath must hold an identity issued by ${who.mspId}'s CA, and mspId must be its MSP ID; peer said: ${text}`,
      message: `${id} is not an identity of ${who.mspId}: ${who.address} cannot validate it against ${who.mspId}`,
      probe: 'admin',
      status: 'failed',
    }
  if (/access denied|authoriz|ACL|policy/i.test(text))
    return {
      code: 'access-denied',
      hint: `peer said: ${text}`,
      message: `${who.address} denied QueryInstalledChaincodes to ${id}`,
      probe: 'admin',
      status: 'failed',
    }
  return {
    code: 'peer-error',
    message: `${who.address}: QueryInstalledChaincodes failed: ${text}`,
    probe: 'admin',
    status: 'failed',
  }
}

async function adminStep(s: FabricSession, org: OrgConfig, p: PeerConfig, id: SigningIdentity): Promise<ProbeStep> {
  try {
    const payload = await s.propose(org, p, {
      args: [new lc.QueryInstalledChaincodesArgs().serializeBinary()],
      chaincode: '_lifecycle',
      channel: '',
      fn: 'QueryInstalledChaincodes',
    })
    const n = lc.QueryInstalledChaincodesResult.deserializeBinary(payload).getInstalledChaincodesList().length
    return {
      message: `QueryInstalledChaincodes as ${id.subject} (${org.mspId}): ${n} package(s) installed`,
      probe: 'admin',
      status: 'ok',
    }
  } catch (error) {
    const {code} = error as {code?: number}
    // gRPC could not get the request to the peer: that is not the peer's verdict on the identity
    if (code === 4 || code === 14) {
      const fe = mapFabricError(error, s.ctx(org, p, 'QueryInstalledChaincodes'))
      return {code: 'unreachable', hint: fe.hint, message: fe.message, probe: 'admin', status: 'failed'}
    }

    return classifyPeerRefusal(errorText(error), {
      address: p.address,
      mspId: org.mspId,
      mspPath: org.mspPath,
      subject: id.subject,
    })
  }
}

async function channelStep(s: FabricSession, org: OrgConfig, p: PeerConfig): Promise<ProbeStep> {
  const {channel} = s.network
  try {
    const payload = await s.propose(org, p, {
      args: [new lc.QueryChaincodeDefinitionsArgs().serializeBinary()],
      chaincode: '_lifecycle',
      channel,
      fn: 'QueryChaincodeDefinitions',
    })
    const n = lc.QueryChaincodeDefinitionsResult.deserializeBinary(payload).getChaincodeDefinitionsList().length
    return {message: `joined ${channel}, ${n} chaincode(s) committed`, probe: 'channel', status: 'ok'}
  } catch (error) {
    const text = errorText(error)
    if (/channel|not found|does not exist/i.test(text) && !/access denied|policy/i.test(text))
      return {
        code: 'channel-not-joined',
        hint: `peer said: ${text}`,
        message: `${p.address} has not joined channel "${channel}" (or it does not exist)`,
        probe: 'channel',
        status: 'failed',
      }
    const fe = mapFabricError(error, s.ctx(org, p, `QueryChaincodeDefinitions on ${channel}`))
    return {code: 'peer-error', hint: fe.hint, message: fe.message, probe: 'channel', status: 'failed'}
  }
}

async function deliverStep(
  s: FabricSession,
  o: PeerConfig,
  org: OrgConfig,
  id: SigningIdentity,
  timeoutMs: number,
): Promise<ProbeStep> {
  const {channel} = s.network
  try {
    const r = await deliverNewest(await s.client(o), await seekNewestEnvelope(id, channel), timeoutMs)
    if ('block' in r)
      return {
        message: `channel ${channel}: newest block #${r.block} (read as ${id.subject}, ${org.mspId})`,
        probe: 'deliver',
        status: 'ok',
      }
    const code =
      r.status === 404
        ? 'channel-not-found'
        : r.status === 403
          ? 'forbidden'
          : r.status === 503
            ? 'unavailable'
            : 'deliver-error'
    const message =
      r.status === 404
        ? `orderer ${o.address} does not serve channel "${channel}" (NOT_FOUND)`
        : r.status === 403
          ? `orderer ${o.address} refused to deliver channel "${channel}" to ${id.subject} of ${org.mspId} (FORBIDDEN: the orderer does not take it for a reader of the channel)`
          : `orderer ${o.address} answered Deliver on "${channel}" with ${statusName(r.status)}`
    return {code, message, probe: 'deliver', status: 'failed'}
  } catch (error) {
    const fe = mapFabricError(error, {...s.ctx(org, o, `Deliver on ${channel}`), address: o.address})
    return {code: 'deliver-error', hint: fe.hint, message: fe.message, probe: 'deliver', status: 'failed'}
  }
}

export async function checkNetwork(net: NetworkConfig, opts: CheckOptions = {}): Promise<CheckReport> {
  const timeoutMs = opts.timeoutMs ?? 10_000
  const s = new FabricSession(net, {timeoutMs})
  const identities = new Map<string, Promise<{id?: SigningIdentity; step: ProbeStep}>>()
  const identityOf = (org: OrgConfig) => {
    let r = identities.get(org.mspId)
    if (!r) {
      r = identityStep(s, org)
      identities.set(org.mspId, r)
    }

    return r
  }

  const base = (kind: EndpointReport['kind'], p: PeerConfig, mspId?: string) => {
    const name = (kind === 'orderer' ? opts.ordererName : undefined) ?? opts.names?.[p.address]
    return {
      address: p.address,
      ...(p.hostnameOverride ? {hostnameOverride: p.hostnameOverride} : {}),
      kind,
      mspId,
      ...(name ? {name} : {}),
      tlsCACert: p.tlsCACert,
    }
  }

  const peerReport = async (org: OrgConfig, p: PeerConfig): Promise<EndpointReport> => {
    const steps: ProbeStep[] = [await tlsStep(p, timeoutMs)]
    const {id, step} = await identityOf(org)
    steps.push(step)
    if (steps.some((x) => x.status === 'failed')) {
      const why = `skipped: ${steps[0].status === 'failed' ? 'TLS failed' : 'no usable identity'}`
      steps.push(skipped('admin', why), skipped('channel', why))
    } else {
      const admin = await adminStep(s, org, p, id!)
      steps.push(
        admin,
        admin.status === 'ok' ? await channelStep(s, org, p) : skipped('channel', 'skipped: the admin query failed'),
      )
    }

    return {...base('peer', p, org.mspId), ok: steps.every((x) => x.status === 'ok'), steps}
  }

  const ordererReport = async (): Promise<EndpointReport> => {
    const o = net.orderer
    const org = net.orgs[0]
    const steps: ProbeStep[] = [await tlsStep(o, timeoutMs)]
    const {id} = await identityOf(org)
    if (steps[0].status === 'failed') steps.push(skipped('deliver', 'skipped: TLS failed'))
    else if (id) steps.push(await deliverStep(s, o, org, id, timeoutMs))
    else steps.push(skipped('deliver', `skipped: no usable identity of ${org.mspId} to sign with`))
    return {...base('orderer', o, org.mspId), ok: steps.every((x) => x.status === 'ok'), steps}
  }

  try {
    const endpoints = await Promise.all([
      ...net.orgs.flatMap((org) => org.peers.map((p) => peerReport(org, p))),
      ordererReport(),
    ])
    const failed = endpoints.filter((e) => !e.ok).length
    return {channel: net.channel, endpoints, failed, ok: failed === 0}
  } finally {
    s.close()
  }
}
