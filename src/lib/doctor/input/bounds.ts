/**
 * Bounds on what doctor reads, so that a hostile or broken input ends as an input error, never as a hang, a stack
 * overflow or a silent "clean": input size, YAML alias expansion (an alias bomb turns a few hundred bytes into
 * billions of values for whoever walks them) and self-referencing aliases (a cycle), and nesting depth.
 */

/** Largest input read (a file, or stdin); a 50 MB `kubectl get pods -A -o yaml` fits comfortably. */
export const MAX_INPUT_BYTES = 256 * 1024 * 1024

/** Values a document may expand to through aliases: beyond 10× its own values and 100,000 in all, it is refused. */
export const ALIAS_EXPANSION_FACTOR = 10
export const ALIAS_EXPANSION_FLOOR = 100_000

/** The `yaml` package's own alias limit, wherever doctor uses it. */
export const MAX_ALIAS_COUNT = 100

/** Nesting of values doctor walks (Lists in Lists, deep objects). */
export const MAX_DEPTH = 64

/** Whether YAML text may hold an alias (`*name` after a separator); cheap, so the walk below runs only then. */
export function mayHaveAliases(text: string): boolean {
  return text.includes('*') && text.includes('&') && /(?:^|[\s[{,:-])\*[^\s,\]}]/m.test(text)
}

export type AliasProblem = 'cycle' | 'depth' | 'expansion'

/**
 * Walk a parsed value as a graph (shared objects counted once, memoised) and tell whether expanding it as a tree
 * would exceed the budget, whether it refers to itself, or nests deeper than MAX_DEPTH. Linear in distinct values.
 */
export function aliasProblem(value: unknown): AliasProblem | null {
  const size = new Map<object, number>()
  const open = new Set<object>()
  let distinct = 0
  let problem: AliasProblem | null = null
  const walk = (v: unknown, depth: number): number => {
    if (problem || v === null || typeof v !== 'object') return 1
    const known = size.get(v)
    if (known !== undefined) return known
    if (open.has(v)) {
      problem = 'cycle'
      return 1
    }

    if (depth > MAX_DEPTH) {
      problem = 'depth'
      return 1
    }

    open.add(v)
    distinct++
    let n = 1
    for (const x of Array.isArray(v) ? v : Object.values(v)) n += walk(x, depth + 1)
    open.delete(v)
    size.set(v, n)
    return n
  }

  const total = walk(value, 0)
  if (problem) return problem
  return total > Math.max(ALIAS_EXPANSION_FLOOR, ALIAS_EXPANSION_FACTOR * distinct) ? 'expansion' : null
}

export function aliasMessage(p: AliasProblem): string {
  if (p === 'cycle') return 'a YAML alias refers to the node that contains it (a cycle); doctor cannot check it'
  if (p === 'depth') return `values nest deeper than ${MAX_DEPTH} levels; doctor does not check it`
  return `YAML aliases expand it to more than ${ALIAS_EXPANSION_FACTOR}× its size (an alias bomb?); doctor does not check it`
}

/** The value's problem, only when its text may hold aliases (the walk is skipped for the usual manifest). */
export function boundedYamlValue(text: string, value: unknown): AliasProblem | null {
  return mayHaveAliases(text) ? aliasProblem(value) : null
}
