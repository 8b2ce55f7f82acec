import type {OrgConfig, PeerConfig} from '../project/schema.js'

import {FabError, isFabError} from '../errors.js'
import {
  applicationPolicy,
  approvalSteps,
  channelPolicy,
  commitRoute,
  orNone,
  policyShortfall,
  satisfiedBy,
} from './channel.js'
import {
  approveArgs,
  type Approved,
  checkCommitReadinessArgs,
  commitArgs,
  type Committed,
  decodeApproved,
  decodeCommitted,
  decodeReadiness,
  type Definition,
} from './definition.js'
import {errorText, isAlreadyApproved, isAlreadyInstalled, isNotFound, mapFabricError} from './errmap.js'
import {describeApplicationPolicy, endorsingOrgs, signaturePolicyMspIds} from './policy.js'
/**
 * _lifecycle operations over a FabricSession: install (Endorser proposals, channel ""), the queries, and approve and
 * commit (endorsed on the peers fabk8s.yaml names, ordered and waited on without the Gateway: submit.ts). On a channel
 * with orgs outside fabk8s.yaml, channel.ts says whether a commit or an invoke needs a peer's Gateway to reach theirs.
 */
import {peer} from './protos.js'
import {type FabricSession, firstPeer} from './session.js'
import {evaluate, submit, submitThroughGateway} from './submit.js'

const lc = peer.lifecycle
const LIFECYCLE = '_lifecycle'

export interface InstallResult {
  address: string
  /** false: it was installed already. */
  installed: boolean
  label: string
  mspId: string
  packageId: string
}

export async function installOnPeer(
  s: FabricSession,
  org: OrgConfig,
  p: PeerConfig,
  pkg: {bytes: Buffer; label: string; packageId: string},
): Promise<InstallResult> {
  const args = new lc.InstallChaincodeArgs()
  args.setChaincodeInstallPackage(pkg.bytes)
  const base = {address: p.address, label: pkg.label, mspId: org.mspId}
  try {
    const payload = await s.propose(org, p, {
      args: [args.serializeBinary()],
      chaincode: LIFECYCLE,
      channel: '',
      fn: 'InstallChaincode',
    })
    const r = lc.InstallChaincodeResult.deserializeBinary(payload)
    if (r.getPackageId() !== pkg.packageId)
      throw new FabError(
        'FABRIC',
        `${p.address} installed the package as ${r.getPackageId()}, expected ${pkg.packageId}`,
        {
          hint: 'the peer computed another package ID: is it a Fabric v2.x peer?',
        },
      )
    return {...base, installed: true, packageId: r.getPackageId()}
  } catch (error) {
    if (isAlreadyInstalled(error)) return {...base, installed: false, packageId: pkg.packageId}
    throw mapFabricError(error, s.ctx(org, p, `install on ${p.address}`))
  }
}

export interface InstalledPackage {
  label: string
  packageId: string
  /** channel → chaincode names (with version) that use it. */
  references: Record<string, string[]>
}

export async function queryInstalled(s: FabricSession, org: OrgConfig, p: PeerConfig): Promise<InstalledPackage[]> {
  try {
    const payload = await s.propose(org, p, {
      args: [new lc.QueryInstalledChaincodesArgs().serializeBinary()],
      chaincode: LIFECYCLE,
      channel: '',
      fn: 'QueryInstalledChaincodes',
    })
    const r = lc.QueryInstalledChaincodesResult.deserializeBinary(payload)
    return r.getInstalledChaincodesList().map((c) => {
      const references: Record<string, string[]> = {}
      for (const [ch, refs] of c.getReferencesMap().entries() as [
        string,
        InstanceType<typeof lc.QueryInstalledChaincodesResult.References>,
      ][])
        references[ch] = refs.getChaincodesList().map((x) => `${x.getName()}@${x.getVersion()}`)
      return {label: c.getLabel(), packageId: c.getPackageId(), references}
    })
  } catch (error) {
    throw mapFabricError(error, s.ctx(org, p, `query installed chaincodes on ${p.address}`))
  }
}

/** The committed definition of `name` on the channel, or undefined when none is committed. */
export async function queryCommitted(
  s: FabricSession,
  name: string,
  org: OrgConfig = s.network.orgs[0],
): Promise<Committed | undefined> {
  const args = new lc.QueryChaincodeDefinitionArgs()
  args.setName(name)
  return queryOrNone(
    s,
    org,
    'QueryChaincodeDefinition',
    args.serializeBinary(),
    decodeCommitted,
    `query committed definition of ${name}`,
  )
}

