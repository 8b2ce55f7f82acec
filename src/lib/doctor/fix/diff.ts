/**
 * A unified diff (`diff -u` format, 3 lines of context) made from the edits themselves: each edit widened to whole
 * lines, neighbouring ones joined into hunks. No general diff algorithm is needed, since the edits say what changed.
 */
import {applyEdits, type Edit, sortEdits} from './edits.js'

interface Change {
  /** Old lines [a, b) (0-based). */
  a: number
  b: number
  /** The new lines replacing them. */
  lines: string[]
}

function splitLines(s: string): string[] {
  if (s === '') return []
  const out = s.split('\n')
  if (out.at(-1) === '') out.pop()
  return out
}

function lineIndex(text: string, at: number): number {
  let n = 0
  for (let i = text.indexOf('\n'); i !== -1 && i < at; i = text.indexOf('\n', i + 1)) n++
  return n
}

export function unifiedDiff(text: string, edits: Edit[], oldName: string, newName: string): string {
  const sorted = sortEdits(edits)
  if (sorted.length === 0) return ''
  const starts: number[] = [0]
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1)
  const oldLines = splitLines(text)
  const startOf = (l: number) => (l < starts.length ? starts[l] : text.length)

  // each edit as whole old lines [a, b) and what they become; overlapping line spans are merged
  const groups: {a: number; b: number; edits: Edit[]}[] = []
  for (const e of sorted) {
    const a = lineIndex(text, e.from)
    const pureInsertAtLineStart = e.from === e.to && e.from === startOf(a)
    const b = pureInsertAtLineStart ? a : lineIndex(text, Math.max(e.from, e.to - 1)) + 1
    const g = groups.at(-1)
    if (g && a < g.b) {
      g.b = Math.max(g.b, b)
      g.edits.push(e)
    } else groups.push({a, b, edits: [e]})
  }

  const changes: Change[] = groups.map((g) => {
    const from = startOf(g.a)
    const to = Math.min(startOf(g.b), text.length)
    const local = g.edits.map((e) => ({...e, from: e.from - from, to: e.to - from}))
    return {a: g.a, b: g.b, lines: splitLines(applyEdits(text.slice(from, to), local))}
  })

  const newText = applyEdits(text, edits)
  const C = 3
  const out: string[] = [`--- ${oldName}`, `+++ ${newName}`]
  let i = 0
  let shift = 0 // new line number minus old line number before the current change
  while (i < changes.length) {
    let j = i
    while (j + 1 < changes.length && changes[j + 1].a - changes[j].b <= 2 * C) j++
    const a0 = Math.max(0, changes[i].a - C)
    const b0 = Math.min(oldLines.length, changes[j].b + C)
    const body: string[] = []
    let oldCount = 0
    let newCount = 0
    let pos = a0
    let localShift = 0
    for (let k = i; k <= j; k++) {
      const ch = changes[k]
      for (; pos < ch.a; pos++, oldCount++, newCount++) body.push(' ' + oldLines[pos])
      for (let l = ch.a; l < ch.b; l++, oldCount++) body.push('-' + oldLines[l])
      for (const l of ch.lines) body.push('+' + l)
      newCount += ch.lines.length
      localShift += ch.lines.length - (ch.b - ch.a)
      pos = ch.b
    }

    for (; pos < b0; pos++, oldCount++, newCount++) body.push(' ' + oldLines[pos])
    if (b0 === oldLines.length) noNewlineMarks(body, !text.endsWith('\n'), !newText.endsWith('\n'))
    const oldStart = oldCount === 0 ? a0 : a0 + 1
    const newStart = newCount === 0 ? a0 + shift : a0 + shift + 1
    out.push(`@@ -${oldStart},${oldCount} +${newStart},${newCount} @@`, ...body)
    shift += localShift
    i = j + 1
  }

  return out.join('\n') + '\n'
}

/** `\\ No newline at end of file` after the last old and/or new line of the file's final hunk, as diff -u writes it. */
function noNewlineMarks(body: string[], oldNoNl: boolean, newNoNl: boolean): void {
  const MARK = String.raw`\ No newline at end of file`
  const lastOf = (sides: string): number => body.findLastIndex((l) => sides.includes(l[0]))
  const o = oldNoNl ? lastOf(' -') : -1
  const n = newNoNl ? lastOf(' +') : -1
  for (const i of [...new Set([n, o])].filter((i) => i >= 0).sort((a, b) => b - a)) body.splice(i + 1, 0, MARK)
}
