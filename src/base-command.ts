import {Command, Errors, Flags, type Interfaces} from '@oclif/core'

import type {KubeClients} from './lib/kube/client.js'
import type {ProjectConfig} from './lib/project/schema.js'
import type {TaskList} from './lib/tasks.js'

import {EXIT_CODES_HELP, FabError, isFabError} from './lib/errors.js'
import {markStartup} from './lib/timeline.js'

export type BaseFlags<T extends typeof Command> = Interfaces.InferredFlags<
  (typeof BaseCommand)['baseFlags'] & T['flags']
>

/** Kept here too: commands import it with BaseCommand. */
export {kubeFlags} from './flags/kube.js'

/**
 * The base of every fabk8s command: shared flags, --json, and the error contract (one clear line on stderr,
 * or `{"error": …}` on stdout under --json, and the exit code from the table in src/lib/errors.ts).
 */
export abstract class BaseCommand<T extends typeof Command> extends Command {
  static override baseFlags = {
    project: Flags.string({
      char: 'p',
      description: 'project folder holding fabk8s.yaml (default: current folder or nearest parent)',
      helpGroup: 'GLOBAL',
    }),
    yes: Flags.boolean({
      char: 'y',
      default: false,
      description: 'assume yes / take defaults; never prompt',
      helpGroup: 'GLOBAL',
    }),
  }
  static override enableJsonFlag = true
  static exitCodes = EXIT_CODES_HELP
  /**
   * For a command that sends to Fabric without a task list: what a Ctrl-C leaves behind, said (as exit 130, and as
   * one `{"error": …}` document under --json) instead of Node's silent exit. A task list (runTasks) says its own.
   */
  static interruptNote?: string
  /** Parsed arguments (by name) and every positional argument in order (for commands with strict = false). */
  protected args!: Record<string, string | undefined>
  protected flags!: BaseFlags<T>
  /** What a second Ctrl-C leaves behind, said as it exits (a command sets it once the first one has begun a stop). */
  protected leftOnSecondInterrupt?: string
  protected positionals!: string[]
  /** Ctrl-C under runTasks (interruptSignal): aborts this controller. */
  private interruption?: AbortController
  /** Whether interruptNote's line is being written (a second Ctrl-C then exits at once). */
  private reportingInterruption = false
  /**
   * The one SIGINT listener, from init (interruptNote) or interruptSignal() on. Never removed and added again while
   * the command runs: a Ctrl-C that arrives while the main thread is busy is emitted later, and Node drops it when
   * the last listener goes in between.
   */
  private sigint?: () => void

  /** Map anything thrown to our error contract. */
  override async catch(err: Error & {exitCode?: number; oclif?: {exit?: number}}): Promise<never> {
    if (err instanceof Errors.ExitError) throw err
    const fe = toFabError(err)
    const {reportError} = await import('./render/errors.js')
    await reportError(fe, {
      debugStack: err.stack,
      json: this.jsonEnabled(),
      verbose: Boolean((this.flags as undefined | {verbose?: boolean})?.verbose),
    })
    throw new Errors.ExitError(fe.exitCode)
  }

  protected abstract execute(): Promise<unknown>

  override async finally(err: Error | undefined): Promise<unknown> {
    if (this.sigint) process.removeListener('SIGINT', this.sigint)
    return super.finally(err)
  }

  override async init(): Promise<void> {
    await super.init()
    // statics are read through the prototype chain here (a subclass of an abstract command inherits them);
    // oclif's parse(Class) would only see the class's own statics
    const {args, argv, flags} = await this.parse({
      args: this.ctor.args,
      baseFlags: (this.ctor as typeof BaseCommand).baseFlags,
      enableJsonFlag: this.ctor.enableJsonFlag,
      flags: this.ctor.flags,
      strict: this.ctor.strict,
    })
    this.args = args as Record<string, string | undefined>
    this.positionals = argv as string[]
    this.flags = flags as BaseFlags<T>
    markStartup('command parsed (oclif: config, flags)')
    if ((this.ctor as typeof BaseCommand).interruptNote) this.listenForInterrupt()
  }

  /**
   * Ctrl-C for a long command: the first SIGINT aborts this signal (the task renderer then ends the run with
   * exit 130 and a line saying what state the work was left in); a second one exits at once.
   */
  protected interruptSignal(): AbortSignal {
    this.interruption ??= new AbortController()
    this.listenForInterrupt()
    return this.interruption.signal
  }

  /** Notes and warnings go to stderr so stdout stays parseable. */
  protected note(line: string): void {
    if (!this.jsonEnabled()) process.stderr.write(`${line}\n`)
  }

  /**
   * A dim line on stderr (human output only) when the kube context is the kubeconfig's current-context because the
   * project's kind-<kind.cluster> context is not there: that cluster may not be the one the user means.
   */
  protected async noteKubeContext(clients: Pick<KubeClients, 'choice' | 'target'> | undefined): Promise<void> {
    if (!clients || this.jsonEnabled()) return
    const {contextNote} = await import('./lib/kube/client.js')
    const line = contextNote(clients)
    if (!line) return
    const {c} = await import('./lib/ui/colors.js')
    this.note(c.dim(line))
  }

