/** "did you mean …?": the valid word nearest to a misspelt one (edit distance), when it is near enough. */

function distance(a: string, b: string): number {
  const prev = Array.from({length: b.length + 1}, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]
    prev[0] = i
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1))
      diag = up
    }
  }

  return prev[b.length]
}

/** The nearest of `valid` to `word` (case-insensitive), or null when every one is more than a third different. */
export function nearest(word: string, valid: readonly string[]): null | string {
  let best: null | string = null
  let bestD = Infinity
  for (const v of valid) {
    const d = distance(word.toLowerCase(), v.toLowerCase())
    if (d < bestD) {
      best = v
      bestD = d
    }
  }

  return best !== null && bestD <= Math.max(1, Math.ceil(Math.max(word.length, best.length) / 3)) ? best : null
}
