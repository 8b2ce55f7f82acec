/**
 * The Fabric protobuf messages fabk8s uses, loaded file by file. The index of `@hyperledger/fabric-protos` loads every
 * message Fabric has (gossip, discovery, ledger, snapshots, configuration, …) and every gRPC service stub (with
 * grpc-js): 2.1 MB of generated code, the largest part of a cold start. These are the files our messages live
 * in (about 0.8 MB); the Gateway's are loaded only when they are used. Types come from the package's own declarations.
 *
 * The generated files register their classes in one shared `proto` namespace (google-protobuf's goog.exportSymbol),
 * so these objects and the package index hand out the same classes.
 */
/* eslint-disable import/export -- each name is a value and a type-only namespace (they merge) */
import type * as P from '@hyperledger/fabric-protos'

import * as commonPb from '@hyperledger/fabric-protos/lib/common/common_pb.js'
import * as policiesPb from '@hyperledger/fabric-protos/lib/common/policies_pb.js'
import * as identitiesPb from '@hyperledger/fabric-protos/lib/msp/identities_pb.js'
import * as principalPb from '@hyperledger/fabric-protos/lib/msp/msp_principal_pb.js'
import * as abPb from '@hyperledger/fabric-protos/lib/orderer/ab_pb.js'
import * as chaincodePb from '@hyperledger/fabric-protos/lib/peer/chaincode_pb.js'
import * as collectionPb from '@hyperledger/fabric-protos/lib/peer/collection_pb.js'
import * as eventsPb from '@hyperledger/fabric-protos/lib/peer/events_pb.js'
import * as lifecyclePb from '@hyperledger/fabric-protos/lib/peer/lifecycle/lifecycle_pb.js'
import * as policyPb from '@hyperledger/fabric-protos/lib/peer/policy_pb.js'
import * as proposalPb from '@hyperledger/fabric-protos/lib/peer/proposal_pb.js'
import * as responsePb from '@hyperledger/fabric-protos/lib/peer/proposal_response_pb.js'
import * as transactionPb from '@hyperledger/fabric-protos/lib/peer/transaction_pb.js'
import * as timestampPb from 'google-protobuf/google/protobuf/timestamp_pb.js'

// static imports (not a require by computed path), so that the CLI's bundle (scripts/bundle.js) holds them: an ES
// module's namespace of a CommonJS file has the file's exports under `default`, in Node and in the bundle alike
const pb = (ns: object): Record<string, unknown> =>
  ((ns as {default?: Record<string, unknown>}).default ?? ns) as Record<string, unknown>

export const common = {...pb(commonPb), ...pb(policiesPb)} as unknown as typeof P.common
export const msp = {...pb(identitiesPb), ...pb(principalPb)} as unknown as typeof P.msp
export const orderer = pb(abPb) as unknown as typeof P.orderer
export const peer = {
  ...pb(chaincodePb),
  ...pb(proposalPb),
  ...pb(responsePb),
  ...pb(transactionPb),
  ...pb(eventsPb),
  ...pb(policyPb),
  ...pb(collectionPb),
  lifecycle: pb(lifecyclePb),
} as unknown as typeof P.peer

/**
 * google-protobuf's Timestamp. google-protobuf is our dependency at fabric-protos' own range, so npm installs one copy
 * and this is the instance the messages' setters expect.
 */
export const Timestamp = pb(timestampPb).Timestamp as typeof timestampPb.Timestamp

/** The Gateway's messages (only for submitting through a peer's Gateway, the fallback): loaded on first use. */
export async function gatewayProtos(): Promise<typeof P.gateway> {
  return pb(await import('@hyperledger/fabric-protos/lib/gateway/gateway_pb.js')) as unknown as typeof P.gateway
}

/** The channel configuration's messages (Config, ConfigGroup, ConfigPolicy): loaded on first use. */
export async function configProtos(): Promise<Pick<typeof P.common, 'Config'>> {
  return pb(await import('@hyperledger/fabric-protos/lib/common/configtx_pb.js')) as unknown as typeof P.common
}

/** The MSP configuration's messages (an org's MSP in the channel configuration): loaded on first use. */
export async function mspConfigProtos(): Promise<Pick<typeof P.msp, 'FabricMSPConfig' | 'MSPConfig'>> {
  return pb(await import('@hyperledger/fabric-protos/lib/msp/msp_config_pb.js')) as unknown as typeof P.msp
}

/* eslint-disable @typescript-eslint/no-namespace -- the message types under the same names as the values above */
export declare namespace common {
  type Config = P.common.Config
  type ConfigGroup = P.common.ConfigGroup
  type Envelope = P.common.Envelope
  type Header = P.common.Header
  type SignaturePolicy = P.common.SignaturePolicy
  type SignaturePolicyEnvelope = P.common.SignaturePolicyEnvelope
}
export declare namespace msp {
  type MSPPrincipal = P.msp.MSPPrincipal
  type MSPRole = P.msp.MSPRole
}
export declare namespace orderer {
  type BroadcastResponse = P.orderer.BroadcastResponse
  type DeliverResponse = P.orderer.DeliverResponse
}
export declare namespace peer {
  type ApplicationPolicy = P.peer.ApplicationPolicy
  type CollectionConfigPackage = P.peer.CollectionConfigPackage
  type DeliverResponse = P.peer.DeliverResponse
  type ProposalResponse = P.peer.ProposalResponse
  type SignedProposal = P.peer.SignedProposal
}
/* eslint-enable @typescript-eslint/no-namespace */
