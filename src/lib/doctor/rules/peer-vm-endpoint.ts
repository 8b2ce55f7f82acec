import {externalBuilderEvidence, isPeer, isSetEndpoint, vmEndpoint} from '../model/fabric.js'
import {describeObject, envAt} from '../model/types.js'
import {ALL_INPUTS, perContainer, q, type Rule} from './rule.js'
import {describeEndpoint, sourceOf} from './vm-endpoint.js'

export const peerVmEndpoint: Rule = {
  check: perContainer((c, a) => {
    if (!isPeer(c)) return null
    const e = vmEndpoint(a, c)
    if (!isSetEndpoint(e)) return null
    const eb = externalBuilderEvidence(a, c)
    return {
      locate: envAt(c, 'CORE_VM_ENDPOINT', e),
      message:
        `${describeObject(a)}: peer container ${q(c.name)} launches chaincode through Docker — ${describeEndpoint(a, c, e)}${sourceOf(e)}` +
        (eb ? `; Docker is still configured although external builders are configured (${eb}): remove it` : ''),
    }
  }),
  description:
    'A Fabric peer container (runs `peer node start`, uses a fabric-peer image, or has CORE_PEER_ID) has a non-empty CORE_VM_ENDPOINT (env, envFrom ConfigMap or core.yaml). An empty value is correct.',
  id: 'peer-vm-endpoint',
  inputs: ALL_INPUTS,
  remediation:
    'Set CORE_VM_ENDPOINT="" (env) or vm.endpoint: "" (core.yaml) and run chaincode as a service with the ccaas_builder external builder.',
  severity: 'high',
  title: 'Peer launches chaincode through Docker',
}
