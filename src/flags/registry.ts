import {Flags} from '@oclif/core'

import {usageError} from '../lib/errors.js'
import {REGISTRY_RE} from '../lib/project/schema.js'

/** --registry: registry mode (push, deploy by digest) instead of loading into local nodes. */
export const registry = Flags.custom<string>({
  description:
    'push the image to this registry (host[:port][/path]) and deploy it by digest, instead of loading it into local nodes (default: fabk8s.yaml image.registry)',
  env: 'FABK8S_REGISTRY',
  async parse(input) {
    const v = input.trim().replace(/\/+$/, '')
    // the value may come from the environment: the error names where it came from
    const given = process.argv.slice(2).some((a) => a === '--registry' || a.startsWith('--registry='))
    const source = !given && process.env.FABK8S_REGISTRY === input ? 'FABK8S_REGISTRY' : '--registry'
    if (!REGISTRY_RE.test(v))
      throw usageError(
        `${source} "${input}": expected a registry host[:port][/path] without scheme or tag, e.g. ghcr.io/acme or localhost:5000`,
      )
    return v
  },
})
