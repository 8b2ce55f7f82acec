import {Flags} from '@oclif/core'

import {parseDuration} from '../lib/duration.js'

/** A duration flag (90s, 5m, or seconds), parsed to milliseconds. Give the default as text: `duration('2m', …)`. */
export function duration(def: string, opts: {description: string; helpGroup?: string}) {
  return Flags.custom<number>({
    async parse(input, _ctx, flag) {
      return parseDuration(input, `--${flag.name}`)
    },
  })({...opts, default: parseDuration(def), defaultHelp: async () => def, multiple: false})
}
