import {Args, Flags} from '@oclif/core'

/** Arguments and flags shared by `fabk8s invoke` and `fabk8s query` (the same call, submitted or evaluated). */
export const callArgs = {
  fn: Args.string({description: 'function name (contract:function for a named contract)', required: true}),
}

export const callFlags = {
  chaincode: Flags.string({char: 'c', description: 'chaincode name (default: fabk8s.yaml name)'}),
  org: Flags.string({description: 'MSP ID whose admin identity and peer Gateway to use (default: the first org)'}),
  transient: Flags.string({description: 'transient data as a JSON object of strings, e.g. {"secret":"x"}'}),
}
