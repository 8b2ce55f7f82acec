import type {RawFinding} from '../types.js'

import {describeObject, volumeAt} from '../model/types.js'
import {q, type Rule} from './rule.js'

export const runtimeSocketVolume: Rule = {
  check(a) {
    const w = a.workload
    if (!w) return []
    const mounted = new Set<string>()
    for (const c of w.containers) for (const m of c.mounts) mounted.add(m.name)
    const out: RawFinding[] = []
    for (const v of w.volumes.values()) {
      if (!v.hostPathClass || mounted.has(v.name)) continue
      out.push({
        container: null,
        locate: [...volumeAt(v), {key: 'path'}],
        message: `${describeObject(a)}: volume ${q(v.name)} declares hostPath ${v.hostPath} (a container-runtime ${v.hostPathClass.kind === 'socket' ? 'socket' : 'socket directory'}) although no container mounts it; one added mount away from node takeover`,
      })
    }

    return out
  },
  description:
    'A hostPath volume that is a container-runtime socket (or a directory holding one) is declared but mounted by no container.',
  id: 'runtime-socket-volume',
  remediation: 'Delete the unused hostPath volume from the pod spec.',
  severity: 'high',
  title: 'Container-runtime socket volume declared',
}
