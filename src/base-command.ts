import {Command, Errors, Flags, type Interfaces} from '@oclif/core'

import type {ProjectConfig} from './lib/project/schema.js'

import {EXIT_CODES_HELP, FabError, isFabError} from './lib/errors.js'

export type BaseFlags<T extends typeof Command> = Interfaces.InferredFlags<
  (typeof BaseCommand)['baseFlags'] & T['flags']
>

/** Flags for commands that talk to Kubernetes; spread into a command's `flags`. */
export const kubeFlags = {
  context: Flags.string({
    description: 'kubeconfig context (default: fabk8s.yaml kubernetes.context, then kind-<cluster>, then current)',
    helpGroup: 'KUBERNETES',
  }),
  kubeconfig: Flags.string({
    description: 'path to the kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)',
    env: 'KUBECONFIG',
    helpGroup: 'KUBERNETES',
  }),
  namespace: Flags.string({
    char: 'n',
    description: 'namespace (default: fabk8s.yaml kubernetes.namespace)',
    helpGroup: 'KUBERNETES',
  }),
}

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
  /** Parsed arguments (by name) and every positional argument in order (for commands with strict = false). */
  protected args!: Record<string, string | undefined>
  protected flags!: BaseFlags<T>
  protected positionals!: string[]

  /** Map anything thrown to our error contract. */
  override async catch(err: Error & {exitCode?: number; oclif?: {exit?: number}}): Promise<never> {
    if (err instanceof Errors.ExitError) throw err
    const fe = toFabError(err)
    if (this.jsonEnabled()) {
      this.logJson({error: fe.toJSON()})
    } else {
      const {c} = await import('./lib/ui/colors.js')
      const {escapeControl} = await import('./lib/ui/text.js')
      // messages quote files, flags and servers: no control character from them reaches the terminal
      process.stderr.write(`${c.bad('Error:')} ${escapeControl(fe.message, '\n')}\n`)
      if (fe.hint) process.stderr.write(`${c.dim('Hint:')} ${escapeControl(fe.hint, '\n')}\n`)
      if (process.env.DEBUG && err.stack) process.stderr.write(`${err.stack}\n`)
    }

    throw new Errors.ExitError(fe.exitCode)
  }

  protected abstract execute(): Promise<unknown>

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
  }

  /** Notes and warnings go to stderr so stdout stays parseable. */
  protected note(line: string): void {
    if (!this.jsonEnabled()) process.stderr.write(`${line}\n`)
  }

  /** Load the project (fabk8s.yaml) from --project or the current folder. */
  protected async project(): Promise<ProjectConfig> {
    const {openProject} = await import('./lib/project/load.js')
    return openProject(this.flags.project)
  }

  async run(): Promise<unknown> {
    return this.execute()
  }

  /** Human output goes to stdout only when not --json. */
  protected say(line = ''): void {
    if (!this.jsonEnabled()) process.stdout.write(`${line}\n`)
  }
}

export function toFabError(err: unknown): FabError {
  if (isFabError(err)) return err as FabError
  const e = err as Error & {code?: string; oclif?: {exit?: number}}
  // oclif's own parse errors (unknown flag, bad option, missing arg) carry exit 2: usage
  if (
    e?.oclif?.exit === 2 ||
    e?.name === 'CLIParseError' ||
    /^(Nonexistent flag|Unexpected argument|Expected --|Missing \d+ required arg|Expected .* to be one of)/.test(
      e?.message ?? '',
    )
  )
    return new FabError(
      'USAGE',
      (e.message ?? String(e))
        .split('\n')
        .find((l) => l.trim() !== '')!
        .trim(),
      {
        hint: 'see --help',
      },
    )
  if (e?.name === 'AbortPromptError' || e?.name === 'ExitPromptError') return new FabError('ABORTED', 'interrupted')
  return new FabError('FAILURE', e?.message ?? String(err), {
    cause: err,
    hint: 'this looks like a bug in fabk8s; rerun with DEBUG=1 for the stack',
  })
}
