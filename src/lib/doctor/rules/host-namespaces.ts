import type {RawFinding} from '../types.js'
import type {Rule} from './rule.js'

import {describeObject} from '../model/types.js'

export const hostNamespaces: Rule = {
  check(a) {
    const p = a.workload?.podSpec
    if (!p) return []
    const on = (['hostNetwork', 'hostPID', 'hostIPC'] as const).filter((k) => p[k] === true)
    if (on.length === 0) return []
    const f: RawFinding = {
      container: null,
      locate: [{key: on[0], value: 'true'}],
      message: `${describeObject(a)}: the pod shares the node's ${on.join(', ')} namespace${on.length > 1 ? 's' : ''}`,
    }
    return [f]
  },
  description: 'The pod uses hostNetwork, hostPID or hostIPC.',
  id: 'host-namespaces',
  remediation: 'Remove hostNetwork/hostPID/hostIPC; expose ports through a Service.',
  severity: 'high',
  title: 'Host namespaces shared',
}
