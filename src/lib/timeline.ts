/**
 * Where a run's time goes: milestones in milliseconds since the process started (performance.now() counts from the
 * process's time origin, so process start and module loading are included), with the CPU time the process had used
 * by then (on a busy machine, wall time waits for a CPU; CPU time says what the process itself spent).
 * `register --verbose` prints them and `--json --verbose` returns them; bench/lifecycle.js shows them as its breakdown.
 *
 * A timeline begins with the start-up marks (markStartup: Node ready to run the CLI's first line, the CLI's code
 * loaded, the command parsed, fabk8s.yaml read), so that the time before the command's own work is split too.
 */
export interface Mark {
  /** CPU time (user + system) used by the process so far, in ms. */
  cpu: number
  ms: number
  step: string
}

/** One line per mark, with the time since the previous one. */
export function timelineLines(marks: Mark[]): string[] {
  return marks.map(
    (m, i) =>
      `${m.ms.toFixed(0).padStart(6)} ms  (+${(m.ms - (marks[i - 1]?.ms ?? 0)).toFixed(0).padStart(4)}, cpu ${m.cpu.toFixed(0).padStart(4)})  ${m.step}`,
  )
}

/**
 * Start-up marks, on process.uptime()'s clock: reading `performance` loads Node's perf_hooks (≈ 1 ms), which a
 * command that keeps no timeline should not pay for. A Timeline puts them on its own clock.
 */
const STARTUP: {cpu: number; step: string; uptime: number}[] = []

/**
 * Note a start-up milestone, now or at `at` (taken earlier with process.cpuUsage() and process.uptime()): bin/run.js
 * notes its first line and the CLI's code loaded, BaseCommand the command parsed and fabk8s.yaml read.
 */
export function markStartup(step: string, at?: {cpu: NodeJS.CpuUsage; uptime: number}): void {
  const {system, user} = at?.cpu ?? process.cpuUsage()
  STARTUP.push({cpu: (user + system) / 1000, step, uptime: at?.uptime ?? process.uptime()})
}

const round = (ms: number) => Math.round(ms * 10) / 10

export class Timeline {
  readonly marks: Mark[]

  constructor() {
    // process.uptime() and performance.now() start at about the same moment; the offset between them, now, puts
    // the start-up marks on performance.now()'s clock exactly
    const offset = process.uptime() * 1000 - performance.now()
    this.marks = STARTUP.map((m) => ({cpu: round(m.cpu), ms: round(m.uptime * 1000 - offset), step: m.step}))
  }

  mark(step: string): void {
    const {system, user} = process.cpuUsage()
    this.marks.push({cpu: round((user + system) / 1000), ms: round(performance.now()), step})
  }
}
