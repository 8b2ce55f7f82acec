/**
 * The task-list contract between libraries and commands. A library describes its work as a TaskList (what to do,
 * step by step, and how to read the result afterwards); a command hands the list to the one renderer
 * (src/render/tasks.ts), which shows progress (or nothing, under --json) and runs it. A task may run another
 * library's list as its subtasks (`await t.run(list)`), which is how `fabk8s up` shows exactly what `build`,
 * `load`, `deploy` and `register` show. Nothing here imports the renderer: a library never draws.
 */

/** What a running task may do. */
export interface TaskHandle {
  /** A progress line under the task: the latest one shows; --verbose keeps every line. */
  output(line: string): void
  /** Run a task list as this task's subtasks and resolve to its result. */
  run<R>(list: TaskList<R>): Promise<R>
  /** Aborted on Ctrl-C: hand it to what can be cancelled (child processes, requests, waits). */
  readonly signal: AbortSignal
  /** Mark the task skipped, with the line to show instead of the title. */
  skip(message: string): void
  /** The task's line; set it to say what happened ("Built kv:1.0 (sha256:…)"). */
  title: string
}

export interface Task {
  /** Evaluated when the list reaches the task: false leaves it out (not shown). */
  enabled?: () => boolean
  run(t: TaskHandle): Promise<void>
  title: string
}

export interface TaskList<R> {
  /** Release what the list holds (e.g. a Fabric session) once it has ended, whether it succeeded or not. */
  close?(): void
  /** Run the tasks at the same time (default: one after the other). */
  concurrent?: boolean
  /**
   * false: a failing task does not stop its siblings, and the list itself does not fail; `result()` (or the task
   * that ran the list) then decides. Default true: the first failure ends the list with that error.
   */
  exitOnError?: boolean
  /** What state an interruption leaves, in a few words ("the Deployment was applied, rollout not finished"). */
  interrupted?(): string
  /** The outcome, read once every task has run. */
  result(): R
  tasks: Task[]
}
