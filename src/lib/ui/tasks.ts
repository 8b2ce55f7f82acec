import type {ListrTask} from 'listr2'

import {FabError} from '../errors.js'
import {isCI} from './interactive.js'

export interface RunTasksOptions {
  /** Run subtasks of the outer list concurrently. */
  concurrent?: boolean
  /** --json: no progress output at all (stdout stays parseable). */
  json?: boolean
  /** Ctrl-C: checked before the list starts; tasks that run long take the signal themselves (rollout wait, up steps). */
  signal?: AbortSignal
  /** --verbose: the verbose renderer, every output line kept. */
  verbose?: boolean
}

/**
 * Runs a listr2 task list with the renderer that fits: the default renderer on a TTY, the simple fallback
 * renderer in CI or when stderr is not a TTY, silent under --json. Progress always goes to stderr.
 */
export async function runTasks<Ctx extends object>(
  tasks: ListrTask<Ctx>[],
  ctx: Ctx,
  opts: RunTasksOptions = {},
): Promise<Ctx> {
  const {Listr, ListrLogger, ProcessOutput} = await import('listr2')
  const output = new ProcessOutput(process.stderr, process.stderr)
  const fallback = isCI() || !process.stderr.isTTY
  const list = new Listr<Ctx, 'default' | 'silent' | 'simple' | 'verbose', 'simple'>(tasks, {
    concurrent: opts.concurrent ?? false,
    ctx,
    exitOnError: true,
    fallbackRenderer: 'simple',
    fallbackRendererCondition: fallback,
    fallbackRendererOptions: {logger: new ListrLogger({processOutput: output})},
    registerSignalListeners: false,
    renderer: opts.json ? 'silent' : opts.verbose ? 'verbose' : 'default',
    rendererOptions: {collapseSubtasks: false, logger: new ListrLogger({processOutput: output})},
    silentRendererCondition: Boolean(opts.json),
  })
  if (opts.signal?.aborted) throw new FabError('ABORTED', 'interrupted')

  return list.run(ctx)
}
