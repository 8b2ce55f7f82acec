/** `invoke` / `query`: one call through the Gateway of the chosen org. */
import type {ProjectConfig} from '../project/schema.js'

import {callChaincode} from './lifecycle.js'
import {withSession} from './session.js'

export interface CallResult {
  result: string
  txId?: string
  validation?: string
}

export async function callChaincodeFor(
  project: ProjectConfig,
  o: {
    args: string[]
    chaincode?: string
    fn: string
    org?: string
    submit: boolean
    /** Deadline of the call (default 60 s). */
    timeoutMs?: number
    transient?: Record<string, string>
  },
): Promise<CallResult> {
  return withSession(
    project.network,
    async (s) => {
      const r = await callChaincode(s, s.org(o.org), {
        args: o.args,
        chaincode: o.chaincode ?? project.name,
        fn: o.fn,
        submit: o.submit,
        transient: o.transient,
      })
      return {result: Buffer.from(r.result).toString('utf8'), txId: r.txId, validation: r.validation}
    },
    {timeoutMs: o.timeoutMs},
  )
}
