/** Everything `fabk8s dev` reports, in order, for the command to render (listr2 on a terminal, lines in CI). */
import type {RunnerEvent} from './local/events.js'
import type {PeerClosed, PeerConnection} from './tunnel.js'

export type {BuildError, RunnerEvent} from './local/events.js'

export const SETUP_STEPS = ['package', 'register', 'relay-image', 'swap', 'local', 'tunnel', 'answers'] as const
export type SetupStep = (typeof SETUP_STEPS)[number]

/** A peer connection through the relay ended. */
export type PeerClosedEvent = PeerClosed & {type: 'peer-closed'}

/** A peer connection arrived through the relay. */
export type PeerEvent = PeerConnection & {type: 'peer'}

/** Everything is in place: peers reach the local chaincode. */
export interface ReadyEvent {
  debug?: {kind: string; port: number}
  local: string
  relay: string
  type: 'ready'
}

/** A set-up step, or the restore at the end: started, done, skipped (why), failed (why). */
export interface StepEvent {
  detail: string
  seconds?: number
  status: 'done' | 'failed' | 'skipped' | 'start'
  step: 'restore' | SetupStep
  type: 'step'
}

/** Tunnel streams cannot be opened (message says why), or can again (no message). */
export interface TunnelEvent {
  message?: string
  type: 'tunnel'
}

export type DevEvent = PeerClosedEvent | PeerEvent | ReadyEvent | RunnerEvent | StepEvent | TunnelEvent

export type DevListener = (e: DevEvent) => void
