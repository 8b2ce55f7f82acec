/** Everything `fabk8s dev` reports, in order, for the command to render (listr2 on a terminal, lines in CI). */
import type {RunnerEvent} from './local/events.js'
import type {PeerClosed, PeerConnection} from './tunnel.js'

export type {BuildError, RunnerEvent} from './local/events.js'

export const SETUP_STEPS = ['package', 'register', 'relay-image', 'swap', 'local', 'tunnel', 'answers'] as const
export type SetupStep = (typeof SETUP_STEPS)[number]

export type DevEvent =
  /** A peer connection through the relay ended. */
  | (PeerClosed & {type: 'peer-closed'})
  /** A peer connection arrived through the relay. */
  | (PeerConnection & {type: 'peer'})
  /** Set-up and shut-down steps. */
  | RunnerEvent
  /** Everything is in place: peers reach the local chaincode. */
  | {debug?: {kind: string; port: number}; local: string; relay: string; type: 'ready'}
  /** Tunnel streams cannot be opened (or can again: message undefined). */
  | {
      detail: string
      seconds?: number
      status: 'done' | 'failed' | 'skipped' | 'start'
      step: 'restore' | SetupStep
      type: 'step'
    }
  | {message?: string; type: 'tunnel'}

export type DevListener = (e: DevEvent) => void
