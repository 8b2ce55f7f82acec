import {isChaincodeServer} from '../model/fabric.js'
import {describeObject} from '../model/types.js'
import {inContainer, perContainer, q, type Rule} from './rule.js'

export const chaincodeNoProbes: Rule = {
  check: perContainer((c, a) => {
    if (c.kind !== 'container' || !isChaincodeServer(c)) return null
    if (c.raw.readinessProbe || c.raw.livenessProbe || c.raw.startupProbe) return null
    return {
      locate: inContainer(c),
      message: `${describeObject(a)}: chaincode container ${q(c.name)} has no readiness or liveness probe; the peer may be routed to a server that is not listening`,
    }
  }),
  description: 'A chaincode-as-a-service container has no readiness, liveness or startup probe.',
  id: 'chaincode-no-probes',
  remediation: 'Add a tcpSocket readinessProbe (and livenessProbe) on the chaincode server port.',
  severity: 'low',
  title: 'Chaincode server without probes',
}
