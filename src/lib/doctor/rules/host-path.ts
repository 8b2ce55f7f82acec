import type {RawFinding} from '../types.js'

import {describeObject, volumeAt} from '../model/types.js'
import {q, type Rule} from './rule.js'

export const hostPath: Rule = {
  check(a) {
    const w = a.workload
    if (!w) return []
    const out: RawFinding[] = []
    for (const v of w.volumes.values()) {
      if (v.hostPath === undefined || v.hostPathClass) continue // runtime sockets have their own rules
      const by = w.containers.filter((c) => c.mounts.some((m) => m.name === v.name)).map((c) => c.name)
      out.push({
        container: by.length === 1 ? by[0] : null,
        locate: [...volumeAt(v), {key: 'path'}],
        message: `${describeObject(a)}: volume ${q(v.name)} is hostPath ${v.hostPath}${by.length > 0 ? ` (mounted by ${by.map((n) => q(n)).join(', ')})` : ' (not mounted)'}`,
      })
    }

    return out
  },
  description: 'A hostPath volume (other than a runtime socket, which has its own rules).',
  id: 'host-path',
  remediation: 'Use a PersistentVolumeClaim, ConfigMap, Secret or emptyDir instead of a node directory.',
  severity: 'low',
  title: 'hostPath volume',
}
