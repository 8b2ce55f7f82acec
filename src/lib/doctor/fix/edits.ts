/**
 * Text edits on a YAML source, located through the `yaml` package's nodes (their `range`s are offsets in the source).
 * Everything outside an edit's span stays byte for byte: comments, key order, quoting, blank lines, other documents.
 * Block-style collections only; an edit inside flow style (`[…]`, `{…}`, JSON) is refused with a reason, and the
 * finding is listed as not fixed.
 */
import {isCollection, isPair, isScalar, type Node, type Pair, type YAMLMap, type YAMLSeq} from 'yaml'

export interface Edit {
  from: number
  /** What replaces [from, to). */
  insert: string
  to: number
}

/** Why an edit could not be made (the finding stays, listed with this reason). */
export class CannotEdit extends Error {}

function lineStart(text: string, at: number): number {
  return text.lastIndexOf('\n', at - 1) + 1
}

/** The offset after the newline ending the line that holds `at` (or the end of the text). */
function lineEndAfter(text: string, at: number): number {
  const nl = text.indexOf('\n', at)
  return nl === -1 ? text.length : nl + 1
}

/** The last offset holding content (not whitespace) before `end`. */
function lastContent(text: string, end: number): number {
  let i = end - 1
  while (i > 0 && /\s/.test(text[i])) i--
  return i
}

function range(n: Node): [number, number, number] {
  if (!n.range) throw new CannotEdit('no position for this node')
  return n.range
}

function block(n: Node | null | undefined, what: string): void {
  if (isCollection(n) && n.flow) throw new CannotEdit(`${what} is written in flow style ([…], {…} or JSON)`)
}

/** The column of a node's first character. */
export function columnOf(text: string, n: Node): number {
  const s = range(n)[0]
  return s - lineStart(text, s)
}

/** The `-` that opens item `i` of a block sequence (it may sit on the line before the item's content). */
function dashOf(text: string, item: Node): number {
  let i = range(item)[0] - 1
  while (i >= 0 && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i--
  if (text[i] !== '-') throw new CannotEdit('sequence item without its dash in view')
  return i
}

/** Remove items of a block sequence, whole lines each (the dash's line to the item's end). */
export function removeItems(text: string, seq: YAMLSeq, indexes: number[]): Edit[] {
  block(seq, 'the list')
  const out: Edit[] = []
  for (const i of indexes) {
    const item = seq.items[i] as Node
    const dash = dashOf(text, item)
    const ls = lineStart(text, dash)
    if (/\S/.test(text.slice(ls, dash))) throw new CannotEdit('the list item does not start its line')
    out.push({from: ls, insert: '', to: lineEndAfter(text, lastContent(text, range(item)[1]))})
  }

  return out
}

/** The pair of `key` in a map (or undefined). */
export function pairOf(map: YAMLMap, key: string): Pair<Node, Node> | undefined {
  return map.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === key) as Pair<Node, Node> | undefined
}

/**
 * Remove `key: value` from a block map: its lines when the key starts its line; else (the first key of a list item,
 * `- volumeMounts:`) the value becomes `[]`, which keeps the item.
 */
export function removePair(text: string, map: YAMLMap, key: string): Edit[] {
  block(map, 'the mapping')
  const p = pairOf(map, key)
  if (!p) return []
  const k = range(p.key as Node)
  const ls = lineStart(text, k[0])
  const end = p.value ? range(p.value)[1] : k[1]
  if (!/\S/.test(text.slice(ls, k[0])))
    return [{from: ls, insert: '', to: lineEndAfter(text, lastContent(text, Math.max(end, k[1] + 1)))}]
  if (!p.value) throw new CannotEdit(`${key} has no value`)
  const v = range(p.value)
  const colon = text.indexOf(':', k[1])
  // up to the value's last line break, which stays (CRLF as well), or to the end of a text without one
  const stop = lineEndAfter(text, lastContent(text, v[1]))
  const to = text[stop - 1] === '\n' ? stop - (text[stop - 2] === '\r' ? 2 : 1) : stop
  return [{from: colon + 1, insert: ' []', to}]
}

