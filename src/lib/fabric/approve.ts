/** Approvals: for one org unless its approval already matches, and `lifecycle approve` across the selected orgs. */
import type {OrgConfig, ProjectConfig} from '../project/schema.js'

import {approvalNeeded, type Definition, type DefinitionOverrides} from './definition.js'
import {approve, queryApproved} from './lifecycle.js'
import {planDefinition, selectOrgs} from './plan.js'
import {type FabricSession, withSession} from './session.js'

export interface ApproveOutcome {
  approved: boolean
  mspId: string
  reason: string
  sequence: number
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
  const need = approvalNeeded(current, def, sequence, packageId)
  if (!need) return {approved: false, mspId: org.mspId, reason: 'already approved', sequence}
  const r = await approve(s, org, def, sequence, packageId)
  return {
    approved: r.changed,
    mspId: org.mspId,
    reason: r.changed ? need : 'already approved',
    sequence,
    txId: r.txId,
    validation: r.validation,
  }
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
    const {def, plan} = await planDefinition(s, project, o)
    const orgs = await Promise.all(
      selectOrgs(s, o.orgs).map((org) => approveIfNeeded(s, org, def, plan.sequence, packageId)),
    )
    return {orgs, packageId, plan: {commit: plan.commit, reason: plan.reason, sequence: plan.sequence}}
  })
}
