/**
 * What the channel's configuration says that fabk8s.yaml does not: the channel's orgs and its Application policies
 * (LifecycleEndorsement, Endorsement), read from a peer (cscc GetChannelConfig), and how a commit or an invoke is
 * endorsed on a channel with orgs outside fabk8s.yaml (another company's): by the listed peers when they satisfy the
 * policy, else through a peer's Gateway, which finds the other orgs' peers; a commit that cannot pass yet is not sent.
 */
import type {OrgConfig} from '../project/schema.js'

import {FabError} from '../errors.js'
import {sourceError} from './definition.js'
import {mapFabricError} from './errmap.js'
import {describeApplicationPolicy, endorsingOrgs, signaturePolicyMspIds, signaturePolicyToString} from './policy.js'
import {common, configProtos, mspConfigProtos, peer} from './protos.js'
import {type FabricSession, firstPeer} from './session.js'

/**
 * A policy of the channel's Application group (LifecycleEndorsement, which a commit's endorsements must satisfy;
 * Endorsement, the default for a chaincode's): an implicit-meta rule over the orgs' own Endorsement policies
 * (Fabric's default: MAJORITY Endorsement), or a signature policy (its ApplicationPolicy bytes, as endorsingOrgs
 * reads them, and its text).
 */
export type ConfigPolicy = {rule: 'ALL' | 'ANY' | 'MAJORITY'; subPolicy: string} | {signature: Uint8Array; text: string}

/** What a set of endorsing orgs lacks to satisfy a channel policy. */
export interface PolicyShortfall {
  /** The policy as text, e.g. `MAJORITY Endorsement (peers of 2 of the channel's 2 orgs)`. */
  needs: string
  /** The channel's orgs no peer of which would endorse (not in fabk8s.yaml, or not approved). */
  outside: string[]
}

/**
 * Whether a transaction endorsed by one peer of each org of `endorsers` can satisfy the channel `policy`;
 * `channelOrgs`: every org of the channel (CheckCommitReadiness and the committed definition's approvals list them).
 * An org's peer is taken to satisfy its org's Endorsement policy (Fabric's default: any peer of the org). Undefined
 * when it can, else what it lacks.
 */
export function policyShortfall(
  policy: ConfigPolicy,
  channelOrgs: string[],
  endorsers: string[],
  satisfies: (signature: Uint8Array, orgs: string[]) => boolean,
): PolicyShortfall | undefined {
  const ours = channelOrgs.filter((m) => endorsers.includes(m))
  const outside = channelOrgs.filter((m) => !endorsers.includes(m))
  if ('signature' in policy) return satisfies(policy.signature, ours) ? undefined : {needs: policy.text, outside}
  const total = channelOrgs.length
  const needed = {ALL: total, ANY: 1, MAJORITY: Math.floor(total / 2) + 1}[policy.rule]
  if (ours.length >= needed) return undefined
  const of = {ALL: 'all', ANY: 'one of', MAJORITY: `${needed} of`}[policy.rule]
  return {needs: `${policy.rule} ${policy.subPolicy} (peers of ${of} the channel's ${total} orgs)`, outside}
}

/** The answer of a query, or undefined when it failed (what depends on it then goes on as if it were not asked). */
export async function orNone<T>(query: Promise<T>): Promise<T | undefined> {
  try {
    return await query
  } catch {
    // no answer
  }
}

/** The channel configuration the org's first peer holds (cscc GetChannelConfig; the channel's readers may ask). */
async function channelConfig(s: FabricSession, org: OrgConfig): Promise<common.Config> {
  const p = firstPeer(org)
  let payload: Uint8Array
  try {
    payload = await s.propose(org, p, {
      args: [s.network.channel],
      chaincode: 'cscc',
      channel: '',
      fn: 'GetChannelConfig',
    })
  } catch (error) {
    throw mapFabricError(error, s.ctx(org, p, `read the configuration of channel ${s.network.channel}`))
  }

  const {Config} = await configProtos()
  return Config.deserializeBinary(payload)
}

/**
 * A policy of the channel's Application group (/Channel/Application/NAME: LifecycleEndorsement, Endorsement), from the
 * channel configuration the org's first peer holds. Undefined when the configuration has none, or one fabk8s cannot
 * read (an MSP-type policy).
 */
