/**
 * Where a run's time goes: milestones in milliseconds since the process started (performance.now() counts from the
 * process's time origin, so process start and module loading are included), with the CPU time the process had used
 * by then (on a busy machine, wall time waits for a CPU; CPU time says what the process itself spent).
 * `register --verbose` prints them and `--json --verbose` returns them; bench/lifecycle.js shows them as its breakdown.
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

export class Timeline {
  readonly marks: Mark[] = []

  mark(step: string): void {
    const {system, user} = process.cpuUsage()
    this.marks.push({cpu: Math.round((user + system) / 100) / 10, ms: Math.round(performance.now() * 10) / 10, step})
  }
}