/** What an org approved for `name` at `sequence` (0: its latest), or undefined. */
export async function queryApproved(
  s: FabricSession,
  org: OrgConfig,
  name: string,
  sequence: number,
): Promise<Approved | undefined> {
  const args = new lc.QueryApprovedChaincodeDefinitionArgs()
  args.setName(name)
  args.setSequence(sequence)
  return queryOrNone(
    s,
    org,
    'QueryApprovedChaincodeDefinition',
    args.serializeBinary(),
    decodeApproved,
    `query ${org.mspId} approval of ${name}`,
  )
}

/** A channel `_lifecycle` query on the org's first peer; undefined when the peer says the definition does not exist. */
async function queryOrNone<T>(
  s: FabricSession,
  org: OrgConfig,
  fn: string,
  args: Uint8Array,
  decode: (payload: Uint8Array) => T,
  what: string,
): Promise<T | undefined> {
  const p = firstPeer(org)
  try {
    return decode(await s.propose(org, p, {args: [args], chaincode: LIFECYCLE, channel: s.network.channel, fn}))
  } catch (error) {
    if (isNotFound(error)) return undefined
    throw mapFabricError(error, s.ctx(org, p, what))
  }
}

export async function checkCommitReadiness(
  s: FabricSession,
  def: Definition,
  sequence: number,
  org: OrgConfig = s.network.orgs[0],
): Promise<Record<string, boolean>> {
  const p = firstPeer(org)
  try {
    const payload = await s.propose(org, p, {
      args: [checkCommitReadinessArgs(def, sequence)],
      chaincode: LIFECYCLE,
      channel: s.network.channel,
      fn: 'CheckCommitReadiness',
    })
    return decodeReadiness(payload)
  } catch (error) {
    throw mapFabricError(error, s.ctx(org, p, `check commit readiness of ${def.name}`))
  }
}

export interface TxOutcome {
  /** Block that carries the transaction. */
  block?: number
  /** false: nothing was sent (already in place). */
  changed: boolean
  /** Where the envelope went (the orderer, or a peer's Gateway when the orderer is unreachable from here). */
  submittedVia?: string
  txId?: string
  /** Validation code name, e.g. VALID. */
  validation?: string
}

export interface SubmitControl {
  /** Step timings (endorsed, ordered, committed), for --verbose and the bench. */
  trace?: (step: string, ms: number) => void
  /** Orgs whose peer must have committed the transaction before this returns (default: the endorsing orgs). */
  waitOn?: OrgConfig[]
}

/**
 * A _lifecycle transaction endorsed by the first peer of each org in `endorsers`, signed by the first org's admin; with
 * `gateway`, endorsed instead through the Gateway of the first org's peer by a peer of each org it names (some not in
 * fabk8s.yaml), and waited on at the peers of `endorsers` unless `waitOn` says otherwise.
 */
async function submitLifecycle(
  s: FabricSession,
  endorsers: OrgConfig[],
  fn: string,
  args: Uint8Array,
  op: string,
  c: SubmitControl & {gateway?: string[]},
): Promise<TxOutcome> {
  const input = {args: [args], chaincode: LIFECYCLE, channel: s.network.channel, fn}
  const o = {input, op, org: endorsers[0], trace: c.trace}
  const r = c.gateway
    ? await submitThroughGateway(s, {...o, orgs: c.gateway, waitOn: c.waitOn ?? endorsers})
    : await submit(s, {...o, endorsers: endorsers.map((org) => ({org, peer: firstPeer(org)})), waitOn: c.waitOn})
  return {block: r.block, changed: true, submittedVia: r.submittedVia, txId: r.txId, validation: r.validation}
}

/**
 * Approve the definition for the org: endorsed by the org's own peer, ordered, and committed (VALID) on its peer and
 * on those of `waitOn`. "Unchanged content" counts as done.
 */
export async function approve(
  s: FabricSession,
  org: OrgConfig,
  def: Definition,
  sequence: number,
  packageId: string,
  c: SubmitControl = {},
): Promise<TxOutcome> {
  const op = `approve ${def.name} sequence ${sequence} for ${org.mspId}`
  try {
    return await submitLifecycle(
      s,
      [org],
      'ApproveChaincodeDefinitionForMyOrg',
      approveArgs(def, sequence, packageId),
      op,
      c,
    )
  } catch (error) {
    if (isAlreadyApproved(error)) return {changed: false}
    throw concurrentChange(error, op) ?? mapFabricError(error, s.ctx(org, firstPeer(org), op))
  }
}

/**
 * A _lifecycle transaction committed INVALID because another transaction changed what it read in the same block or
 * just before (MVCC_READ_CONFLICT, PHANTOM_READ_CONFLICT): another change to the same definition (another run of
 * register, approve or commit, here or elsewhere) committed at the same time. Nothing of this one was applied; a new
 * run sees what is in place and does what is left. Undefined for any other error.
 */
