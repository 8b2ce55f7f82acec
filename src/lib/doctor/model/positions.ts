/**
 * Exact lines for the readers of compose and CI files: the document is parsed a second time with the `yaml` package
 * (positions, aliases and `<<` merge keys), and a path of keys and indexes gives the line of that key or item.
 * Only those small files pay for it; Kubernetes manifests keep the fast parse and the lazy `key: value` search.
 */
import type {Document, LineCounter, Node} from 'yaml'

import type {Needle} from '../types.js'

type Yaml = typeof import('yaml')

/**
 * Whether a pair's key is the YAML merge key: parsed with merge: true, the yaml package gives a plain `<<` key the
 * value Symbol(<<) (a quoted "<<" is an ordinary key).
 */
export function isMergeKey(key: unknown): boolean {
  const v = (key as null | {value?: unknown})?.value
  return typeof v === 'symbol' && v.description === '<<'
}

export type Path = readonly (number | string)[]

export class Positions {
  constructor(
    private readonly y: Yaml,
    private readonly doc: Document,
    private readonly lc: LineCounter,
    /** File line of the document text's first line. */
    private readonly firstLine: number,
  ) {}

  /** `line(path)` as a locate hint, or the fallback when the path is not written out (merged, defaulted). */
  at(path: Path, fallback: Needle[] = []): Needle[] {
    const l = this.line(path)
    return l === null ? fallback : [{line: l}]
  }

  /** The file line of the key (in a mapping) or the item (in a sequence) at `path`; null when not found. */
  line(path: Path): null | number {
    const found = this.find(path)
    const offset = found?.range?.[0]
    return offset === undefined ? null : this.firstLine + this.lc.linePos(offset).line - 1
  }

  private deref(node: unknown): unknown {
    let n = node
    for (let i = 0; i < 16 && this.y.isAlias(n); i++) n = n.resolve(this.doc)
    return n
  }

  /** The node holding the last step of the path (a mapping's key node, or a sequence item), following aliases and `<<`. */
  private find(path: Path): null | {range?: null | readonly number[]} {
    const {y} = this
    let node: unknown = this.doc.contents
    let last: null | {range?: null | readonly number[]} = null
    for (const step of path) {
      node = this.deref(node)
      if (y.isMap(node)) {
        const pair = this.pairOf(node, String(step), 0)
        if (!pair) return null
        last = y.isNode(pair.key) ? (pair.key as Node) : null
        node = pair.value
      } else if (y.isSeq(node) && typeof step === 'number') {
        const item = node.items[step]
        if (item === undefined) return null
        last = y.isNode(item) ? (item as Node) : null
        node = item
      } else return null
    }

    return last
  }

  /** The pair for `key` in a mapping, else in the mappings its `<<` merge keys bring in. */
  private pairOf(
    map: {items: {key: unknown; value: unknown}[]},
    key: string,
    depth: number,
  ): null | {key: unknown; value: unknown} {
    const {y} = this
    const keyOf = (p: {key: unknown}) => (y.isScalar(p.key) && !isMergeKey(p.key) ? String(p.key.value) : null)
    const own = map.items.find((p) => keyOf(p) === key)
    if (own) return own
    if (depth > 8) return null
    for (const p of map.items) {
      if (!isMergeKey(p.key)) continue
      const v = this.deref(p.value)
      const sources = y.isSeq(v) ? v.items.map((x) => this.deref(x)) : [v]
      for (const s of sources) {
        if (!y.isMap(s)) continue
        const found = this.pairOf(s, key, depth + 1)
        if (found) return found
      }
    }

    return null
  }
}

/** Parse a document's text for positions (where the `yaml` package disagrees with js-yaml, lookups find less). */
export async function positionsOf(text: string, firstLine: number): Promise<Positions> {
  const y = await import('yaml')
  const lc = new y.LineCounter()
  const doc = y.parseDocument(text, {lineCounter: lc, merge: true, prettyErrors: false, uniqueKeys: false})
  return new Positions(y, doc, lc, firstLine)
}
