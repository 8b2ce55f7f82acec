import {describeObject} from '../model/types.js'
import {inContainer, perContainer, q, type Rule} from './rule.js'

export const runAsRoot: Rule = {
  check: perContainer((c, a) => {
    if (a.workload!.podSpec.os?.name === 'windows') return null
    const {runAsNonRoot, runAsUser} = c.sc
    let why: null | string = null
    if (runAsUser === 0) why = 'runAsUser: 0'
    else if (runAsNonRoot !== true && runAsUser === undefined)
      why = runAsNonRoot === false ? 'runAsNonRoot: false and no runAsUser' : 'no runAsNonRoot and no runAsUser'
    if (!why) return null
    return {
      locate: runAsUser === 0 ? inContainer(c, {key: 'runAsUser', value: '0'}) : inContainer(c),
      message: `${describeObject(a)}: container ${q(c.name)} may run as root (${why})`,
    }
  }),
  description:
    'A container may run as root: runAsUser 0, or neither runAsNonRoot: true nor a non-zero runAsUser (container or pod).',
  id: 'run-as-root',
  remediation: 'Set securityContext.runAsNonRoot: true and a non-zero runAsUser.',
  severity: 'low',
  title: 'May run as root',
}
