import {describeObject} from '../model/types.js'
import {inContainer, perContainer, q, type Rule} from './rule.js'

export const privilegeEscalation: Rule = {
  check: perContainer((c, a) =>
    c.sc.allowPrivilegeEscalation === true
      ? {
          locate: inContainer(c, {key: 'allowPrivilegeEscalation', value: 'true'}),
          message: `${describeObject(a)}: container ${q(c.name)} sets allowPrivilegeEscalation: true (setuid binaries can gain root)`,
        }
      : null,
  ),
  description: 'securityContext.allowPrivilegeEscalation: true.',
  id: 'privilege-escalation',
  remediation: 'Set allowPrivilegeEscalation: false.',
  severity: 'medium',
  title: 'Privilege escalation allowed',
}
