import type {RawFinding} from '../types.js'

import {describeObject} from '../model.js'
import {inContainer, q, type Rule} from './rule.js'

export const runAsRoot: Rule = {
  check(a) {
    const w = a.workload
    if (!w || w.podSpec.os?.name === 'windows') return []
    const out: RawFinding[] = []
    for (const c of w.containers) {
      const {runAsNonRoot, runAsUser} = c.sc
      let why: null | string = null
      if (runAsUser === 0) why = 'runAsUser: 0'
      else if (runAsNonRoot !== true && runAsUser === undefined)
        why = runAsNonRoot === false ? 'runAsNonRoot: false and no runAsUser' : 'no runAsNonRoot and no runAsUser'
      if (!why) continue
      out.push({
        container: c.name,
        locate: runAsUser === 0 ? inContainer(c, {key: 'runAsUser', value: '0'}) : inContainer(c),
        message: `${describeObject(a)}: container ${q(c.name)} may run as root (${why})`,
      })
    }

    return out
  },
  description:
    'A container may run as root: runAsUser 0, or neither runAsNonRoot: true nor a non-zero runAsUser (container or pod).',
  id: 'run-as-root',
  remediation: 'Set securityContext.runAsNonRoot: true and a non-zero runAsUser.',
  severity: 'low',
  title: 'May run as root',
}
