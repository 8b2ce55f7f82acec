import {Args, Flags} from '@oclif/core'

import type {CallResult} from './lib/fabric/call.js'

import {BaseCommand} from './base-command.js'
import {transient} from './flags/transient.js'

/** `fabk8s invoke` and `fabk8s query`: the same chaincode call, submitted (and waited on) or only evaluated. */
export abstract class CallCommand extends BaseCommand<typeof CallCommand> {
  static override args = {
    fn: Args.string({description: 'function name (contract:function for a named contract)', required: true}),
  }

  static override flags = {
    chaincode: Flags.string({char: 'c', description: 'chaincode name (default: fabk8s.yaml name)'}),
    org: Flags.string({
      description: 'MSP ID whose admin identity signs and whose peer answers (default: the first org)',
    }),
    transient: transient({description: 'transient data as a JSON object of strings, e.g. {"secret":"x"}'}),
  }

  static override strict = false

  /** Submit and wait for the commit (invoke), or only evaluate (query). */
  protected abstract readonly submit: boolean

  protected async execute(): Promise<CallResult> {
    const project = await this.project()
    const {callChaincodeFor} = await import('./lib/fabric/call.js')
    const r = await callChaincodeFor(project, {
      args: this.positionals.slice(1),
      chaincode: this.flags.chaincode,
      fn: this.args.fn!,
      org: this.flags.org,
      submit: this.submit,
      transient: this.flags.transient,
    })
    // stdout holds the chaincode's answer only (nothing when it answered nothing); what happened goes to stderr, as the
    // peer CLI's "Chaincode invoke successful": an invoke that answers nothing would otherwise print a blank line
    if (r.result !== '') this.say(r.result)
    const {c} = await import('./lib/ui/colors.js')
    if (this.submit) this.note(c.dim(`committed ${r.validation ?? 'VALID'}${r.txId ? ` (transaction ${r.txId})` : ''}`))
    else if (r.result === '') this.note(c.dim('the chaincode answered with an empty result'))
    return r
  }
}
