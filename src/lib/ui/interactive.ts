/** Whether a person is at a terminal who can answer a prompt. Never in CI, never with --json, never without a TTY. */
export function isInteractive(opts: {json?: boolean} = {}): boolean {
  if (opts.json) return false
  if (isCI()) return false
  return Boolean(process.stdin.isTTY && process.stdout.isTTY)
}

export function isCI(): boolean {
  const ci = process.env.CI
  return Boolean(ci && ci !== 'false' && ci !== '0')
}
