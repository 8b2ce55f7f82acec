import type {CallResult} from '../lib/fabric/ops.js'

import {BaseCommand} from '../base-command.js'
import {callArgs, callFlags} from '../lib/fabric/flags.js'

export default class Query extends BaseCommand<typeof Query> {
  static override args = callArgs
  static override description = `Evaluate a transaction (read only) on the chaincode through the peer's Gateway; nothing is committed.

Arguments after FN are passed as strings. The admin identity of --org (default: the first org in fabk8s.yaml
network) signs; the result is printed as text.`
  static override examples = [
    '<%= config.bin %> query GetValue k1',
    '<%= config.bin %> query org.hyperledger.fabric:GetMetadata --json',
  ]
  static override flags = callFlags
  static override strict = false

  protected async execute(): Promise<CallResult> {
    const project = await this.project()
    const {args, argv} = await this.parse(Query)
    const {callChaincodeFor} = await import('../lib/fabric/ops.js')
    const r = await callChaincodeFor(project, {
      args: (argv as string[]).slice(1),
      chaincode: this.flags.chaincode,
      fn: args.fn,
      org: this.flags.org,
      submit: false,
      transient: this.flags.transient,
    })
    this.say(r.result)
    return r
  }
}
