/** What the local runner reports while it runs (the command renders these). */

/** A compiler error with where it is. */
export interface BuildError {
  column?: number
  /** Relative to the project folder. */
  file: string
  line: number
  message: string
}

/** The build failed; the chaincode that ran before keeps running. */
export interface BuildFailed {
  errors: BuildError[]
  output: string
  seconds: number
  type: 'build-failed'
}

/** A save was noticed (files relative to the project; empty when the compiler's own watcher saw it). */
export interface Change {
  files: string[]
  type: 'change'
}

/** The chaincode process ended by itself (not stopped by fabk8s). */
export interface Exited {
  code: null | number
  signal: null | string
  type: 'exited'
}

/** The debugger answers here. */
export interface DebuggerOpen {
  kind: 'delve' | 'jdwp' | 'node'
  port: number
  type: 'debugger'
  url?: string
}

/** One line the chaincode printed. */
export interface LogLine {
  line: string
  stream: 'stderr' | 'stdout'
  type: 'log'
}

/** Something the developer should know (a missing debugger, a leftover process stopped). */
export interface Note {
  message: string
  type: 'note'
}

/** The new code listens: seconds since the change, and of the build and the start; first: the first start. */
export interface Restarted {
  buildSeconds: number
  first: boolean
  pid: number
  seconds: number
  startSeconds: number
  type: 'restarted'
}

/** The watch state: building, starting, or waiting for the next save. */
export interface WatchState {
  state: 'building' | 'starting' | 'watching'
  type: 'state'
}

export type RunnerEvent = BuildFailed | Change | DebuggerOpen | Exited | LogLine | Note | Restarted | WatchState

export type RunnerListener = (e: RunnerEvent) => void
