/**
 * _lifecycle operations over a FabricSession: install (Endorser proposals, channel ""), approve and commit (through
 * the peer's Gateway, which endorses, submits to the orderer and waits for the commit), and the queries.
 */
import {peer} from '@hyperledger/fabric-protos'

import type {OrgConfig, PeerConfig} from '../project/schema.js'

import {FabError} from '../errors.js'
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
import {type FabricSession, firstPeer} from './session.js'

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
  /** false: nothing was sent (already in place). */
  changed: boolean
  txId?: string
  /** Validation code name, e.g. VALID. */
  validation?: string
}

function codeName(code: number): string {
  return Object.entries(peer.TxValidationCode).find(([, v]) => v === code)?.[0] ?? String(code)
}

async function submitLifecycle(
  s: FabricSession,
  org: OrgConfig,
  fn: string,
  args: Uint8Array,
  endorsingOrganizations: string[],
  op: string,
): Promise<TxOutcome> {
  const gw = await s.gateway(org)
  const contract = gw.getNetwork(s.network.channel).getContract(LIFECYCLE)
  let submitted
  try {
    submitted = await contract.submitAsync(fn, {arguments: [args], endorsingOrganizations})
  } catch (error) {
    throw error instanceof FabError ? error : Object.assign(error as Error, {fabkOp: op})
  }

  return {changed: true, ...(await committed(submitted, op))}
}

/** Wait until a submitted transaction is committed; a transaction committed as invalid is a FABRIC error. */
async function committed(
  submitted: {getStatus(): Promise<{code: number; successful: boolean; transactionId: string}>},
  op: string,
): Promise<{txId: string; validation: string}> {
  const status = await submitted.getStatus()
  const validation = codeName(status.code)
  if (!status.successful)
    throw new FabError(
      'FABRIC',
      `${op}: transaction ${status.transactionId} was committed as invalid (${validation})`,
      {
        detail: {transactionId: status.transactionId, validation},
      },
    )
  return {txId: status.transactionId, validation}
}

/** Approve the definition for the org (through its own peer's Gateway); "unchanged content" counts as done. */
export async function approve(
  s: FabricSession,
  org: OrgConfig,
  def: Definition,
  sequence: number,
  packageId: string,
): Promise<TxOutcome> {
  const op = `approve ${def.name} sequence ${sequence} for ${org.mspId}`
  try {
    return await submitLifecycle(
      s,
      org,
      'ApproveChaincodeDefinitionForMyOrg',
      approveArgs(def, sequence, packageId),
      [org.mspId],
      op,
    )
  } catch (error) {
    if (isAlreadyApproved(error)) return {changed: false}
    throw mapFabricError(error, s.ctx(org, firstPeer(org), op))
  }
}

/**
 * Commit the definition, endorsed by every org of the network config. When the commit cannot succeed, the error
 * shows CheckCommitReadiness approvals per org.
 */
export async function commit(
  s: FabricSession,
  def: Definition,
  sequence: number,
): Promise<TxOutcome & {approvals: Record<string, boolean>}> {
  const {orgs} = s.network
  const op = `commit ${def.name} sequence ${sequence}`
  const approvals = await checkCommitReadiness(s, def, sequence)
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
  try {
    const out = await submitLifecycle(
      s,
      approving[0],
      'CommitChaincodeDefinition',
      commitArgs(def, sequence),
      approving.map((o) => o.mspId),
      op,
    )
    return {...out, approvals}
  } catch (error) {
    const text = errorText(error)
    if (/ENDORSEMENT_POLICY_FAILURE|policy|not agreed|approv/i.test(text) || Object.values(approvals).includes(false))
      throw new FabError('FABRIC', `${op} failed: not enough approvals (${show()})`, {
        cause: error,
        detail: {approvals, raw: text},
        hint: 'approve the definition for the orgs marked NOT approved (`fabk8s lifecycle approve --org MSPID`), then commit again',
      })
    throw mapFabricError(error, s.ctx(approving[0], firstPeer(approving[0]), op))
  }
}

/** Evaluate (query) or submit (invoke) a transaction through the org's Gateway. */
export async function callChaincode(
  s: FabricSession,
  org: OrgConfig,
  opts: {args: string[]; chaincode: string; fn: string; submit: boolean; transient?: Record<string, string>},
): Promise<{result: Uint8Array; txId?: string; validation?: string}> {
  const op = `${opts.submit ? 'invoke' : 'query'} ${opts.chaincode} ${opts.fn}`
  const gw = await s.gateway(org)
  const contract = gw.getNetwork(s.network.channel).getContract(opts.chaincode)
  const transientData = opts.transient
    ? Object.fromEntries(Object.entries(opts.transient).map(([k, v]) => [k, Buffer.from(v)]))
    : undefined
  try {
    if (!opts.submit) return {result: await contract.evaluate(opts.fn, {arguments: opts.args, transientData})}
    const submitted = await contract.submitAsync(opts.fn, {arguments: opts.args, transientData})
    return {result: submitted.getResult(), ...(await committed(submitted, op))}
  } catch (error) {
    throw mapFabricError(error, s.ctx(org, firstPeer(org), op))
  }
}
