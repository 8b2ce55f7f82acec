/**
 * The exit-code table. Every error fabk8s raises on purpose carries one of these codes; the table is printed
 * in `--help` (see EXIT_CODES_HELP) and in README.md. `fabk8s doctor` has its own contract (0 clean, 1 findings
 * at or above --fail-on, 2 input could not be read/parsed or cluster unreachable).
 */
/* eslint-disable perfectionist/sort-objects -- a table, read in numeric order */
export const ExitCode = {
  OK: 0,
  /** Unexpected failure (a bug), or doctor findings at or above --fail-on. */
  FAILURE: 1,
  /** Bad flag, argument or input value (also: a required value missing when no prompt is possible). */
  USAGE: 2,
  /** fabk8s.yaml missing, unreadable or invalid. */
  PROJECT: 3,
  /** Refused or failed to write files (non-empty directory without --force, permission). */
  FILESYSTEM: 4,
  /** Docker engine unreachable, Dockerfile missing, image build failed. */
  DOCKER: 5,
  /** kind cluster or node not found, image load failed, or a remote cluster and no registry set. */
  CLUSTER: 6,
  /** Kubernetes API unreachable, unauthorised/forbidden, or a request failed. */
  KUBERNETES: 7,
  /** Chaincode rollout failed or timed out (pods not ready), or its pods did not stop after `down`. */
  ROLLOUT: 8,
  /** Fabric peer/orderer unreachable, TLS failure, access denied, endorsement or policy failure, bad package. */
  FABRIC: 9,
  /** Image registry unreachable, authentication needed, or push refused (`up`/`deploy --registry`, `build --push`). */
  REGISTRY: 10,
  /**
   * The chaincode's Deployment runs the relay of a `fabk8s dev` session that is still running (up/deploy/dev
   * without --take-over), or dev's relay was replaced while dev ran (dev then stops).
   */
  IN_USE: 11,
  /** Interrupted (Ctrl-C) or declined at a confirmation prompt. */
  ABORTED: 130,
} as const
/* eslint-enable perfectionist/sort-objects */

export type ExitCodeName = keyof typeof ExitCode

export const EXIT_CODE_DESCRIPTIONS: Record<ExitCodeName, string> = {
  ABORTED: 'interrupted or declined',
  CLUSTER: 'kind cluster or nodes not found, image load failed, remote cluster without a registry',
  DOCKER: 'Docker engine unreachable or image build failed',
  FABRIC: 'Fabric peer/orderer error (unreachable, TLS, access, policy, package)',
  FAILURE: 'unexpected failure; doctor: findings at or above --fail-on',
  FILESYSTEM: 'refused or failed to write files',
  IN_USE: 'a running fabk8s dev session holds the Deployment (--take-over), or its relay was replaced',
  KUBERNETES: 'Kubernetes API unreachable, forbidden, or request failed',
  OK: 'success',
  PROJECT: 'fabk8s.yaml missing or invalid',
  REGISTRY: 'image registry unreachable, login needed, or push refused',
  ROLLOUT: 'chaincode rollout failed or timed out, or its pods did not stop after down',
  USAGE: 'bad flag, argument or input; doctor: an input could not be read or parsed',
}

/** The table as text, for command help and README. */
export const EXIT_CODES_HELP = (Object.keys(ExitCode) as ExitCodeName[])
  .sort((a, b) => ExitCode[a] - ExitCode[b])
  .map((k) => `  ${String(ExitCode[k]).padStart(3)}  ${EXIT_CODE_DESCRIPTIONS[k]}`)
  .join('\n')

export interface FabErrorOptions {
  /** Underlying error. */
  cause?: unknown
  /** Extra structured detail, included in --json error output. */
  detail?: Record<string, unknown>
  /** What to do next; printed on a second line. */
  hint?: string
}

/** An expected error: one clear line (what, where), an exit code from the table, an optional hint. */
export class FabError extends Error {
  readonly code: ExitCodeName
  readonly detail?: Record<string, unknown>
  readonly exitCode: number
  readonly hint?: string

  constructor(code: ExitCodeName, message: string, opts: FabErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : {cause: opts.cause})
    this.name = 'FabError'
    this.code = code
    this.exitCode = ExitCode[code]
    this.hint = opts.hint
    this.detail = opts.detail
  }

  toJSON(): Record<string, unknown> {
    return {
      code: this.code,
      exitCode: this.exitCode,
      message: this.message,
      ...(this.hint ? {hint: this.hint} : {}),
      ...(this.detail ? {detail: this.detail} : {}),
    }
  }
}

export function isFabError(err: unknown): err is FabError {
  return err instanceof FabError || (err instanceof Error && err.name === 'FabError' && 'exitCode' in err)
}

export function usageError(message: string, hint?: string): FabError {
  return new FabError('USAGE', message, {hint})
}

/** The message of anything thrown, on one line. */
export function messageOf(err: unknown): string {
  const m = err instanceof Error ? err.message : String(err)
  return m.split('\n')[0]
}
