/** Approvals: for one org unless its approval already matches, and `lifecycle approve` across the selected orgs. */
import type {OrgConfig, ProjectConfig} from '../project/schema.js'

import {FabError} from '../errors.js'
import {approvalNeeded, type Definition, type DefinitionOverrides} from './definition.js'
import {approve, queryApproved, type SubmitControl} from './lifecycle.js'
import {planDefinition, selectOrgs} from './plan.js'
import {type FabricSession, withSession} from './session.js'

export interface ApproveOutcome {
  approved: boolean
  block?: number
  mspId: string
  reason: string
  sequence: number
  submittedVia?: string
  txId?: string
  validation?: string
}

/** Approve for one org unless its approval at that sequence already matches (definition and package). */
export async function approveIfNeeded(
  s: FabricSession,
  org: OrgConfig,
  def: Definition,
  sequence: number,
  packageId: string,
): Promise<ApproveOutcome> {
  const current = await queryApproved(s, org, def.name, sequence)
  return approveOrg(s, org, {def, need: approvalNeeded(current, def, sequence, packageId), packageId, sequence})
}

/** One org's approval when the plan says it is needed (`need`: why), else "already approved". */
export async function approveOrg(
  s: FabricSession,
  org: OrgConfig,
  {def, need, packageId, sequence}: {def: Definition; need?: string; packageId: string; sequence: number},
  c: SubmitControl = {},
): Promise<ApproveOutcome> {
  const base = {approved: false, mspId: org.mspId, reason: 'already approved', sequence}
  if (!need) return base
  const tx = await approve(s, org, def, sequence, packageId, c)
  return {
    ...base,
    approved: tx.changed,
    block: tx.block,
    reason: tx.changed ? need : base.reason,
    submittedVia: tx.submittedVia,
    txId: tx.txId,
    validation: tx.validation,
  }
}

/**
 * The approvals of several orgs run side by side; when some fail (refused, or committed INVALID), one error says which
 * org failed and why, and which were approved.
 */
export function approvalsFailed(done: ApproveOutcome[], failed: {error: unknown; mspId: string}[]): FabError {
  const ok = done.map((d) => `${d.mspId} ${d.approved ? `approved (${d.validation})` : 'already approved'}`)
  const messages = failed.map((f) => (f.error instanceof Error ? f.error.message : String(f.error)))
  const first = failed[0].error as Partial<FabError>
  const detail = {
    approvals: Object.fromEntries([
      ...done.map((d) => [d.mspId, d.validation ?? 'already approved']),
      ...failed.map((f, i) => [f.mspId, (f.error as FabError).detail?.validation ?? messages[i]]),
    ]),
  }
  const also = ok.length > 0 ? ` (${ok.join(', ')})` : ''
  // every failure lost a race with another run (lifecycle.ts concurrentChange): said once
  const races = failed.map((f) => (f.error as Partial<FabError>).detail ?? {})
  if (races.every((d) => d.concurrentChange)) {
    const codes = [...new Set(races.map((d) => `${String(d.validation)} in block ${String(d.block)}`))]
    const who = failed.map((f) => f.mspId).join(', ')
    return new FabError(
      'FABRIC',
      `the approval${failed.length === 1 ? '' : 's'} of ${who} ${failed.length === 1 ? 'was' : 'were'} not applied${also}: ` +
        `another change to the definition committed at the same time (${codes.join('; ')})`,
      {cause: first, detail: {...detail, concurrentChange: true}, hint: first.hint},
    )
  }

  if (failed.length === 1)
    return new FabError('FABRIC', `the approval of ${failed[0].mspId} failed${also}: ${messages[0]}`, {
      cause: first,
      detail,
      hint: first.hint,
    })
  return new FabError(
    'FABRIC',
    `the approvals of ${failed.map((f) => f.mspId).join(', ')} failed${also}: ${failed.map((f, i) => `${f.mspId}: ${messages[i]}`).join('; ')}`,
    {cause: first, detail, hint: first.hint},
  )
}

export interface ApproveAllResult {
  orgs: ApproveOutcome[]
  packageId: string
  plan: {commit: boolean; reason: string; sequence: number}
}

/** `lifecycle approve`: per selected org, at the planned (or given) sequence; orgs already matching are skipped. */
export async function approveAll(
  project: ProjectConfig,
  packageId: string,
  o: DefinitionOverrides & {orgs?: string[]; sequence?: number} = {},
): Promise<ApproveAllResult> {
  return withSession(project.network, async (s) => {
    const {def, plan} = await planDefinition(s, project, {...o, check: true})
    const selected = selectOrgs(s, o.orgs)
    // side by side, each to its end: every org's outcome is reported
    const settled = await Promise.allSettled(
      selected.map((org) => approveIfNeeded(s, org, def, plan.sequence, packageId)),
    )
    const orgs = settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []))
    const failed = settled.flatMap((r, i) =>
      r.status === 'rejected' ? [{error: r.reason as unknown, mspId: selected[i].mspId}] : [],
    )
    if (failed.length > 0) throw approvalsFailed(orgs, failed)
    return {orgs, packageId, plan: {commit: plan.commit, reason: plan.reason, sequence: plan.sequence}}
  })
}