  /** Load the project (fabk8s.yaml) from --project or the current folder. */
  protected async project(): Promise<ProjectConfig> {
    const {openProject} = await import('./lib/project/load.js')
    const project = await openProject(this.flags.project)
    markStartup('fabk8s.yaml read')
    return project
  }

  async run(): Promise<unknown> {
    return this.execute()
  }

  /**
   * Show a library's task list (progress on stderr; nothing under --json) and return its result. Ctrl-C stops it
   * at once with exit 130 and says what state it left and what to run again.
   */
  protected async runTasks<R>(list: TaskList<R>, opts: {verbose?: boolean} = {}): Promise<R> {
    const {runTasks} = await import('./render/tasks.js')
    const command = `${this.config.bin} ${this.id?.replaceAll(':', ' ') ?? ''}`.trim()
    return runTasks(list, {
      json: this.jsonEnabled(),
      name: this.id?.replaceAll(':', ' '),
      resume: command,
      signal: this.interruptSignal(),
      verbose: opts.verbose,
    })
  }

  /** Human output goes to stdout only when not --json. */
  protected say(line = ''): void {
    if (!this.jsonEnabled()) process.stdout.write(`${line}\n`)
  }

  /**
   * Ctrl-C: under runTasks the first aborts interruptSignal() (the task renderer then ends the run with exit 130 and a
   * line saying what state the work was left in); before it, or in a command without a task list, interruptNote's
   * line (or JSON document) and exit 130. A second Ctrl-C exits at once.
   */
  private listenForInterrupt(): void {
    if (this.sigint) return
    this.sigint = () => {
      const controller = this.interruption
      if (controller?.signal.aborted || this.reportingInterruption) {
        if (this.leftOnSecondInterrupt) process.stderr.write(`\n${this.leftOnSecondInterrupt}\n`)
        // eslint-disable-next-line n/no-process-exit, unicorn/no-process-exit -- a second Ctrl-C: stop now
        process.exit(130)
      }

      if (controller) {
        controller.abort()
        return
      }

      this.reportingInterruption = true
      const name = this.id?.replaceAll(':', ' ') ?? this.config.bin
      const fe = new FabError(
        'ABORTED',
        `interrupted during ${name}: ${(this.ctor as typeof BaseCommand).interruptNote}`,
      )
      import('./render/errors.js')
        .then(({reportError}) => reportError(fe, {json: this.jsonEnabled()}))
        .then(exitInterrupted, exitInterrupted)
    }

    process.on('SIGINT', this.sigint)
  }
}

/** Exit 130, as a shell does for a process ended by Ctrl-C. */
function exitInterrupted(): never {
  // eslint-disable-next-line n/no-process-exit, unicorn/no-process-exit -- Ctrl-C ends the command here
  process.exit(130)
}

/**
 * oclif's parse error as one line that says what is wrong: its first line is sometimes only a heading ("The following
 * error occurred:", "Missing 1 required arg:") and what follows names the flags or arguments; its "See more help"
 * line goes (our hint says that).
 */
export function parseErrorLine(message: string): string {
  const lines = message
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('See more help with'))
  const [head = message.trim(), ...rest] = lines
  if (rest.length === 0) return head
  if (/^The following errors? occurred:$/.test(head)) return rest.join('; ')
  // "Missing 1 required arg:" + "fn  function name (…)": the argument's name, then its description
  if (/^Missing \d+ required args?:$/.test(head))
    return `${head} ${rest.map((l) => l.replace(/\s{2,}/, ': ')).join('; ')}`
  return `${head} ${rest.join('; ')}`
}

export function toFabError(err: unknown): FabError {
  const e = err as Error & {code?: string; oclif?: {exit?: number}}
  // oclif wraps what a flag's parse function throws: "Parsing --port \n\t<why>\nSee more help with --help"
  const parsing = /^Parsing (--[\w-]+)\s*\n\s*(.*)/.exec(e?.message ?? '')
  if (parsing) {
    const why = parsing[2].trim()
    // a message that names its source already (the flag, or the environment variable the value came from) keeps it
    const message = why.startsWith(parsing[1]) || /^[A-Z][A-Z\d_]+ /.test(why) ? why : `${parsing[1]}: ${why}`
    if (isFabError(err)) return new FabError(err.code, message, {cause: err, detail: err.detail, hint: err.hint})
    return new FabError('USAGE', message, {cause: err, hint: 'see --help'})
  }

  if (isFabError(err)) return err as FabError
  // oclif's own parse errors (unknown flag, bad option, missing arg) carry exit 2: usage
  if (
    e?.oclif?.exit === 2 ||
    e?.name === 'CLIParseError' ||
    /^(Nonexistent flag|Unexpected argument|Expected --|Missing \d+ required arg|Expected .* to be one of)/.test(
      e?.message ?? '',
    )
  )
    return new FabError('USAGE', parseErrorLine(e.message ?? String(e)), {hint: 'see --help'})
  if (e?.name === 'AbortPromptError' || e?.name === 'ExitPromptError') return new FabError('ABORTED', 'interrupted')
  return new FabError('FAILURE', e?.message ?? String(err), {
    cause: err,
    hint: 'this looks like a bug in fabk8s; rerun with DEBUG=1 for the stack',
  })
}
