/**
 * Endorsement policies and collection configs, encoded exactly as the peer CLI does (internal/peer/lifecycle and
 * common/policydsl in Fabric), so an approval made by fabk8s and one made by `peer lifecycle chaincode
 * approveformyorg` with the same strings are byte-identical and count as the same definition.
 */
import {readFile} from 'node:fs/promises'

import {FabError} from '../errors.js'
import {parseSignaturePolicy, type PolicyGate} from './policy-dsl.js'
import {common, msp, peer} from './protos.js'

/** What _lifecycle writes when a definition has no policy: the channel's /Channel/Application/Endorsement. */
export const DEFAULT_ENDORSEMENT_POLICY_REF = '/Channel/Application/Endorsement'

const ROLES: Record<string, number> = {
  admin: msp.MSPRole.MSPRoleType.ADMIN,
  client: msp.MSPRole.MSPRoleType.CLIENT,
  member: msp.MSPRole.MSPRoleType.MEMBER,
  orderer: msp.MSPRole.MSPRoleType.ORDERER,
  peer: msp.MSPRole.MSPRoleType.PEER,
}
function nOutOf(n: number, rules: common.SignaturePolicy[]): common.SignaturePolicy {
  const nout = new common.SignaturePolicy.NOutOf()
  nout.setN(n)
  nout.setRulesList(rules)
  const p = new common.SignaturePolicy()
  p.setNOutOf(nout)
  return p
}

/**
 * Fabric's policy DSL (`AND('Org1MSP.member', OR(...))`, `OutOf(2, ...)`) → SignaturePolicyEnvelope. Principals
 * are numbered the way policydsl.FromString numbers them: nested gates first, then a gate's own strings, left to
 * right, without de-duplication.
 */
export function signaturePolicyFromString(policy: string): common.SignaturePolicyEnvelope {
  const root = parseSignaturePolicy(policy)
  const identities: msp.MSPPrincipal[] = []
  const encode = (gate: PolicyGate): common.SignaturePolicy => {
    const nested = new Map<PolicyGate, common.SignaturePolicy>()
    for (const r of gate.rules) if ('rules' in r) nested.set(r, encode(r))
    const rules = gate.rules.map((r) => {
      if ('rules' in r) return nested.get(r)!
      const role = new msp.MSPRole()
      role.setMspIdentifier(r.mspId)
      role.setRole(ROLES[r.role] as Parameters<msp.MSPRole['setRole']>[0])
      const principal = new msp.MSPPrincipal()
      principal.setPrincipalClassification(msp.MSPPrincipal.Classification.ROLE)
      principal.setPrincipal(role.serializeBinary())
      identities.push(principal)
      const signed = new common.SignaturePolicy()
      signed.setSignedBy(identities.length - 1)
      return signed
    })
    return nOutOf(gate.n, rules)
  }

  const rule = encode(root)
  const env = new common.SignaturePolicyEnvelope()
  env.setVersion(0)
  env.setRule(rule)
  env.setIdentitiesList(identities)
  return env
}

/** An ApplicationPolicy (the chaincode's validation parameter) from --signature-policy / --channel-config-policy. */
export function applicationPolicy(opts: {
  channelConfigPolicy?: string
  signaturePolicy?: string
}): peer.ApplicationPolicy {
  if (opts.signaturePolicy && opts.channelConfigPolicy)
    throw new FabError('USAGE', 'set a signature policy or a channel config policy, not both')
  const ap = new peer.ApplicationPolicy()
  if (opts.signaturePolicy) {
    try {
      ap.setSignaturePolicy(signaturePolicyFromString(opts.signaturePolicy))
    } catch (error) {
      throw new FabError('USAGE', `signature policy: ${(error as Error).message}`)
    }
  } else ap.setChannelConfigPolicyReference(opts.channelConfigPolicy || DEFAULT_ENDORSEMENT_POLICY_REF)
  return ap
}

/** Human form of a validation parameter (an ApplicationPolicy), for status output. */
export function describeApplicationPolicy(bytes: Uint8Array): string {
  if (bytes.length === 0) return '(none)'
  let ap: peer.ApplicationPolicy
  try {
    ap = peer.ApplicationPolicy.deserializeBinary(bytes)
  } catch {
    return `(${bytes.length} bytes, not an ApplicationPolicy)`
  }

  if (ap.hasSignaturePolicy()) return signaturePolicyToString(ap.getSignaturePolicy()!)
  return ap.getChannelConfigPolicyReference()
}