function concurrentChange(error: unknown, op: string): FabError | undefined {
  if (!isFabError(error)) return undefined
  const {block, transactionId, validation} = error.detail ?? {}
  if (validation !== 'MVCC_READ_CONFLICT' && validation !== 'PHANTOM_READ_CONFLICT') return undefined
  return new FabError(
    'FABRIC',
    `${op}: another change to the definition committed at the same time, so this one was not applied ` +
      `(transaction ${String(transactionId)} INVALID: ${validation} in block ${String(block)})`,
    {
      cause: error,
      detail: {...error.detail, concurrentChange: true},
      hint: 'run the command again: it sees what is in place now and does only what is left',
    },
  )
}

/** The hint of a commit refused for want of approvals: who must approve (approvalSteps), then commit again. */
function approveFirstHint(steps: string[]): string {
  return steps.length > 0
    ? `${steps.join('; ')}; then commit again`
    : 'approve the definition for the orgs marked NOT approved (`fabk8s lifecycle approve --org MSPID`), then commit again'
}

/**
 * Commit the definition, endorsed by a peer of every org of the network config that approved it. `approvals` (org →
 * approved), when the caller knows them, saves the CheckCommitReadiness query. When the commit cannot succeed, the
 * error shows the approvals per org.
 */
export async function commit(
  s: FabricSession,
  def: Definition,
  sequence: number,
  c: SubmitControl & {approvals?: Record<string, boolean>; gateway?: string[]} = {},
): Promise<TxOutcome & {approvals: Record<string, boolean>}> {
  const {orgs} = s.network
  const op = `commit ${def.name} sequence ${sequence}`
  const approvals = {...(c.approvals ?? (await checkCommitReadiness(s, def, sequence)))}
  const approving = orgs.filter((o) => approvals[o.mspId])
  const show = () =>
    Object.entries(approvals)
      .map(([k, v]) => `${k} ${v ? 'approved' : 'NOT approved'}`)
      .join(', ')
  if (approving.length === 0)
    throw new FabError('FABRIC', `${op}: no org in fabk8s.yaml has approved this definition (${show()})`, {
      detail: {approvals},
      hint: 'run `fabk8s lifecycle approve` (or `fabk8s register`) first',
    })
  // approvals the caller passed in cover fabk8s.yaml's orgs only (register asks the channel itself, and passes
  // `gateway` when the commit needs other orgs' peers)
  let {gateway} = c
  if (!c.approvals) {
    const cp = await channelPolicy(s, approvals)
    gateway =
      cp &&
      commitRoute(
        s,
        def.name,
        sequence,
        cp,
        approvals,
        approving.map((o) => o.mspId),
      )?.gateway
  }

  try {
    const args = commitArgs(def, sequence)
    const out = await submitLifecycle(s, approving, 'CommitChaincodeDefinition', args, op, {...c, gateway})
    return {...out, approvals}
  } catch (error) {
    const race = concurrentChange(error, op)
    if (race) throw race
    const text = errorText(error)
    if (/ENDORSEMENT_POLICY_FAILURE|policy|not agreed|approv/i.test(text) || Object.values(approvals).includes(false)) {
      // approvals the caller passed in cover fabk8s.yaml's orgs only: the channel may have more, ask it
      if (c.approvals) Object.assign(approvals, await checkCommitReadiness(s, def, sequence).catch(() => ({})))
      // every org approved: what fell short were the endorsements (the peers of too few orgs endorsed the commit)
      if (/ENDORSEMENT_POLICY_FAILURE/.test(text) && !Object.values(approvals).includes(false))
        throw new FabError(
          'FABRIC',
          `${op} failed: every org approved (${show()}), but the channel's LifecycleEndorsement policy does not ` +
            `accept the commit endorsed by peers of ${approving.map((o) => o.mspId).join(', ')} only`,
          {
            cause: error,
            detail: {approvals, endorsers: approving.map((o) => o.mspId), raw: text},
            hint: "list a peer of more of the channel's orgs in fabk8s.yaml network.orgs, or commit with the peer CLI (`peer lifecycle chaincode commit` with --peerAddresses of a peer of each org)",
          },
        )
      throw new FabError('FABRIC', `${op} failed: not enough approvals (${show()})`, {
        cause: error,
        detail: {approvals, raw: text},
        hint: approveFirstHint(
          approvalSteps(
            orgs.map((o) => o.mspId),
            Object.keys(approvals).filter((m) => !approvals[m]),
            `${def.name}, sequence ${sequence}`,
          ),
        ),
      })
    }

    throw mapFabricError(error, s.ctx(approving[0], firstPeer(approving[0]), op))
  }
}

/**
 * The orgs whose peers endorse an invoke: the fewest that satisfy the chaincode's committed signature policy (the
 * calling org first), or every org in fabk8s.yaml when the policy refers to the channel config (e.g. the default
 * MAJORITY Endorsement) or is not satisfiable by the listed orgs alone (the commit then reports the policy failure).
 * 'gateway': the channel has orgs outside fabk8s.yaml (the committed definition's approvals list every org of the
 * channel) and the listed orgs cannot satisfy the policy, so the calling org's peer's Gateway gathers the endorsements.
 */
