/**
 * `fabk8s dev --in-cluster`: watch the project and run `fabk8s up`'s pipeline on every save (its change checks
 * keep each iteration to what changed: build → load → roll out; package, register and the rest only read), and
 * report each iteration's step times. A failed iteration (say, a compile error in the image build) is reported
 * with the files and lines the compiler named, and the loop waits for the next save.
 */
import type {TaskList} from '../tasks.js'
import type {StepReport, UpOptions, UpResult} from '../up/up.js'
import type {BuildError} from './local/events.js'

import {messageOf} from '../errors.js'
import {type ProjectConfig} from '../project/schema.js'
import {parseGoErrors, parseTscErrors} from './local/errors.js'

export type ClusterEvent =
  | {error: string; errors: BuildError[]; iteration: number; seconds: number; type: 'iteration-failed'}
  | {files: string[]; type: 'change'}
  | {image?: string; iteration: number; seconds: number; steps: StepReport[]; type: 'iteration'}
  | {iteration: number; type: 'iteration-start'}
  | {state: 'building' | 'watching'; type: 'state'}

export interface ClusterDevOptions extends Omit<UpOptions, 'signal'> {
  /** Runs up's task list once per iteration: the command passes the renderer's runTasks (progress, or none). */
  runList: <R>(list: TaskList<R>) => Promise<R>
  signal: AbortSignal
}

export interface ClusterDevResult {
  failed: number
  image?: string
  iterations: number
  mode: 'in-cluster'
  namespace: string
  packageId?: string
  seconds: number
}

/** Compiler errors in a docker build's log tail (BuildKit prefixes each line with `#N 1.234`). */
export function buildErrors(err: unknown, dir: string): BuildError[] {
  const tail = ((err as {detail?: {logTail?: string[]}}).detail?.logTail ?? []).map((l) =>
    l.replace(/^#\d+\s+[\d.]+\s+/, ''),
  )
  const text = tail.join('\n')
  return [...parseTscErrors(text, dir), ...parseGoErrors(text, dir)]
}

export async function runClusterDev(
  project: ProjectConfig,
  opts: ClusterDevOptions,
  emit: (e: ClusterEvent) => void,
): Promise<ClusterDevResult> {
  const started = process.hrtime.bigint()
  const {upTasks} = await import('../up/up.js')
  const {watchTree} = await import('./local/watch.js')
  let iterations = 0
  let failed = 0
  let last: undefined | UpResult
  let dirty = false
  let running: Promise<void> | undefined

  const iterate = async (): Promise<void> => {
    do {
      dirty = false
      iterations++
      const t = process.hrtime.bigint()
      emit({iteration: iterations, type: 'iteration-start'})
      emit({state: 'building', type: 'state'})
      try {
        // the interrupt of one iteration is our own Ctrl-C: up sees it through the signal as usual
        const {runList, ...upOpts} = opts
        const r = await runList(upTasks(project, upOpts))
        last = r
        emit({
          image: r.image,
          iteration: iterations,
          seconds: Math.round(Number(process.hrtime.bigint() - t) / 1e7) / 100,
          steps: r.steps,
          type: 'iteration',
        })
      } catch (error) {
        if (opts.signal.aborted) return
        failed++
        emit({
          error: messageOf(error),
          errors: buildErrors(error, project.dir),
          iteration: iterations,
          seconds: Math.round(Number(process.hrtime.bigint() - t) / 1e7) / 100,
          type: 'iteration-failed',
        })
      }
    } while (dirty && !opts.signal.aborted)

    emit({state: 'watching', type: 'state'})
  }

  const kick = () => {
    if (running) {
      dirty = true
      return
    }

    running = iterate().finally(() => {
      running = undefined
    })
  }

  kick()
  const watcher = watchTree(project.dir, {
    include: (rel) => !rel.endsWith('~') && !/(^|\/)\.#|\.swp$/.test(rel),
    onChange(files) {
      emit({files, type: 'change'})
      kick()
    },
  })
  await new Promise<void>((resolve) => {
    if (opts.signal.aborted) resolve()
    else opts.signal.addEventListener('abort', () => resolve(), {once: true})
  })
  watcher.close()
  await running?.catch(() => {})
  return {
    failed,
    image: last?.image,
    iterations,
    mode: 'in-cluster',
    namespace: opts.namespace ?? project.kubernetes.namespace,
    packageId: last?.packageId,
    seconds: Math.round(Number(process.hrtime.bigint() - started) / 1e7) / 100,
  }
}
