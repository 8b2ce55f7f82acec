import {externalBuilderEvidence, isPeer, isSetEndpoint, vmEndpoint} from '../model/fabric.js'
import {describeObject, envAt} from '../model/types.js'
import {ALL_INPUTS, perContainer, q, type Rule} from './rule.js'

export const CCAAS_REMEDIATION = [
  'Configure the chaincode-as-a-service builder and turn the Docker VM off. In core.yaml:',
  '  chaincode:',
  '    externalBuilders:',
  '      - name: ccaas_builder',
  '        path: /opt/hyperledger/ccaas_builder',
  '        propagateEnvironment: [CHAINCODE_AS_A_SERVICE_BUILDER_CONFIG]',
  '  vm:',
  '    endpoint: ""',
  'or as environment of the peer container:',
  '  CORE_CHAINCODE_EXTERNALBUILDERS=[{"name":"ccaas_builder","path":"/opt/hyperledger/ccaas_builder","propagateEnvironment":["CHAINCODE_AS_A_SERVICE_BUILDER_CONFIG"]}]',
  '  CORE_VM_ENDPOINT=""',
].join('\n')

export const peerNoExternalBuilder: Rule = {
  check: perContainer((c, a) => {
    if (!isPeer(c)) return null
    const e = vmEndpoint(a, c)
    if (!isSetEndpoint(e) || externalBuilderEvidence(a, c)) return null
    return {
      locate: envAt(c, 'CORE_VM_ENDPOINT', e),
      message: `${describeObject(a)}: peer container ${q(c.name)} builds and launches chaincode through Docker and shows no external builder (no CORE_CHAINCODE_EXTERNALBUILDERS, no core.yaml with chaincode.externalBuilders)`,
    }
  }),
  description:
    'A peer that launches chaincode through Docker shows no external builder (no CORE_CHAINCODE_EXTERNALBUILDERS, no core.yaml ConfigMap with chaincode.externalBuilders).',
  id: 'peer-no-external-builder',
  inputs: ALL_INPUTS,
  remediation: CCAAS_REMEDIATION,
  severity: 'medium',
  title: 'Peer has no external builder',
}
