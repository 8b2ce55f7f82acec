/**
 * The one place that renders task lists (src/lib/tasks.ts) for commands: listr2's default renderer at a terminal,
 * its simple renderer in CI or when stderr is not a terminal, every line kept with --verbose, nothing under --json.
 * Progress always goes to stderr, so stdout stays the command's own. listr2 is imported lazily (start-up time).
 *
 * Errors: listr2 prints a failed task's message on that task's line; it gets a one-line summary there, and the
 * original error (with its hint, detail and exit code) comes out of runTasks, unwrapped here and nowhere else.
 * Ctrl-C: with a signal, an abort ends the run at once with exit 130 and a line saying what state the work was
 * left in (TaskList.interrupted), whatever the tasks are waiting on.
 */
import type {DefaultRenderer, ListrTask, ListrTaskWrapper} from 'listr2'

import type {Task, TaskHandle, TaskList} from '../lib/tasks.js'

import {FabError} from '../lib/errors.js'
import {isCI} from '../lib/ui/interactive.js'

export interface RenderOptions {
  /** --json: no progress output at all. */
  json?: boolean
  /** The command, for the interruption line: "interrupted during deploy: …". */
  name?: string
  /** What to run to pick up again after an interruption, e.g. `fabk8s up`. */
  resume?: string
  /** Ctrl-C. */
  signal?: AbortSignal
  /** --verbose: every output line kept (listr2's verbose renderer). */
  verbose?: boolean
}

/** The error listr2 shows on a failed task's line; the original rides along and is given back by unwrap(). */
class Shown extends Error {
  constructor(readonly original: unknown) {
    super(summary(original))
  }
}

/** The original error of anything a list threw. */
export function unwrap(error: unknown): unknown {
  return error instanceof Shown ? error.original : error
}