/**
 * The fewest orgs, among `mspIds`, whose peers' endorsements (one per org) satisfy the ApplicationPolicy; sets that
 * hold `prefer` first. Evaluated the way Fabric's cauthdsl does: each signature satisfies at most one principal.
 * Undefined when the policy is a channel config policy reference (e.g. /Channel/Application/Endorsement, whose
 * members we do not know), uses principals other than MSP roles, or cannot be satisfied by these orgs.
 */
export function endorsingOrgs(
  validationParameter: Uint8Array,
  mspIds: string[],
  prefer?: string,
): string[] | undefined {
  let ap: peer.ApplicationPolicy
  try {
    ap = peer.ApplicationPolicy.deserializeBinary(validationParameter)
  } catch {
    return undefined
  }

  const env = ap.getSignaturePolicy()
  const rule = env?.getRule()
  if (!env || !rule) return undefined
  const principals: string[] = []
  for (const p of env.getIdentitiesList()) {
    if (p.getPrincipalClassification() !== msp.MSPPrincipal.Classification.ROLE) return undefined
    principals.push(msp.MSPRole.deserializeBinary(p.getPrincipal_asU8()).getMspIdentifier())
  }

  const satisfied = (orgs: string[]): boolean => {
    const walk = (r: common.SignaturePolicy, used: boolean[]): boolean => {
      if (r.hasSignedBy()) {
        const i = orgs.findIndex((o, k) => !used[k] && o === principals[r.getSignedBy()])
        if (i === -1) return false
        used[i] = true
        return true
      }

      const n = r.getNOutOf()!
      let verified = 0
      for (const sub of n.getRulesList()) {
        const trial = [...used]
        if (walk(sub, trial)) {
          verified++
          for (const [k, u] of trial.entries()) used[k] = u
        }
      }

      return verified >= n.getN()
    }

    return walk(
      rule,
      orgs.map(() => false),
    )
  }

  const ordered = prefer && mspIds.includes(prefer) ? [prefer, ...mspIds.filter((m) => m !== prefer)] : mspIds
  // subsets by size, then in the order above (the preferred org first): at most 2^orgs, and networks are small
  const subsets = Array.from({length: 2 ** ordered.length}, (_, mask) => ordered.filter((_o, i) => mask & (1 << i)))
  subsets.sort((a, b) => a.length - b.length)
  return subsets.find((set) => set.length > 0 && satisfied(set))
}

/**
 * The MSP IDs a signature policy names, when it names orgs by role only (what endorsingOrgs evaluates); undefined for
 * a channel config policy reference, other principals, or bytes that are no ApplicationPolicy.
 */
export function signaturePolicyMspIds(validationParameter: Uint8Array): string[] | undefined {
  let env: common.SignaturePolicyEnvelope | undefined
  try {
    env = peer.ApplicationPolicy.deserializeBinary(validationParameter).getSignaturePolicy()
  } catch {
    return undefined
  }

  if (!env?.getRule()) return undefined
  const ids: string[] = []
  for (const p of env.getIdentitiesList()) {
    if (p.getPrincipalClassification() !== msp.MSPPrincipal.Classification.ROLE) return undefined
    ids.push(msp.MSPRole.deserializeBinary(p.getPrincipal_asU8()).getMspIdentifier())
  }

  return [...new Set(ids)]
}

/** SignaturePolicyEnvelope → DSL text (AND/OR/OutOf), the inverse of signaturePolicyFromString. */
export function signaturePolicyToString(env: common.SignaturePolicyEnvelope): string {
  const ids = env.getIdentitiesList().map((p) => {
    if (p.getPrincipalClassification() !== msp.MSPPrincipal.Classification.ROLE) return '?'
    const r = msp.MSPRole.deserializeBinary(p.getPrincipal_asU8())
    const role = Object.entries(ROLES).find(([, v]) => v === r.getRole())?.[0] ?? '?'
    return `'${r.getMspIdentifier()}.${role}'`
  })
  const walk = (p: common.SignaturePolicy): string => {
    if (p.hasSignedBy()) return ids[p.getSignedBy()] ?? '?'
    const n = p.getNOutOf()!
    const rules = n.getRulesList().map((r) => walk(r))
    if (n.getN() === rules.length && rules.length > 1) return `AND(${rules.join(', ')})`
    if (n.getN() === 1) return `OR(${rules.join(', ')})`
    return `OutOf(${n.getN()}, ${rules.join(', ')})`
  }

  const rule = env.getRule()
  return rule ? walk(rule) : '?'
}

