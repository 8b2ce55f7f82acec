import {describeObject} from '../model/types.js'
import {ALL_INPUTS, inContainer, perContainer, q, type Rule} from './rule.js'

export const privilegedContainer: Rule = {
  check: perContainer((c, a) =>
    c.sc.privileged
      ? {
          locate: c.sc.at ?? inContainer(c, {key: 'privileged', value: 'true'}),
          message: `${describeObject(a)}: container ${q(c.name)} is privileged (all capabilities, all host devices)`,
        }
      : null,
  ),
  description: 'securityContext.privileged: true.',
  id: 'privileged-container',
  inputs: ALL_INPUTS,
  remediation: 'Remove privileged: true; add only the capabilities the process needs.',
  severity: 'high',
  title: 'Privileged container',
}
