/** `invoke` / `query`: one call through the Gateway of the chosen org. */
import type {ProjectConfig} from '../project/schema.js'

import {callChaincode} from './lifecycle.js'
import {type FabricSession, withSession} from './session.js'

export interface CallResult {
  result: string
  txId?: string
  validation?: string
}

export interface CallOptions {
  args: string[]
  chaincode?: string
  fn: string
  org?: string
  submit: boolean
  /** Deadline of the call (default 60 s). */
  timeoutMs?: number
  transient?: Record<string, string>
}

export async function callChaincodeFor(project: ProjectConfig, o: CallOptions): Promise<CallResult> {
  return withSession(project.network, async (s) => callInSession(s, project, o), {timeoutMs: o.timeoutMs})
}

/**
 * The same call in a session the caller keeps open (one asking again and again keeps its connections); the session's
 * own deadline applies.
 */
export async function callInSession(
  s: FabricSession,
  project: ProjectConfig,
  o: Omit<CallOptions, 'timeoutMs'>,
): Promise<CallResult> {
  const r = await callChaincode(s, s.org(o.org), {
    args: o.args,
    chaincode: o.chaincode ?? project.name,
    fn: o.fn,
    submit: o.submit,
    transient: o.transient,
  })
  return {result: Buffer.from(r.result).toString('utf8'), txId: r.txId, validation: r.validation}
}
