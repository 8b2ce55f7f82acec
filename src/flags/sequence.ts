import {Flags} from '@oclif/core'

/**
 * `--sequence` (lifecycle approve, commit): a whole number from 1 up to the largest integer a JavaScript number
 * holds exactly. A larger one would be rounded before it is sent (9007199254740993 becomes …992), or fail in the
 * protobuf encoder with no more than "Assertion failed" (exit 9, as if a peer had refused it).
 */
export function sequenceFlag(description: string) {
  return Flags.integer({description, max: Number.MAX_SAFE_INTEGER, min: 1})
}