export async function invokeEndorsers(
  s: FabricSession,
  org: OrgConfig,
  chaincode: string,
): Promise<'gateway' | OrgConfig[]> {
  const committed = await queryCommitted(s, chaincode, org)
  if (!committed)
    throw new FabError('FABRIC', `chaincode ${chaincode} is not committed on channel ${s.network.channel}`, {
      hint: '`fabk8s register` installs, approves and commits it',
    })
  const {orgs} = s.network
  const ours = orgs.map((o) => o.mspId)
  const chosen = endorsingOrgs(committed.validationParameter, ours, org.mspId)
  if (chosen) return chosen.map((m) => s.org(m))
  const all = [org, ...orgs.filter((o) => o !== org)]
  const channelOrgs = Object.keys(committed.approvals ?? {})
  // a signature policy that a peer of each of the channel's orgs cannot satisfy (it names an org outside the
  // channel): its transaction could only commit INVALID, so it is not sent
  const named = signaturePolicyMspIds(committed.validationParameter)
  if (named && channelOrgs.length > 0 && !satisfiedBy(committed.validationParameter, channelOrgs)) {
    const outside = named.filter((m) => !channelOrgs.includes(m))
    const described = describeApplicationPolicy(committed.validationParameter)
    throw new FabError(
      'FABRIC',
      `invoke ${chaincode} not sent: its endorsement policy ${described} (sequence ${committed.sequence}) cannot be satisfied by a peer of each of channel ${s.network.channel}'s orgs (${[...channelOrgs].sort().join(', ')})${outside.length > 0 ? `: ${outside.join(', ')} ${outside.length === 1 ? 'is not an org' : 'are not orgs'} of the channel` : ''}; the transaction could only commit INVALID (ENDORSEMENT_POLICY_FAILURE)`,
      {
        detail: {policy: described, sequence: committed.sequence},
        hint: `commit a policy the channel's orgs can satisfy: \`fabk8s register --signature-policy "…"\` (or definition.signaturePolicy in fabk8s.yaml)`,
      },
    )
  }

  if (channelOrgs.every((m) => ours.includes(m))) return all
  // a policy the channel config holds (/Channel/Application/Endorsement by default): read it, and go through the
  // Gateway only when the listed orgs cannot satisfy it (or it cannot be read); a signature policy was evaluated above
  const ref = /^\/Channel\/Application\/(\w+)$/.exec(describeApplicationPolicy(committed.validationParameter))
  const policy = ref ? await orNone(applicationPolicy(s, ref[1], org)) : undefined
  return policy && !policyShortfall(policy, channelOrgs, ours, satisfiedBy) ? all : 'gateway'
}

/**
 * Evaluate (query: the org's first peer, nothing ordered) or submit (invoke: endorsed by the peers the policy needs,
 * ordered, committed VALID on those peers) a chaincode transaction, signed by the org's admin.
 */
export async function callChaincode(
  s: FabricSession,
  org: OrgConfig,
  opts: {args: string[]; chaincode: string; fn: string; submit: boolean; transient?: Record<string, string>},
): Promise<{result: Uint8Array; txId?: string; validation?: string}> {
  const op = `${opts.submit ? 'invoke' : 'query'} ${opts.chaincode} ${opts.fn}`
  const input = {
    args: opts.args,
    chaincode: opts.chaincode,
    channel: s.network.channel,
    fn: opts.fn,
    transient: opts.transient
      ? Object.fromEntries(Object.entries(opts.transient).map(([k, v]) => [k, Buffer.from(v)]))
      : undefined,
  }
  try {
    if (!opts.submit) return await evaluate(s, org, input, {chaincode: opts.chaincode, op})
    // the commit-status stream and the orderer connection start now, overlapping the policy query
    s.watcher(org).catch(() => {})
    s.connect(s.network.orderer).catch(() => {})
    const endorsers = await invokeEndorsers(s, org, opts.chaincode)
    const r =
      endorsers === 'gateway'
        ? await submitThroughGateway(s, {chaincode: opts.chaincode, input, op, org, waitOn: [org]})
        : await submit(s, {
            chaincode: opts.chaincode,
            endorsers: endorsers.map((o) => ({org: o, peer: firstPeer(o)})),
            input,
            op,
            // the signer is the calling org; its peer reports the commit even when another org's peers endorse
            org,
            waitOn: [org, ...endorsers.filter((o) => o !== org)],
          })
    return {result: r.result, txId: r.txId, validation: r.validation}
  } catch (error) {
    throw mapFabricError(error, s.ctx(org, firstPeer(org), op))
  }
}