export async function applicationPolicy(
  s: FabricSession,
  name: string,
  org: OrgConfig = s.network.orgs[0],
): Promise<ConfigPolicy | undefined> {
  const policy = (await channelConfig(s, org))
    .getChannelGroup()
    ?.getGroupsMap()
    .get('Application')
    ?.getPoliciesMap()
    .get(name)
    ?.getPolicy()
  if (!policy) return undefined
  const value = policy.getValue_asU8()
  switch (policy.getType()) {
    case common.Policy.PolicyType.IMPLICIT_META: {
      const meta = common.ImplicitMetaPolicy.deserializeBinary(value)
      const rules = {
        [common.ImplicitMetaPolicy.Rule.ALL]: 'ALL',
        [common.ImplicitMetaPolicy.Rule.ANY]: 'ANY',
        [common.ImplicitMetaPolicy.Rule.MAJORITY]: 'MAJORITY',
      } as const
      return {rule: rules[meta.getRule()], subPolicy: meta.getSubPolicy()}
    }

    case common.Policy.PolicyType.SIGNATURE: {
      const env = common.SignaturePolicyEnvelope.deserializeBinary(value)
      const ap = new peer.ApplicationPolicy()
      ap.setSignaturePolicy(env)
      return {signature: ap.serializeBinary(), text: signaturePolicyToString(env)}
    }

    default: {
      return undefined
    }
  }
}

/** What a definition's endorsement policy may name, from the channel's configuration. */
export interface ChannelNames {
  /** The MSP IDs of the channel's application orgs. */
  orgs: string[]
  /** Every policy's path, e.g. /Channel/Application/Endorsement, /Channel/Application/Org1MSP/Peers. */
  policies: string[]
}

/** The channel's application orgs (their MSP IDs) and the paths of its policies, from the org's first peer. */
export async function channelNames(s: FabricSession, org: OrgConfig = s.network.orgs[0]): Promise<ChannelNames> {
  const config = await channelConfig(s, org)
  const {FabricMSPConfig, MSPConfig} = await mspConfigProtos()
  const policies: string[] = []
  const walk = (group: common.ConfigGroup, at: string) => {
    for (const name of group.getPoliciesMap().keys() as Iterable<string>) policies.push(`${at}/${name}`)
    for (const [name, sub] of group.getGroupsMap().entries() as Iterable<[string, common.ConfigGroup]>)
      walk(sub, `${at}/${name}`)
  }

  const root = config.getChannelGroup()
  if (root) walk(root, '/Channel')
  const orgs: string[] = []
  for (const group of (root?.getGroupsMap().get('Application')?.getGroupsMap().values() ??
    []) as Iterable<common.ConfigGroup>) {
    const value = group.getValuesMap().get('MSP')?.getValue_asU8()
    // an Idemix MSP's config has its name in field 1 too
    if (value)
      orgs.push(FabricMSPConfig.deserializeBinary(MSPConfig.deserializeBinary(value).getConfig_asU8()).getName())
  }

  return {orgs: orgs.sort(), policies: policies.sort()}
}

/**
 * The absolute path of a channel config policy reference, as Fabric's policy manager resolves it on the channel
 * (common/policies: an absolute path must be under /Channel, a relative one is taken from /Channel).
 */
export function policyPath(ref: string): string {
  return ref.startsWith('/') ? ref : `/Channel/${ref}`
}

/**
 * A definition's endorsement policy (`validationParameter`) checked against the channel: every MSP ID a signature
 * policy names must be an org of the channel, and a channel config policy reference must name a policy of the
 * channel. `source`: where the policy came from (a flag: a usage error; a field of fabk8s.yaml: the project's).
 * Such a definition would commit, and every invoke after it would fail.
 */
export function checkPolicyNames(
  validationParameter: Uint8Array,
  names: ChannelNames,
  channel: string,
  source: string,
): void {
  const fail = (message: string, hint: string) => sourceError(source, message, {flag: hint, project: hint})
  const ids = signaturePolicyMspIds(validationParameter)
  if (ids) {
    const unknown = ids.filter((m) => !names.orgs.includes(m))
    if (unknown.length > 0)
      throw fail(
        `${unknown.join(', ')} ${unknown.length === 1 ? 'is not an org' : 'are not orgs'} of channel ${channel} (its orgs: ${names.orgs.join(', ')})`,
        "name the channel's orgs by their MSP IDs; nothing was sent",
      )
    return
  }

  const ref = describeApplicationPolicy(validationParameter)
  if (!ref.startsWith('(') && !names.policies.includes(policyPath(ref))) {
    const app = names.policies.filter((p) => /^\/Channel\/Application\/[^/]+$/.test(p))
    throw fail(
      `${ref} is not a policy of channel ${channel} (its Application policies: ${app.join(', ')})`,
      'name a policy of the channel config, e.g. /Channel/Application/Endorsement; nothing was sent',
    )
  }
}

