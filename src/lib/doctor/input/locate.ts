/**
 * Line numbers, found lazily: documents are parsed with js-yaml (fast, no positions); only when a finding exists do
 * we search the document's text for the `key: value` hints the rule gave (block or flow style, quoted or not),
 * each hint searched after the previous one. Cheap, and exact for the usual one-key-per-line manifests. Readers that
 * know positions (compose and CI files) give exact lines instead; key hints after a line are searched from there.
 */
import type {Needle} from '../types.js'

export interface DocText {
  /** 1-based line of text[0] in the file. */
  line: number
  text: string
}

function esc(s: string): string {
  return s.replaceAll(/[.*+?^${}()|[\]\\]/g, String.raw`\$&`)
}

const cache = new Map<string, RegExp>()

function needleRe(n: {key: string; value?: string}): RegExp {
  const k = `${n.key}\u0000${n.value ?? '\u0001'}`
  let re = cache.get(k)
  if (!re) {
    const key = String.raw`(?:^|[\s{,\-])["']?${esc(n.key)}["']?[ \t]*:`
    const val = n.value === undefined ? '' : String.raw`[ \t]*["']?${esc(n.value)}["']?[ \t]*(?=$|[,}\]#\r\n])`
    re = new RegExp(key + val, 'gm')
    if (cache.size > 5000) cache.clear()
    cache.set(k, re)
  }

  return re
}

/** Offset of the first needle match at or after `from`, or -1. */
export function findNeedle(text: string, n: {key: string; value?: string}, from = 0): number {
  const re = needleRe(n)
  re.lastIndex = from
  const m = re.exec(text)
  if (!m) return -1
  // point at the key, not at the separator before it
  const lead = /^[\s{,-]*/.exec(m[0])![0].length
  return m.index + lead
}

/** Offsets of every newline of a document, built on its first lookup (then each lookup is a binary search). */
const newlines = new WeakMap<DocText, number[]>()

function newlineIndex(doc: DocText): number[] {
  let nl = newlines.get(doc)
  if (!nl) {
    nl = []
    for (let i = doc.text.indexOf('\n'); i !== -1; i = doc.text.indexOf('\n', i + 1)) nl.push(i)
    newlines.set(doc, nl)
  }

  return nl
}

function lineAt(doc: DocText, offset: number): number {
  const nl = newlineIndex(doc)

  // number of newlines before offset
  let lo = 0
  let hi = nl.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (nl[mid] < offset) lo = mid + 1
    else hi = mid
  }

  return lo
}

/** The line of the last needle found in order; the document's first content line when none is found. */
export function locate(doc: DocText, needles: Needle[] = [], from = 0): number {
  let pos = -1
  let at = from
  for (const n of needles) {
    const p = n.key === undefined ? offsetOfLine(doc, n.line) : findNeedle(doc.text, n, at)
    if (p !== -1) {
      pos = p
      at = p + 1
    }
  }

  if (pos === -1) pos = firstContent(doc.text, from)
  return doc.line + lineAt(doc, pos)
}

/** Offset in doc.text where file line `line` starts, or -1 outside the document. */
function offsetOfLine(doc: DocText, line: number): number {
  const k = line - doc.line
  if (k === 0) return 0
  const nl = newlineIndex(doc)
  return k < 0 || k > nl.length ? -1 : nl[k - 1] + 1
}

/** Offset of the first line that is not blank, a comment or a `---` marker. */
export function firstContent(text: string, from = 0): number {
  const re = /^(?![ \t]*(?:#|$)|---[ \t]*(?:#.*)?$)/gm
  re.lastIndex = from
  const m = re.exec(text)
  return m ? m.index : from
}
