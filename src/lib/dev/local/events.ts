/** What the local runner reports while it runs (the command renders these). */

/** A compiler error with where it is. */
export interface BuildError {
  column?: number
  /** Relative to the project folder. */
  file: string
  line: number
  message: string
}

export type RunnerEvent =
  /** The build failed; the chaincode that ran before keeps running. */
  | {buildSeconds: number; pid: number; seconds: number; startSeconds: number; type: 'restarted'}
  /** A save was noticed (files relative to the project; empty when the compiler's own watcher saw it). */
  | {code: null | number; signal: null | string; type: 'exited'}
  /** The chaincode process ended by itself (not stopped by fabk8s). */
  | {errors: BuildError[]; output: string; seconds: number; type: 'build-failed'}
  /** The debugger answers here. */
  | {files: string[]; type: 'change'}
  /** One line the chaincode printed. */
  | {kind: 'delve' | 'jdwp' | 'node'; port: number; type: 'debugger'; url?: string}
  /** Something the developer should know (a missing debugger, a leftover process stopped). */
  | {line: string; stream: 'stderr' | 'stdout'; type: 'log'}
  /** The new code listens: build and start times (seconds since the change, and of each part). */
  | {message: string; type: 'note'}
  /** Building or starting (the watch state). */
  | {state: 'building' | 'starting' | 'watching'; type: 'state'}

export type RunnerListener = (e: RunnerEvent) => void
