import {describeObject} from '../model.js'
import {inContainer, q, type Rule} from './rule.js'

export const privilegeEscalation: Rule = {
  check(a) {
    return (a.workload?.containers ?? [])
      .filter((c) => c.sc.allowPrivilegeEscalation === true)
      .map((c) => ({
        container: c.name,
        locate: inContainer(c, {key: 'allowPrivilegeEscalation', value: 'true'}),
        message: `${describeObject(a)}: container ${q(c.name)} sets allowPrivilegeEscalation: true (setuid binaries can gain root)`,
      }))
  },
  description: 'securityContext.allowPrivilegeEscalation: true.',
  id: 'privilege-escalation',
  remediation: 'Set allowPrivilegeEscalation: false.',
  severity: 'medium',
  title: 'Privilege escalation allowed',
}
