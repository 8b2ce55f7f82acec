import type {Rule} from './rule.js'

import {chaincodeMissingId} from './chaincode-missing-id.js'
import {chaincodeMutableTag} from './chaincode-mutable-tag.js'
import {chaincodeNoProbes} from './chaincode-no-probes.js'
import {dangerousCapabilities} from './dangerous-capabilities.js'
import {dindSidecar} from './dind-sidecar.js'
import {dockerSocketMount} from './docker-socket-mount.js'
import {hostNamespaces} from './host-namespaces.js'
import {hostPath} from './host-path.js'
import {operatorDockerSocket} from './operator-docker-socket.js'
import {peerNoExternalBuilder} from './peer-no-external-builder.js'
import {peerVmEndpoint} from './peer-vm-endpoint.js'
import {privilegeEscalation} from './privilege-escalation.js'
import {privilegedContainer} from './privileged-container.js'
import {runAsRoot} from './run-as-root.js'
import {runtimeSocketVolume} from './runtime-socket-volume.js'
import {vmEndpointNonPeer} from './vm-endpoint-non-peer.js'

export type {Rule} from './rule.js'

/** Every rule, in report order (Docker/Fabric rules first, then generic, then chaincode servers). */
export const RULES: readonly Rule[] = [
  dockerSocketMount,
  runtimeSocketVolume,
  dindSidecar,
  peerVmEndpoint,
  peerNoExternalBuilder,
  operatorDockerSocket,
  vmEndpointNonPeer,
  privilegedContainer,
  hostNamespaces,
  dangerousCapabilities,
  privilegeEscalation,
  hostPath,
  runAsRoot,
  chaincodeMissingId,
  chaincodeMutableTag,
  chaincodeNoProbes,
]

export const RULES_BY_ID: ReadonlyMap<string, Rule> = new Map(RULES.map((r) => [r.id, r]))
