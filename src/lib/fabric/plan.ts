/**
 * What fabk8s.yaml `network` asks for, planned against the channel: the definition and its sequence, and which
 * peers and orgs a command works on.
 */
import type {OrgConfig, PeerConfig, ProjectConfig} from '../project/schema.js'
import type {FabricSession} from './session.js'

import {FabError} from '../errors.js'
import {channelNames, checkPolicyNames, orNone} from './channel.js'
import {
  type Committed,
  type Definition,
  type DefinitionOverrides,
  desiredDefinition,
  planSequence,
  policySource,
  type SequencePlan,
} from './definition.js'
import {queryCommitted} from './lifecycle.js'

export interface Plan {
  committed?: Committed
  def: Definition
  plan: SequencePlan
}

/**
 * The definition fabk8s.yaml and the flags ask for, and its sequence plan. With `check` (a command that sends the
 * definition), an endorsement policy given by a flag or by fabk8s.yaml is checked against the channel before anything
 * is sent: the MSP IDs it names must be the channel's orgs, a channel config policy must exist. Its configuration is
 * read beside the committed definition, and only when a policy is given (the default policy is the channel's own).
 */
export async function planDefinition(
  s: FabricSession,
  project: ProjectConfig,
  o: DefinitionOverrides & {check?: boolean; sequence?: number} = {},
): Promise<Plan> {
  const source = o.check ? policySource(project, o) : undefined
  // a configuration that cannot be read leaves the definition unchecked (what fails next says why)
  const names = source ? orNone(channelNames(s)) : undefined
  const [def, committed] = await Promise.all([desiredDefinition(project, o), queryCommitted(s, project.name)])
  const plan = planSequence(committed, def)
  if (o.sequence !== undefined && o.sequence !== plan.sequence) {
    plan.reason = `--sequence ${o.sequence} (planned ${plan.sequence}: ${plan.reason})`
    plan.sequence = o.sequence
    plan.commit = !committed || o.sequence > committed.sequence
  }

  // a definition already committed as it is has been checked by the channel's use of it
  const known = plan.commit ? await names : undefined
  if (known) checkPolicyNames(def.validationParameter, known, s.network.channel, source!)

  return {committed, def, plan}
}

export function allPeers(
  s: FabricSession,
  only?: {org?: string[]; peer?: string[]},
): {org: OrgConfig; peer: PeerConfig}[] {
  // every --org and --peer must name one in fabk8s.yaml: a mistyped one would otherwise be left out without a word
  for (const mspId of only?.org ?? []) s.org(mspId)
  const addresses = s.network.orgs.flatMap((o) => o.peers.map((p) => p.address))
  for (const address of only?.peer ?? [])
    if (!addresses.includes(address))
      throw new FabError(
        'USAGE',
        `--peer ${address}: not a peer address in fabk8s.yaml network.orgs[].peers (${addresses.join(', ')})`,
      )
  const out: {org: OrgConfig; peer: PeerConfig}[] = []
  for (const org of s.network.orgs) {
    if (only?.org?.length && !only.org.includes(org.mspId)) continue
    for (const p of org.peers) if (!only?.peer?.length || only.peer.includes(p.address)) out.push({org, peer: p})
  }

  if (out.length === 0)
    throw new FabError(
      'USAGE',
      `no peer in fabk8s.yaml network matches ${[...(only?.org ?? []), ...(only?.peer ?? [])].join(', ')}`,
    )
  return out
}

export function selectOrgs(s: FabricSession, mspIds?: string[]): OrgConfig[] {
  if (!mspIds?.length) return s.network.orgs
  // an org named twice approves once (two approvals of one org in a block: the second is an MVCC_READ_CONFLICT)
  return [...new Set(mspIds)].map((m) => s.org(m))
}
