import {describeObject} from '../model.js'
import {inContainer, q, type Rule} from './rule.js'

export const privilegedContainer: Rule = {
  check(a) {
    return (a.workload?.containers ?? [])
      .filter((c) => c.sc.privileged)
      .map((c) => ({
        container: c.name,
        locate: inContainer(c, {key: 'privileged', value: 'true'}),
        message: `${describeObject(a)}: container ${q(c.name)} is privileged (all capabilities, all host devices)`,
      }))
  },
  description: 'securityContext.privileged: true.',
  id: 'privileged-container',
  remediation: 'Remove privileged: true; add only the capabilities the process needs.',
  severity: 'high',
  title: 'Privileged container',
}
