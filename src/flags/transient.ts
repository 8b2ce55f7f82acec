import {Flags} from '@oclif/core'

import {FabError} from '../lib/errors.js'

/** `{"secret":"x"}` → the transient map of a Fabric call (every value a string). */
export function parseTransient(s: string): Record<string, string> {
  let v: unknown
  try {
    v = JSON.parse(s)
  } catch {}

  if (!v || typeof v !== 'object' || Array.isArray(v) || Object.values(v).some((x) => typeof x !== 'string'))
    throw new FabError('USAGE', '--transient: expected a JSON object of strings, e.g. {"secret":"x"}')
  return v as Record<string, string>
}

/** `--transient '{"key":"value"}'`: transient data for invoke/query. */
export const transient = Flags.custom<Record<string, string>>({
  async parse(input) {
    return parseTransient(input)
  },
})
