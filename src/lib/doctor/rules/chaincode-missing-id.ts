import {isChaincodeServer} from '../model/fabric.js'
import {describeObject} from '../model/types.js'
import {inContainer, perContainer, q, type Rule} from './rule.js'

export const chaincodeMissingId: Rule = {
  check: perContainer((c, a) => {
    if (!isChaincodeServer(c)) return null
    const id = c.env.get('CHAINCODE_ID') ?? c.env.get('CORE_CHAINCODE_ID_NAME')
    if (id && (id.value === null || id.value.trim() !== '')) return null
    return {
      locate: inContainer(c, {
        key: 'name',
        value: c.env.has('CHAINCODE_SERVER_ADDRESS') ? 'CHAINCODE_SERVER_ADDRESS' : 'CORE_CHAINCODE_ADDRESS',
      }),
      message: `${describeObject(a)}: chaincode server container ${q(c.name)} has no CHAINCODE_ID (nor CORE_CHAINCODE_ID_NAME); the peer will refuse to talk to it`,
    }
  }),
  description:
    'A chaincode-as-a-service container (CHAINCODE_SERVER_ADDRESS or CORE_CHAINCODE_ADDRESS) has no CHAINCODE_ID.',
  id: 'chaincode-missing-id',
  remediation: 'Set CHAINCODE_ID to the installed package ID (label:sha256); `fabk8s deploy` sets it for you.',
  severity: 'high',
  title: 'Chaincode server without CHAINCODE_ID',
}