/** Replace a scalar's source (quotes included) with `insert`. */
export function replaceScalar(node: Node | null | undefined, insert: string): Edit {
  if (!isScalar(node)) throw new CannotEdit('the value is not a plain value')
  const r = range(node)
  return {from: r[0], insert, to: r[1]}
}

/**
 * Append lines to a block sequence (after its last item), each line indented like the sequence's dashes. `items` are
 * YAML fragments of one item each, written as if the dash sat at column 0.
 */
export function appendItems(text: string, seq: YAMLSeq, items: string[]): Edit {
  block(seq, 'the list')
  if (seq.items.length === 0) throw new CannotEdit('the list is empty')
  const last = seq.items.at(-1) as Node
  const dash = dashOf(text, last)
  const indent = text.slice(lineStart(text, dash), dash)
  const at = lineEndAfter(text, lastContent(text, range(last)[1]))
  const nl = at === text.length && !text.endsWith('\n') ? '\n' : ''
  return {from: at, insert: nl + items.map((i) => indentLines(i, indent)).join(''), to: at}
}

/** Add `key:` with a block value (YAML lines written at column 0) at the end of a block map. */
export function appendPair(text: string, map: YAMLMap, fragment: string): Edit {
  block(map, 'the mapping')
  if (map.items.length === 0) throw new CannotEdit('the mapping is empty')
  const first = map.items[0] as Pair<Node, Node>
  const indent = ' '.repeat(columnOf(text, first.key as Node))
  const last = map.items.at(-1) as Pair<Node, Node>
  const end = range((last.value ?? last.key) as Node)[1]
  const at = lineEndAfter(text, lastContent(text, end))
  const nl = at === text.length && !text.endsWith('\n') ? '\n' : ''
  return {from: at, insert: nl + indentLines(fragment, indent), to: at}
}

function indentLines(fragment: string, indent: string): string {
  return fragment
    .trimEnd()
    .split('\n')
    .map((l) => indent + l + '\n')
    .join('')
}

/**
 * The edits with their inserted lines ending like the text's: a file written with CRLF line breaks (its first line
 * ends so) gets CRLF in the lines --fix adds, not a mix of both.
 */
export function withEolOf(text: string, edits: Edit[]): Edit[] {
  const nl = text.indexOf('\n')
  if (nl <= 0 || text[nl - 1] !== '\r') return edits
  return edits.map((e) => ({...e, insert: e.insert.replaceAll(/\r?\n/g, '\r\n')}))
}

/** Apply edits (non-overlapping; identical ones merged). */
export function applyEdits(text: string, edits: Edit[]): string {
  const sorted = sortEdits(edits)
  let out = ''
  let at = 0
  for (const e of sorted) {
    out += text.slice(at, e.from) + e.insert
    at = e.to
  }

  return out + text.slice(at)
}

/** Sorted, duplicates dropped; an edit inside another removal is dropped; other overlaps are refused. */
export function sortEdits(edits: Edit[]): Edit[] {
  // at one offset, insertions come before a removal starting there (they belong before its text, not in it)
  const sorted = [...edits].sort(
    (a, b) => a.from - b.from || Number(a.from !== a.to) - Number(b.from !== b.to) || b.to - a.to,
  )
  const out: Edit[] = []
  for (const e of sorted) {
    const prev = out.at(-1)
    if (prev && e.from < prev.to) {
      if (e.to <= prev.to && prev.insert === '') continue // inside a span already removed
      if (e.from === prev.from && e.to === prev.to && e.insert === prev.insert) continue
      throw new CannotEdit('two fixes touch the same text')
    }

    if (prev && e.from === prev.to && e.from === e.to && prev.from === prev.to) {
      // two insertions at one place: keep both, in order
      out[out.length - 1] = {from: prev.from, insert: prev.insert + e.insert, to: prev.to}
      continue
    }

    out.push(e)
  }

  return out
}
