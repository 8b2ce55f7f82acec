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

import {createRequire} from 'node:module'

const load = createRequire(import.meta.url)
const pb = (file: string): Record<string, unknown> => load(`@hyperledger/fabric-protos/lib/${file}_pb.js`)

export const common = {...pb('common/common'), ...pb('common/policies')} as unknown as typeof P.common
export const msp = {...pb('msp/identities'), ...pb('msp/msp_principal')} as unknown as typeof P.msp
export const orderer = pb('orderer/ab') as unknown as typeof P.orderer
export const peer = {
  ...pb('peer/chaincode'),
  ...pb('peer/proposal'),
  ...pb('peer/proposal_response'),
  ...pb('peer/transaction'),
  ...pb('peer/events'),
  ...pb('peer/policy'),
  ...pb('peer/collection'),
  lifecycle: pb('peer/lifecycle/lifecycle'),
} as unknown as typeof P.peer

/** The Gateway's messages (only for submitting through a peer's Gateway, the fallback): loaded on first use. */
export function gatewayProtos(): typeof P.gateway {
  return pb('gateway/gateway') as unknown as typeof P.gateway
}

/* eslint-disable @typescript-eslint/no-namespace -- the message types under the same names as the values above */
export declare namespace common {
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
}
export declare namespace peer {
  type ApplicationPolicy = P.peer.ApplicationPolicy
  type CollectionConfigPackage = P.peer.CollectionConfigPackage
  type DeliverResponse = P.peer.DeliverResponse
  type ProposalResponse = P.peer.ProposalResponse
  type SignedProposal = P.peer.SignedProposal
}
/* eslint-enable @typescript-eslint/no-namespace */
