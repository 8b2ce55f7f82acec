import {describeObject, isChaincodeServer} from '../model.js'
import {inContainer, q, type Rule} from './rule.js'

export const chaincodeMissingId: Rule = {
  check(a) {
    return (a.workload?.containers ?? [])
      .filter((c) => isChaincodeServer(c))
      .filter((c) => {
        const id = c.env.get('CHAINCODE_ID') ?? c.env.get('CORE_CHAINCODE_ID_NAME')
        return !id || (id.value !== null && id.value.trim() === '')
      })
      .map((c) => ({
        container: c.name,
        locate: inContainer(c, {
          key: 'name',
          value: c.env.has('CHAINCODE_SERVER_ADDRESS') ? 'CHAINCODE_SERVER_ADDRESS' : 'CORE_CHAINCODE_ADDRESS',
        }),
        message: `${describeObject(a)}: chaincode server container ${q(c.name)} has no CHAINCODE_ID (nor CORE_CHAINCODE_ID_NAME); the peer will refuse to talk to it`,
      }))
  },
  description:
    'A chaincode-as-a-service container (CHAINCODE_SERVER_ADDRESS or CORE_CHAINCODE_ADDRESS) has no CHAINCODE_ID.',
  id: 'chaincode-missing-id',
  remediation: 'Set CHAINCODE_ID to the installed package ID (label:sha256); `fabk8s deploy` sets it for you.',
  severity: 'high',
  title: 'Chaincode server without CHAINCODE_ID',
}
