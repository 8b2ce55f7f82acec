import type {RawFinding} from '../types.js'

import {describeObject, externalBuilderEvidence, isPeer, isSetEndpoint, vmEndpoint} from '../model.js'
import {q, type Rule} from './rule.js'
import {describeEndpoint, endpointNeedles, sourceOf} from './vm-endpoint.js'

export const peerVmEndpoint: Rule = {
  check(a) {
    const w = a.workload
    if (!w) return []
    const out: RawFinding[] = []
    for (const c of w.containers) {
      if (!isPeer(c)) continue
      const e = vmEndpoint(a, c)
      if (!isSetEndpoint(e)) continue
      const eb = externalBuilderEvidence(a, c)
      out.push({
        container: c.name,
        locate: endpointNeedles(c, e),
        message:
          `${describeObject(a)}: peer container ${q(c.name)} launches chaincode through Docker — ${describeEndpoint(a, c, e)}${sourceOf(e)}` +
          (eb ? `; Docker is still configured although external builders are configured (${eb}): remove it` : ''),
      })
    }

    return out
  },
  description:
    'A Fabric peer container (runs `peer node start`, uses a fabric-peer image, or has CORE_PEER_ID) has a non-empty CORE_VM_ENDPOINT (env, envFrom ConfigMap or core.yaml). An empty value is correct.',
  id: 'peer-vm-endpoint',
  remediation:
    'Set CORE_VM_ENDPOINT="" (env) or vm.endpoint: "" (core.yaml) and run chaincode as a service with the ccaas_builder external builder.',
  severity: 'high',
  title: 'Peer launches chaincode through Docker',
}
