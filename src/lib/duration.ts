/** Durations: parsed from flags and settings (90s, 2m), and in results and messages to the hundredth at most. */
import {FabError} from './errors.js'

/** Seconds since `t0` (from process.hrtime.bigint()), to the hundredth. */
export function secondsSince(t0: bigint): number {
  return Math.round(Number(process.hrtime.bigint() - t0) / 1e7) / 100
}

/** The longest setTimeout waits (2^31 - 1 ms, about 24.8 days); a longer one fires at once. */
const MAX_TIMER_MS = 2 ** 31 - 1

/** "2m", "90s", "1h", "500ms" or a plain number of seconds → milliseconds; `flag` names it in the error. */
export function parseDuration(s: string, flag = '--timeout'): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(s.trim())
  if (!m) throw new FabError('USAGE', `${flag}: "${s}" is not a duration (e.g. 90s, 2m, 120)`)
  const n = Number(m[1])
  const unit = m[2] ?? 's'
  const ms = unit === 'ms' ? n : unit === 's' ? n * 1000 : unit === 'm' ? n * 60_000 : n * 3_600_000
  if (ms <= 0) throw new FabError('USAGE', `${flag}: must be more than 0`)
  if (ms > MAX_TIMER_MS) throw new FabError('USAGE', `${flag}: "${s}" is more than 24 days, the longest a timer can wait`)
  return ms
}
