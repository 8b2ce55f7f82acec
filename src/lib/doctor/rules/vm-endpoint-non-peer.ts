import type {RawFinding} from '../types.js'

import {describeObject, isPeer, isSetEndpoint, vmEndpoint} from '../model.js'
import {q, type Rule} from './rule.js'
import {endpointNeedles, sourceOf} from './vm-endpoint.js'

export const vmEndpointNonPeer: Rule = {
  check(a) {
    const w = a.workload
    if (!w) return []
    const out: RawFinding[] = []
    for (const c of w.containers) {
      if (isPeer(c)) continue
      const e = c.env.get('CORE_VM_ENDPOINT') ?? null
      if (!isSetEndpoint(e) || vmEndpoint(a, c) !== e) continue
      out.push({
        container: c.name,
        locate: endpointNeedles(c, e),
        message: `${describeObject(a)}: container ${q(c.name)} is not a peer but sets CORE_VM_ENDPOINT=${e.value ?? '(hidden)'}${sourceOf(e)}; only the peer reads it, so it has no effect here`,
      })
    }

    return out
  },
  description: 'CORE_VM_ENDPOINT on a container that is not a peer (CLI, tools, Job): the peer CLI ignores it.',
  id: 'vm-endpoint-non-peer',
  remediation:
    'Remove CORE_VM_ENDPOINT from this container; it is copied boilerplate and suggests a Docker dependency that is not there.',
  severity: 'info',
  title: 'CORE_VM_ENDPOINT on a non-peer container',
}
