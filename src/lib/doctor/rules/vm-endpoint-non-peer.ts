import {isPeer, isSetEndpoint, vmEndpoint} from '../model/fabric.js'
import {describeObject, envAt} from '../model/types.js'
import {ALL_INPUTS, perContainer, q, type Rule} from './rule.js'
import {sourceOf} from './vm-endpoint.js'

export const vmEndpointNonPeer: Rule = {
  check: perContainer((c, a) => {
    if (isPeer(c)) return null
    const e = c.env.get('CORE_VM_ENDPOINT') ?? null
    if (!isSetEndpoint(e) || vmEndpoint(a, c) !== e) return null
    // a CI service inherits the job's variables: the setting is reported once, where it is written (the job)
    const w = a.workload!
    if (w.containers.indexOf(c) > w.containers.findIndex((x) => x.env.get('CORE_VM_ENDPOINT') === e)) return null
    return {
      locate: envAt(c, 'CORE_VM_ENDPOINT', e),
      message: `${describeObject(a)}: container ${q(c.name)} is not a peer but sets CORE_VM_ENDPOINT=${e.value ?? '(hidden)'}${sourceOf(e)}; only the peer reads it, so it has no effect here`,
    }
  }),
  description: 'CORE_VM_ENDPOINT on a container that is not a peer (CLI, tools, Job): the peer CLI ignores it.',
  id: 'vm-endpoint-non-peer',
  inputs: ALL_INPUTS,
  remediation:
    'Remove CORE_VM_ENDPOINT from this container; it is copied boilerplate and suggests a Docker dependency that is not there.',
  severity: 'info',
  title: 'CORE_VM_ENDPOINT on a non-peer container',
}
