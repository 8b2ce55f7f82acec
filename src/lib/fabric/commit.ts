/** `lifecycle commit`: commit the planned (or given) sequence unless the committed definition already matches. */
import type {ProjectConfig} from '../project/schema.js'
import type {DefinitionOverrides} from './definition.js'

import {commit} from './lifecycle.js'
import {planDefinition} from './plan.js'
import {withSession} from './session.js'

export interface CommitResult {
  approvals: Record<string, boolean>
  committed: boolean
  reason: string
  sequence: number
  txId?: string
  validation?: string
}

export async function commitDefinition(
  project: ProjectConfig,
  o: DefinitionOverrides & {sequence?: number} = {},
): Promise<CommitResult> {
  return withSession(project.network, async (s) => {
    const {committed, def, plan} = await planDefinition(s, project, {...o, check: true})
    if (!plan.commit)
      return {approvals: committed?.approvals ?? {}, committed: false, reason: plan.reason, sequence: plan.sequence}
    const r = await commit(s, def, plan.sequence)
    return {
      approvals: r.approvals,
      committed: true,
      reason: plan.reason,
      sequence: plan.sequence,
      txId: r.txId,
      validation: r.validation,
    }
  })
}