/** A channel with orgs outside fabk8s.yaml: its orgs, and the LifecycleEndorsement policy its commits must satisfy. */
export interface ChannelPolicy {
  channelOrgs: string[]
  policy: ConfigPolicy
}

/**
 * The channel's orgs and LifecycleEndorsement policy, when the channel has orgs outside fabk8s.yaml (`approvals`:
 * CheckCommitReadiness's answer, one entry per org of the channel). Undefined when every org of the channel is in
 * fabk8s.yaml (a commit that fails then says which org must approve), or when the policy cannot be read (the commit
 * then goes as before, and its error says why it failed).
 */
export async function channelPolicy(
  s: FabricSession,
  approvals: Record<string, boolean>,
): Promise<ChannelPolicy | undefined> {
  const channelOrgs = Object.keys(approvals)
  const ours = new Set(s.network.orgs.map((o) => o.mspId))
  if (channelOrgs.every((m) => ours.has(m))) return undefined
  const policy = await orNone(applicationPolicy(s, 'LifecycleEndorsement'))
  return policy && {channelOrgs, policy}
}

/** Whether one peer of each org of `orgs` satisfies a signature policy (ApplicationPolicy bytes). */
export const satisfiedBy = (signature: Uint8Array, orgs: string[]) => endorsingOrgs(signature, orgs) !== undefined

/**
 * Who must approve `definition` (e.g. "kv, sequence 2") before a commit can pass: the orgs of fabk8s.yaml (`ours`)
 * through `fabk8s lifecycle approve --org`, the others by their own admins.
 */
export function approvalSteps(ours: string[], notApproved: string[], definition: string): string[] {
  const inside = notApproved.filter((m) => ours.includes(m))
  const others = notApproved.filter((m) => !ours.includes(m))
  return [
    inside.map((m) => `\`fabk8s lifecycle approve --org ${m}\``).join(', '),
    others.length > 0
      ? `${others.join(', ')}: ${others.length === 1 ? 'its admin approves' : 'their admins approve'} the same ` +
        `definition (${definition}) for their org`
      : '',
  ].filter(Boolean)
}

/**
 * How a commit on a channel with orgs outside fabk8s.yaml is endorsed (`approvals`: the channel's, as they are now;
 * `endorsers`: the orgs of fabk8s.yaml that approved). Undefined: by the peers of `endorsers`, which satisfy the
 * policy. `gateway`: through the Gateway of the first endorser's peer, by every org that approved (it finds the other
 * orgs' peers). When even every org that approved cannot satisfy the policy, the commit is not sent (it could only
 * commit INVALID): the error says what the policy needs and who has not approved yet.
 */
export function commitRoute(
  s: FabricSession,
  name: string,
  sequence: number,
  cp: ChannelPolicy,
  approvals: Record<string, boolean>,
  endorsers: string[],
): undefined | {gateway: string[]} {
  const {channelOrgs, policy} = cp
  if (!policyShortfall(policy, channelOrgs, endorsers, satisfiedBy)) return undefined
  const approved = channelOrgs.filter((m) => approvals[m] || endorsers.includes(m))
  const short = policyShortfall(policy, channelOrgs, approved, satisfiedBy)
  if (!short) return {gateway: [...endorsers, ...approved.filter((m) => !endorsers.includes(m))]}
  const steps = approvalSteps(
    s.network.orgs.map((org) => org.mspId),
    short.outside,
    `${name}, sequence ${sequence}`,
  )
  throw new FabError(
    'FABRIC',
    `commit of ${name} sequence ${sequence} not sent: the channel's LifecycleEndorsement policy needs ` +
      `${short.needs}, and only ${approved.join(', ') || 'no org'} approved it (not yet ${short.outside.join(', ')})`,
    {
      detail: {approvals, committed: false, lifecycleEndorsement: short.needs},
      hint:
        `${steps.join('; ')}; then commit again: fabk8s then commits through the gateway of a peer in fabk8s.yaml, ` +
        "which finds the other orgs' peers",
    },
  )
}