/** One short line for a task's line: the error's reason (e.g. CrashLoopBackOff), else its first line. */
function summary(error: unknown): string {
  const reason = (error as {detail?: {reason?: unknown}})?.detail?.reason
  if (typeof reason === 'string' && reason) return reason
  const message = error instanceof Error ? error.message : String(error)
  return message.split('\n')[0] || 'failed'
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- listr2's wrapper is generic over renderers we do not name
type Wrapper = ListrTaskWrapper<any, any, any>

/** How often a terminal's frame may be drawn (FramedRenderer). */
export const FRAME_MS = 80
/** A frame waits while the event loop was busier than this over the last FRAME_MS, for at most MAX_WAIT_MS. */
const BUSY = 0.5
export const MAX_WAIT_MS = 400

/** What runTasks needs of a renderer that may still have its last frame to draw. */
interface Drainable {
  drain?(): Promise<void>
}

/**
 * listr2's default renderer (at a terminal), drawing at most one frame per FRAME_MS, and only when the process has a
 * moment. listr2 draws the whole list again at once on every change of any task (state, title, output), and each frame
 * wraps, truncates and writes every line on the one thread the work itself needs: a `register` made dozens of frames
 * and took 0.79 s at a terminal of 120 columns against 0.68 s under --json (a no-op `up` 0.57 s against 0.37 s). Here a
 * change waits for the next frame, which draws all changes made since; a frame waits while the event loop was busy (the
 * start of a command is CPU-bound until its first wait), but never more than MAX_WAIT_MS. The renderer's own start (its
 * modules, ≈ 20 ms with the Unicode segmentation data they load) waits for the first frame too. A list that ends before
 * its first frame has its last frame drawn by drain(), which runTasks awaits.
 */
export function framedRenderer(Base: typeof DefaultRenderer): typeof DefaultRenderer {
  return class FramedRenderer extends Base implements Drainable {
    /** end() came before the renderer had started: its arguments, for drain(). */
    private ended?: Parameters<DefaultRenderer['end']>
    private frame?: NodeJS.Timeout
    private load = performance.eventLoopUtilization()
    private ready = false
    private started?: Promise<void>
    /** When the oldest change not yet drawn was made. */
    private waiting?: number

    async drain(): Promise<void> {
      if (!this.ended) return
      await (this.started ??= super.render())
      const args = this.ended
      this.ended = undefined
      super.end(...args)
    }

    override end(...args: Parameters<DefaultRenderer['end']>): void {
      clearTimeout(this.frame)
      this.frame = undefined
      if (this.ready) super.end(...args)
      else this.ended = args
    }

    override async render(): Promise<void> {
      // listr2 awaits this before its first task: the start waits for the first frame (tick)
      this.update()
    }

    override update(): void {
      this.waiting ??= performance.now()
      this.frame ??= setTimeout(() => this.tick(), FRAME_MS)
    }

    private tick(): void {
      this.frame = undefined
      const busy = performance.eventLoopUtilization(this.load).utilization
      this.load = performance.eventLoopUtilization()
      if (busy > BUSY && performance.now() - this.waiting! < MAX_WAIT_MS) {
        this.update()
        return
      }

      this.waiting = undefined
      if (this.started) {
        if (this.ready) super.update()
        return
      }

      this.started = super.render().then(() => {
        this.ready = true
        if (!this.ended) super.update()
      })
    }
  }
}

/** Run a task list with the renderer that fits and return its result. */
export async function runTasks<R>(list: TaskList<R>, opts: RenderOptions = {}): Promise<R> {
  const {DefaultRenderer: Default, Listr, ListrLogger, ProcessOutput} = await import('listr2')
  const signal = opts.signal ?? new AbortController().signal
  if (signal.aborted) throw interrupted(list, opts)
  const output = new ProcessOutput(process.stderr, process.stderr)
  const root = new Listr<object, 'silent' | 'verbose' | typeof DefaultRenderer, 'simple'>(toListr(list.tasks, signal), {
    concurrent: list.concurrent ?? false,
    exitOnError: list.exitOnError ?? true,
    fallbackRenderer: 'simple',
    fallbackRendererCondition: isCI() || !process.stderr.isTTY,
    fallbackRendererOptions: {logger: new ListrLogger({processOutput: output})},
    registerSignalListeners: false,
    renderer: opts.json ? 'silent' : opts.verbose ? 'verbose' : framedRenderer(Default),
    rendererOptions: {collapseSubtasks: false, logger: new ListrLogger({processOutput: output})},
    silentRendererCondition: Boolean(opts.json),
  })
  let onAbort: (() => void) | undefined
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(interrupted(list, opts))
    signal.addEventListener('abort', onAbort, {once: true})
  })
  try {
    await Promise.race([root.run({}), aborted])
    return list.result()
  } catch (error) {
    if (signal.aborted) {
      stopRenderer(root as unknown as Parameters<typeof stopRenderer>[0])
      throw interrupted(list, opts)
    }

    throw unwrap(error)
  } finally {
    // the last frame, when the list ended before its first (framedRenderer)
    await (root as unknown as {renderer?: Drainable}).renderer?.drain?.()
    if (onAbort) signal.removeEventListener('abort', onAbort)
    list.close?.()
  }

  /** Our tasks as listr2 tasks; a task's handle runs nested lists as its subtasks. */
  function toListr(tasks: Task[], sig: AbortSignal): ListrTask[] {
    return tasks.map((task) => ({
      enabled: task.enabled ? () => task.enabled!() : undefined,
      async task(_ctx: object, w: Wrapper) {
        try {
          await task.run(handle(w, sig))
        } catch (error) {
          throw error instanceof Shown ? error : new Shown(error)
        }
      },
      title: task.title,
    }))
  }

  function handle(w: Wrapper, sig: AbortSignal): TaskHandle {
    return {
      output(line: string) {
        w.output = line
      },
      async run<S>(sub: TaskList<S>): Promise<S> {
        try {
          await runSubtasks(w, sub, sig)
          return sub.result()
        } catch (error) {
          throw unwrap(error)
        } finally {
          sub.close?.()
        }
      },
      signal: sig,
      skip(message: string) {
        w.skip(message)
      },
      get title() {
        return w.title
      },
      set title(t: string) {
        w.title = t
      },
    }
  }

  /**
   * Run `sub` as the subtasks of the task behind `w` and wait for it: what listr2 does with a list a task
   * returns (silent renderer of its own, the parent's renderer shows the subtasks), done here so that the task
   * can go on after its subtasks finish.
   */
  async function runSubtasks(w: Wrapper, sub: TaskList<unknown>, sig: AbortSignal): Promise<void> {
    const {getRendererClass, ListrTaskEventType} = await import('listr2')
    const nested = w.newListr(toListr(sub.tasks, sig) as never, {
      concurrent: sub.concurrent ?? false,
      exitOnError: sub.exitOnError ?? true,
    })
    const parent = (w as unknown as {task: InternalTask}).task
    const inner = nested as unknown as {errors: unknown[]; options: object; rendererClass: unknown}
    inner.options = {...parent.options, ...inner.options}
    inner.rendererClass = getRendererClass('silent')
    inner.errors = parent.listr.errors
    parent.subtasks = nested.tasks as never
    parent.emit(ListrTaskEventType.SUBTASK, parent.subtasks)
    await nested.run({})
  }
}

/** The listr2 Task fields runSubtasks and stopRenderer touch (listr2 9). */
interface InternalTask {
  emit(event: string, data: unknown): void
  isPending(): boolean
  listr: {errors: unknown[]}
  options: object
  state$: string
  subtasks?: InternalTask[]
}

/** Ctrl-C: mark what was running as failed and let the renderer draw its last frame. */
function stopRenderer(root: {renderer?: {end(err?: Error): void}; tasks: unknown[]}): void {
  const fail = (tasks: InternalTask[]) => {
    for (const t of tasks) {
      if (t.isPending()) t.state$ = 'FAILED'
      if (t.subtasks) fail(t.subtasks)
    }
  }

  fail(root.tasks as InternalTask[])
  root.renderer?.end(new Error('interrupted'))
}

function interrupted(list: TaskList<unknown>, opts: RenderOptions): FabError {
  const state = list.interrupted?.()
  const during = opts.name ? ` during ${opts.name}` : ''
  const resume = opts.resume ? `; run \`${opts.resume}\` again to resume` : ''
  return new FabError('ABORTED', `interrupted${during}${state ? `: ${state}` : ''}${resume}`)
}
