/**
 * How an error reaches the user, for every command and for the command-not-found hook: under --json one
 * `{"error": …}` document on stdout, else `Error: …` and `Hint: …` on stderr (after the last lines of a build log
 * when the error carries them). The writes finish before the caller exits: output to a pipe is asynchronous, and
 * process.exit would cut off what has not reached the pipe yet.
 */
import type {FabError} from '../lib/errors.js'

/** Write to a stream and resolve once the chunk has been handed to the operating system. */
export function writeAll(stream: NodeJS.WriteStream, text: string): Promise<void> {
  return new Promise((resolve) => {
    stream.write(text, () => resolve())
  })
}

export interface ReportOptions {
  /** The stack of the original error, shown with DEBUG set. */
  debugStack?: string
  json: boolean
  /** --verbose streamed the whole log already: no log tail. */
  verbose?: boolean
}

export async function reportError(fe: FabError, opts: ReportOptions): Promise<void> {
  if (opts.json) {
    await writeAll(process.stdout, `${JSON.stringify({error: fe.toJSON()}, null, 2)}\n`)
    return
  }

  const {c} = await import('../lib/ui/colors.js')
  const {escapeControl} = await import('../lib/ui/text.js')
  // messages quote files, flags, servers and build logs: no control character from them reaches the terminal
  let text = ''
  const tail = fe.detail?.logTail
  if (Array.isArray(tail) && !opts.verbose) for (const l of tail) text += `  | ${escapeControl(String(l))}\n`
  text += `${c.bad('Error:')} ${escapeControl(fe.message, '\n')}\n`
  if (fe.hint) text += `${c.dim('Hint:')} ${escapeControl(fe.hint, '\n')}\n`
  if (process.env.DEBUG && opts.debugStack) text += `${opts.debugStack}\n`
  await writeAll(process.stderr, text)
}
