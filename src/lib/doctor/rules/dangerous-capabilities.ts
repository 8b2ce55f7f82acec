import {describeObject} from '../model/types.js'
import {inContainer, perContainer, q, type Rule} from './rule.js'

export const DANGEROUS_CAPS = new Set([
  'ALL',
  'BPF',
  'DAC_READ_SEARCH',
  'NET_ADMIN',
  'PERFMON',
  'SYS_ADMIN',
  'SYS_BOOT',
  'SYS_MODULE',
  'SYS_PTRACE',
  'SYS_RAWIO',
  'SYS_TIME',
])

export const dangerousCapabilities: Rule = {
  check: perContainer((c, a) => {
    const bad = c.sc.capAdd.filter((x) => DANGEROUS_CAPS.has(x))
    if (bad.length === 0) return null
    return {
      locate: c.sc.at ?? inContainer(c, {key: 'add'}),
      message: `${describeObject(a)}: container ${q(c.name)} adds capabilit${bad.length > 1 ? 'ies' : 'y'} ${bad.join(', ')}`,
    }
  }),
  description: `securityContext.capabilities.add contains one of ${[...DANGEROUS_CAPS].join(', ')}.`,
  id: 'dangerous-capabilities',
  remediation: 'Drop ALL and add back only what the process needs (e.g. NET_BIND_SERVICE).',
  severity: 'high',
  title: 'Dangerous capabilities added',
}
