import {Flags} from '@oclif/core'

import {usageError} from '../lib/errors.js'

/** KEY=VALUE, or KEY alone (docker then takes the value from the environment). */
export function parseBuildArg(s: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*(=.*)?$/s.test(s)) throw usageError(`--build-arg "${s}": expected KEY=VALUE`)
  return s
}

/** `--build-arg KEY=VALUE` (repeatable). */
export const buildArg = Flags.custom<string>({
  async parse(input) {
    return parseBuildArg(input)
  },
})
