import type {CallResult} from '../lib/fabric/ops.js'

import {BaseCommand} from '../base-command.js'
import {callArgs, callFlags} from '../lib/fabric/flags.js'

export default class Invoke extends BaseCommand<typeof Invoke> {
  static override args = callArgs
  static override description = `Submit a transaction to the chaincode through the peer's Gateway and wait until it is committed.

Arguments after FN are passed as strings. The admin identity of --org (default: the first org in fabk8s.yaml
network) signs; the result is printed as text.`
  static override examples = [
    '<%= config.bin %> invoke PutValue k1 hello',
    '<%= config.bin %> invoke CreateAsset a1 blue --json',
  ]
  static override flags = callFlags
  static override strict = false

  protected async execute(): Promise<CallResult> {
    const project = await this.project()
    const {args, argv} = await this.parse(Invoke)
    const {callChaincodeFor} = await import('../lib/fabric/ops.js')
    const r = await callChaincodeFor(project, {
      args: (argv as string[]).slice(1),
      chaincode: this.flags.chaincode,
      fn: args.fn,
      org: this.flags.org,
      submit: true,
      transient: this.flags.transient,
    })
    this.say(r.result)
    return r
  }
}
