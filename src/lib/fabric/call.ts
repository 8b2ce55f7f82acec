/** `invoke` / `query`: one call through the Gateway of the chosen org. */
import {isUtf8} from 'node:buffer'

import {usageError} from '../errors.js'
import {CHAINCODE_NAME_RE, type ProjectConfig} from '../project/schema.js'
import {callChaincode} from './lifecycle.js'
import {type FabricSession, withSession} from './session.js'

export interface CallResult {
  /** The chaincode's answer as UTF-8 text (bytes that are no UTF-8 become U+FFFD here: see resultBase64). */
  result: string
  /** Only when the answer is not UTF-8 text (a protobuf, an image): its bytes whole, base64. */
  resultBase64?: string
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

/**
 * `-c/--chaincode`: a name Fabric can have defined (its chaincode name rule), or a system chaincode a peer also answers
 * (qscc, cscc fit the rule; _lifecycle does not); checked before any connection.
 */
export function checkChaincodeName(name: string): void {
  if (name !== '_lifecycle' && !CHAINCODE_NAME_RE.test(name))
    throw usageError(
      `-c/--chaincode: ${JSON.stringify(name)} is not a chaincode name (letters and digits, single - or _ between them)`,
    )
}

export async function callChaincodeFor(project: ProjectConfig, o: CallOptions): Promise<CallResult> {
  if (o.chaincode !== undefined) checkChaincodeName(o.chaincode)
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
  const bytes = Buffer.from(r.result)
  return {
    result: bytes.toString('utf8'),
    // as text such an answer loses bytes: --json then also carries them whole
    ...(isUtf8(bytes) ? {} : {resultBase64: bytes.toString('base64')}),
    txId: r.txId,
    validation: r.validation,
  }
}