interface CollectionJson {
  blockToLive?: number
  endorsementPolicy?: {channelConfigPolicy?: string; signaturePolicy?: string}
  maxPeerCount?: number
  memberOnlyRead?: boolean
  memberOnlyWrite?: boolean
  name?: string
  policy?: string
  requiredPeerCount?: number
}

/** A collections config (the JSON the peer CLI reads with --collections-config) → CollectionConfigPackage. */
export function collectionsFromJson(text: string, file = 'collections config'): peer.CollectionConfigPackage {
  let list: unknown
  try {
    list = JSON.parse(text)
  } catch (error) {
    throw new FabError('USAGE', `${file}: not JSON (${(error as Error).message})`)
  }

  if (!Array.isArray(list)) throw new FabError('USAGE', `${file}: expected a JSON list of collections`)
  const pkg = new peer.CollectionConfigPackage()
  for (const [i, c] of (list as CollectionJson[]).entries()) {
    const where = `${file}: collection [${i}]`
    if (typeof c?.name !== 'string' || !c.name) throw new FabError('USAGE', `${where}: "name" is required`)
    if (typeof c.policy !== 'string') throw new FabError('USAGE', `${where} (${c.name}): "policy" is required`)
    // the peer CLI reads these as Go integers and booleans; a string or a fraction would otherwise reach protobuf's
    // encoder ("Assertion failed") or, for a boolean, be taken as true ("false" is a non-empty string)
    for (const k of ['requiredPeerCount', 'maxPeerCount', 'blockToLive'] as const)
      if (c[k] !== undefined && !(Number.isSafeInteger(c[k]) && c[k] >= 0))
        throw new FabError(
          'USAGE',
          `${where} (${c.name}): "${k}" must be a whole number ≥ 0, got ${JSON.stringify(c[k])}`,
        )
    for (const k of ['memberOnlyRead', 'memberOnlyWrite'] as const)
      if (c[k] !== undefined && typeof c[k] !== 'boolean')
        throw new FabError('USAGE', `${where} (${c.name}): "${k}" must be true or false, got ${JSON.stringify(c[k])}`)
    const sc = new peer.StaticCollectionConfig()
    sc.setName(c.name)
    const cpc = new peer.CollectionPolicyConfig()
    try {
      cpc.setSignaturePolicy(signaturePolicyFromString(c.policy))
    } catch (error) {
      throw new FabError('USAGE', `${where} (${c.name}): ${(error as Error).message}`)
    }

    sc.setMemberOrgsPolicy(cpc)
    sc.setRequiredPeerCount(c.requiredPeerCount ?? 0)
    sc.setMaximumPeerCount(c.maxPeerCount ?? 1)
    sc.setBlockToLive(c.blockToLive ?? 0)
    sc.setMemberOnlyRead(Boolean(c.memberOnlyRead))
    sc.setMemberOnlyWrite(Boolean(c.memberOnlyWrite))
    if (c.endorsementPolicy && (c.endorsementPolicy.signaturePolicy || c.endorsementPolicy.channelConfigPolicy)) {
      try {
        sc.setEndorsementPolicy(applicationPolicy(c.endorsementPolicy))
      } catch (error) {
        throw new FabError('USAGE', `${where} (${c.name}) endorsementPolicy: ${(error as Error).message}`)
      }
    }

    const cc = new peer.CollectionConfig()
    cc.setStaticCollectionConfig(sc)
    pkg.addConfig(cc)
  }

  return pkg
}

export async function readCollections(file: string): Promise<peer.CollectionConfigPackage> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch {
    throw new FabError('USAGE', `collections config: cannot read ${file}`)
  }

  return collectionsFromJson(text, file)
}
