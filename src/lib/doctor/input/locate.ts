/**
 * Line numbers, found lazily: documents are parsed with js-yaml (fast, no positions); only when a finding exists do
 * we search the document's text for the `key: value` hints the rule gave (block or flow style, quoted or not),
 * each hint searched after the previous one. Cheap, and exact for the usual one-key-per-line manifests. Readers that
 * know positions (compose and CI files) give exact lines instead; key hints after a line are searched from there.
 */
import type {Needle} from '../types.js'
import type {InBase} from './fast-yaml.js'

export interface DocText {
  /** Where text lies in the whole text it was cut from: the reader reads it there (fast-yaml.ts fastLoad). */
  from?: InBase
  /** 1-based line of text[0] in the file. */
  line: number
  text: string
}

function esc(s: string): string {
  return s.replaceAll(/[.*+?^${}()|[\]\\]/g, String.raw`\$&`)
}

const cache = new Map<string, RegExp>()

/** What must follow a key for it to match: optional closing quote, `:`, and the value when one is given (sticky). */
function tailRe(n: {key: string; value?: string}): RegExp {
  const k = n.value ?? '\u0001'
  let re = cache.get(k)
  if (!re) {
    const val = n.value === undefined ? '' : String.raw`[ \t]*["']?${esc(n.value)}["']?[ \t]*(?=$|[,}\]#\r\n])`
    re = new RegExp(String.raw`["']?[ \t]*:` + val, 'y')
    if (cache.size > 5000) cache.clear()
    cache.set(k, re)
  }

  return re
}

const SEPARATOR = new Set([' ', '\t', '\n', '\r', ',', '-', '{'])

/**
 * Offset of the first `key: value` at or after `from` (block or flow style, quoted or not), or -1. Candidates are
 * found with indexOf (fast on large texts), then checked: a separator (or the start) before the key, an optional
 * quote around it, then `:` and the value.
 */
export function findNeedle(text: string, n: {key: string; value?: string}, from = 0): number {
  const tail = tailRe(n)
  for (let i = text.indexOf(n.key, from); i !== -1; i = text.indexOf(n.key, i + 1)) {
    let b = i - 1
    const quoted = b >= 0 && (text[b] === '"' || text[b] === "'")
    if (quoted) b--
    if (b >= 0 && !SEPARATOR.has(text[b])) continue
    tail.lastIndex = i + n.key.length
    if (tail.test(text)) return quoted ? i - 1 : i
  }

  return -1
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
  // a small document: count up to the offset (cheaper than indexing all of it for one or two findings)
  if (doc.text.length < 16_384) {
    let n = 0
    for (let i = doc.text.indexOf('\n'); i !== -1 && i < offset; i = doc.text.indexOf('\n', i + 1)) n++
    return n
  }

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
    let p = n.key === undefined ? offsetOfLine(doc, n.line) : findNeedle(doc.text, n, at)
    if (p !== -1 && n.item) p = itemStart(doc.text, p)
    if (p !== -1) {
      pos = p
      at = p + 1
    }
  }

  if (pos === -1) pos = firstContent(doc.text, from)
  return doc.line + lineAt(doc, pos)
}

/**
 * The start of the block-sequence item (`- …`) or JSON object (`{`) whose key sits at `p`: keys in such an item may
 * come before the one found (kubectl sorts keys: a container's `env` comes before its `name`). The key's own line
 * when it starts the item; else the first line above with less indentation, when that line opens the item.
 */
export function itemStart(text: string, p: number): number {
  const ls = text.lastIndexOf('\n', p - 1) + 1
  const prefix = text.slice(ls, p)
  if (/^[ \t]*-/.test(prefix) || prefix.includes('{')) return ls
  const indent = prefix.length - prefix.trimStart().length
  let end = ls - 1
  while (end > 0) {
    const start = text.lastIndexOf('\n', end - 1) + 1
    const line = text.slice(start, end)
    const body = line.trimStart()
    if (body !== '' && !body.startsWith('#') && line.length - body.length < indent)
      return body.startsWith('-') || body.startsWith('{') ? start : p

    end = start - 1
  }

  return p
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
