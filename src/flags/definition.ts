import {Flags} from '@oclif/core'

import {usageError} from '../lib/errors.js'

/** Flags that override fabk8s.yaml `definition` (approve, commit, register, status). */
export const definitionFlags = {
  'channel-config-policy': Flags.string({
    description:
      'endorsement policy by channel config reference, e.g. /Channel/Application/Endorsement (default: fabk8s.yaml definition.channelConfigPolicy)',
    exclusive: ['signature-policy'],
    helpGroup: 'DEFINITION',
  }),
  'collections-config': Flags.string({
    description: 'private data collections JSON (same format as the peer CLI)',
    helpGroup: 'DEFINITION',
  }),
  'init-required': Flags.boolean({
    allowNo: true,
    description: 'the chaincode needs an Init call before use',
    helpGroup: 'DEFINITION',
  }),
  'signature-policy': Flags.string({
    description:
      "endorsement policy, e.g. \"OR('Org1MSP.peer','Org2MSP.peer')\" (default: fabk8s.yaml definition.signaturePolicy)",
    helpGroup: 'DEFINITION',
  }),
}

export interface DefinitionFlagValues {
  'channel-config-policy'?: string
  'collections-config'?: string
  'init-required'?: boolean
  'signature-policy'?: string
}

export function overridesFrom(flags: DefinitionFlagValues, cwd = process.cwd()) {
  // an empty value (often an unset variable: --signature-policy "$POLICY") is no value; taken as none, fabk8s.yaml's
  // definition would apply without a word
  for (const name of ['channel-config-policy', 'collections-config', 'signature-policy'] as const)
    if (flags[name]?.trim() === '')
      throw usageError(`--${name}: empty value`, `give a value, or leave the flag out to use fabk8s.yaml definition`)
  return {
    channelConfigPolicy: flags['channel-config-policy'],
    collectionsConfig: flags['collections-config'] ? pathResolve(cwd, flags['collections-config']) : undefined,
    initRequired: flags['init-required'],
    signaturePolicy: flags['signature-policy'],
  }
}

function pathResolve(cwd: string, p: string): string {
  return p.startsWith('/') ? p : `${cwd.replace(/\/$/, '')}/${p}`
}
