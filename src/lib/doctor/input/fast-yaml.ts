/**
 * A fast loader for the block-style YAML that Kubernetes manifests are written in, returning exactly what
 * `jsyaml.load(text, {json: true, schema: K8S_SCHEMA})` (js-yaml 4, core schema plus merge) returns: the same values,
 * the same key order, the same typing of plain scalars (they are resolved by js-yaml's own core-schema types, in its
 * order: null, bool, int, float). It reads the text line by line with indexOf/charCodeAt and no per-character
 * regular expressions: about three times faster than js-yaml on manifests.
 *
 * The subset: block mappings and block sequences indented with spaces (sequences at their key's indentation too,
 * compact `- key: v` and `- - x` entries); plain, single-quoted and double-quoted one-line scalars (double-quoted
 * escapes as js-yaml reads them, except `\U` and line continuations); literal and folded block scalars (`|`, `>`,
 * chomping and indentation indicators, ported from js-yaml's reader); one-line flow collections (`{}`, `[a, "b"]`,
 * `{path: /healthz, port: http}`, nested); comments; a leading `---` line (with an optional comment).
 *
 * The give-up rule: anything outside that subset, or anything this reader is not sure js-yaml reads the same way,
 * returns GIVE_UP and the caller parses the document with js-yaml. That covers tabs (outside comment lines), `\r`, a
 * BOM, non-printable and control characters, anchors, aliases, tags, `<<` and `__proto__` keys, `?` complex keys,
 * directives, `---` or `...` lines after the start, content on the `---` line, multi-line plain or quoted scalars,
 * multi-line flow collections, `key: a: b`, a scalar alone on the line below its key, bad indentation of any kind,
 * empty flow entries and nesting deeper than MAX_DEPTH. A document js-yaml rejects is never accepted: every construct
 * read here is one js-yaml reads the same way, and any doubt gives up.
 */
/* eslint-disable unicorn/prefer-code-point -- YAML is read in UTF-16 code units, as js-yaml does (NaN past the end) */
import {CORE_SCHEMA} from 'js-yaml'

/** Returned by fastLoad when the document is outside the subset: parse it with js-yaml instead. */
export const GIVE_UP: unique symbol = Symbol('fastLoad: give up')

interface ImplicitType {
  construct(data: string): unknown
  resolve(data: string): boolean
  tag: string
}

/**
 * The implicit types js-yaml tries on a plain scalar, in its order (composeNode): the core schema's. K8S_SCHEMA adds
 * merge, which only a `<<` key resolves to, and this reader gives up on a `<<` key.
 */
const IMPLICIT = (CORE_SCHEMA as unknown as {compiledImplicit: ImplicitType[]}).compiledImplicit
/** Typing is only the same by construction when the implicit types are the four of the core schema. */
const ENABLED =
  IMPLICIT.length === 4 &&
  ['null', 'bool', 'int', 'float'].every((t, i) => IMPLICIT[i].tag === `tag:yaml.org,2002:${t}`)

/** null and bool: the only implicit types a plain scalar starting with a letter or `~` can match. */
const WORD_TYPES = IMPLICIT.slice(0, 2)

/** Nesting (collections inside collections) beyond this gives up, well below js-yaml's maxDepth of 100. */
const MAX_DEPTH = 40

const NL = 10
const SP = 32
const BANG = 33
const DQUOTE = 34
const HASH = 35
const PERCENT = 37
const AMP = 38
const SQUOTE = 39
const STAR = 42
const PLUS = 43
const COMMA = 44
const DASH = 45
const DOT = 46
const COLON = 58
const GT = 62
const QUESTION = 63
const AT = 64
const LBRACKET = 91
const BACKSLASH = 92
const RBRACKET = 93
const BACKTICK = 96
const LBRACE = 123
const PIPE = 124
const RBRACE = 125

/** Characters a plain scalar cannot start with (js-yaml readPlainScalar), plus `?` (given up). */
const BAD_START = new Uint8Array(128)
for (const c of [
  NL,
  SP,
  COMMA,
  LBRACKET,
  RBRACKET,
  LBRACE,
  RBRACE,
  HASH,
  AMP,
  STAR,
  BANG,
  PIPE,
  GT,
  SQUOTE,
  DQUOTE,
  PERCENT,
  AT,
  BACKTICK,
  QUESTION,
])
  BAD_START[c] = 1

/** Characters that may end a plain scalar in a flow collection. */
const FLOW_STOP = new Uint8Array(128)
for (const c of [NL, COLON, HASH, COMMA, LBRACKET, RBRACKET, LBRACE, RBRACE]) FLOW_STOP[c] = 1

/**
 * First characters of a plain scalar that an implicit type could resolve: 1 for `~ n N t T f F` (only null and bool
 * can: int and float need a sign, a digit or a dot first), 2 for `- + . 0-9 _` (all four are tried).
 */
const CANDIDATE = new Uint8Array(128)
for (const ch of '~nNtTfF') CANDIDATE[ch.charCodeAt(0)] = 1
for (const ch of '-+._0123456789') CANDIDATE[ch.charCodeAt(0)] = 2

/** js-yaml's one-character escapes in double-quoted scalars (simpleEscapeSequence). */
const ESCAPES: Record<number, string> = {
  9: '\t',
  32: ' ',
  34: '"',
  47: '/',
  48: '\0',
  76: '\u2028',
  78: '\u0085',
  80: '\u2029',
  92: '\\',
  95: '\u00A0',
  97: '\u0007',
  98: '\b',
  101: '\u001B',
  102: '\f',
  110: '\n',
  114: '\r',
  116: '\t',
  118: '\v',
}

/**
 * Characters that need a closer look: controls (tab and `\r` included), DEL and C1, Unicode line separators, BOM,
 * non-characters and surrogates. Only tabs inside comment lines and surrogates in valid pairs are read; the rest
 * give up.
 */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const SUSPECT = /[\u0000-\u0009\u000B-\u001F\u007F-\u009F\u2028\u2029\uD800-\uDFFF\uFEFF\uFFFE\uFFFF]/
// eslint-disable-next-line no-control-regex -- as above
const REFUSED = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u2028\u2029\uFEFF\uFFFE\uFFFF]/
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?:[^\uD800-\uDBFF]|^)[\uDC00-\uDFFF]/

const CHOMP_CLIP = 1
const CHOMP_STRIP = 2
const CHOMP_KEEP = 3

/** Why scanBlock stopped. */
const STOP_EOL = 0
const STOP_COLON = 1
const STOP_COMMENT = 2

/** Thrown inside the reader to give up (allocated once: throwing it costs no stack trace). */
const OUT = new Error('fast-yaml: outside the subset')

function out(): never {
  throw OUT
}

function isFlowIndicator(c: number): boolean {
  return c === COMMA || c === LBRACKET || c === RBRACKET || c === LBRACE || c === RBRACE
}

/** A plain scalar's value: js-yaml's implicit core types, tried in its order; a string when none resolves. */
function resolvePlain(v: string): unknown {
  const c = v.charCodeAt(0)
  const k = c < 128 ? CANDIDATE[c] : 0
  if (k === 0) return v
  for (const t of k === 1 ? WORD_TYPES : IMPLICIT) if (t.resolve(v)) return t.construct(v)
  return v
}

/** A mapping key as js-yaml stores it: the resolved plain scalar turned into a string (`1` → "1", `~` → "null"). */
function plainKey(k: string): string {
  const c = k.charCodeAt(0)
  if (c >= 128 || CANDIDATE[c] === 0) return k
  return String(resolvePlain(k))
}

const KEY_CACHE_SIZE = 4096
const FNV_PRIME = 16_777_619
/** Recent plain keys, in pairs by a hash of their text; '' marks an empty slot (a plain key is never empty). */
const KEY_CACHE: string[] = Array.from({length: KEY_CACHE_SIZE}, () => '')

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48
  const lc = c | 32
  return lc >= 97 && lc <= 102 ? lc - 87 : -1
}

/**
 * The reader. It keeps one content line current (blank and comment lines are skipped): its start, indentation, first
 * character and end. Block nodes consume whole lines and leave the next content line current.
 */
class Reader {
  /** The last block scalar header's chomping (CHOMP_*). */
  chomping = CHOMP_CLIP
  /** First non-space character of the current line. */
  cs = 0
  /** Collections open around the current position. */
  depth = 0
  /** Indentation of the current line; -1 at the end of the text. */
  ind = -1
  /** The last block scalar header's indentation indicator (0: none). */
  indentDigit = 0
  /** Why the last scanBlock stopped (STOP_*), and where (stopAt). */
  kind = STOP_EOL
  /** End of the current line (its `\n`). */
  le = 0
  /** Start of the current line. */
  ls = 0
  /** Position after the last quoted scalar or flow collection read. */
  pos = 0
  /** Where the last scanBlock or scanFlow stopped. */
  stopAt = 0
  /** Position after the `:` of the last key read. */
  vp = 0

  /**
   * The document is s[begin, end): s[end - 1] is a line break (s may go on with the next document). `dash`: where a
   * List item's `-` is, on the first line, read as a space (parse.ts splitList), or -1. `found`: the searches for `:`
   * and `#` in s (shared by the documents of one text, see WholeText).
   */
  constructor(
    readonly s: string,
    readonly begin: number,
    readonly end: number,
    readonly dash = -1,
    readonly found: Found = notFound(),
  ) {}

  /** A node starting a line of its own: sequence, mapping or one-line flow collection (scalars give up). */
  block(): unknown {
    const p = this.cs
    const c = this.s.charCodeAt(p)
    if (this.isEntry(p)) return this.sequence(this.ind, p)
    if (c === LBRACKET || c === LBRACE) return this.flowLine(p)
    return this.mapping(this.ind, p)
  }

  /**
   * A block scalar's header at p (`|` or `>`, then chomping and indentation indicators, spaces and a comment): sets
   * chomping and indentDigit (0 when none), returns the position of the line break that ends it.
   */
  blockHeader(p: number): number {
    const {s} = this
    this.chomping = CHOMP_CLIP
    this.indentDigit = 0
    let i = p
    let c: number
    for (;;) {
      c = s.charCodeAt(++i)
      if (c === PLUS || c === DASH) {
        if (this.chomping !== CHOMP_CLIP) out()
        this.chomping = c === PLUS ? CHOMP_KEEP : CHOMP_STRIP
      } else if (c >= 48 && c <= 57) {
        if (c === 48 || this.indentDigit > 0) out()
        this.indentDigit = c - 48
      } else break
    }

    if (c === SP) {
      do c = s.charCodeAt(++i)
      while (c === SP)
      if (c === HASH) return s.indexOf('\n', i)
    }

    if (c !== NL) out()
    return i
  }

  /**
   * A literal or folded block scalar whose header is at p, its content indented more than nodeIndent - 1: js-yaml's
   * readBlockScalar, step by step. The line that ends it becomes current.
   */
  blockScalar(p: number, nodeIndent: number): string {
    const {s} = this
    const folding = s.charCodeAt(p) === GT
    let i = this.blockHeader(p)
    const {chomping} = this
    let detected = this.indentDigit > 0
    let textIndent = detected ? nodeIndent + this.indentDigit - 1 : nodeIndent
    let emptyLines = 0
    let atMoreIndented = false
    let v = ''
    let didRead = false
    let lineStart: number
    for (;;) {
      lineStart = ++i
      let lineIndent = 0
      const limit = detected ? textIndent : Infinity
      let c = i < this.end ? s.charCodeAt(i) : Number.NaN // the document's end ends the scalar
      while (c === SP && lineIndent < limit) {
        lineIndent++
        c = s.charCodeAt(++i)
      }

      if (!detected && lineIndent > textIndent) textIndent = lineIndent
      if (c === NL) {
        emptyLines++
        continue
      }

      if (!detected && textIndent === 0) out()
      if (lineIndent < textIndent) {
        if (chomping === CHOMP_KEEP) v += '\n'.repeat(didRead ? 1 + emptyLines : emptyLines)
        else if (chomping === CHOMP_CLIP && didRead) v += '\n'
        break
      }

      if (!folding) v += '\n'.repeat(didRead ? 1 + emptyLines : emptyLines)
      else if (c === SP) {
        atMoreIndented = true
        v += '\n'.repeat(didRead ? 1 + emptyLines : emptyLines)
      } else if (atMoreIndented) {
        atMoreIndented = false
        v += '\n'.repeat(emptyLines + 1)
      } else if (emptyLines === 0) {
        if (didRead) v += ' '
      } else v += '\n'.repeat(emptyLines)
      didRead = true
      detected = true
      emptyLines = 0
      const e = s.indexOf('\n', i)
      v += s.slice(i, e)
      i = e
    }

    this.next(lineStart)
    return v
  }

  /** After a value ending at p: only spaces, then the end of the line or a comment after a space. */
  endLine(p: number): void {
    const {s} = this
    let j = p
    while (s.charCodeAt(j) === SP) j++
    const c = s.charCodeAt(j)
    if (c !== NL && (c !== HASH || j === p)) out()
  }

  /** The node after `- ` at q (a sequence at n): compact sequence or mapping, flow, block or one-line scalar. */
  entry(q: number, n: number): unknown {
    const {s} = this
    const c = s.charCodeAt(q)
    const col = q - this.ls
    if (this.isEntry(q)) return this.sequence(col, q)
    if (c === LBRACKET || c === LBRACE) return this.flowLine(q)
    if (c === PIPE || c === GT) return this.blockScalar(q, n + 1)
    if (c === DQUOTE || c === SQUOTE) {
      const v = this.quoted(q)
      let j = this.pos
      while (s.charCodeAt(j) === SP) j++
      if (s.charCodeAt(j) === COLON) return this.mapping(col, q)
      this.endLine(this.pos)
      this.next(this.le + 1)
      return v
    }

    this.plainStart(q, false)
    const end = this.scanBlock(q)
    if (this.kind === STOP_COLON) return this.mapping(col, q)
    const v = resolvePlain(s.slice(q, end))
    this.next(this.le + 1)
    return v
  }

  /** The escape sequence at i (a backslash) in a double-quoted scalar, as js-yaml reads it; sets pos past it. */
  escape(i: number): string {
    const {s} = this
    const e = s.charCodeAt(i + 1)
    const simple = ESCAPES[e]
    if (simple !== undefined) {
      this.pos = i + 2
      return simple
    }

    // \xHH and \uHHHH; \U, a line continuation and unknown escapes give up
    const len = e === 120 ? 2 : e === 117 ? 4 : out()
    let code = 0
    for (let k = i + 2; k < i + 2 + len; k++) {
      const h = hexValue(s.charCodeAt(k))
      if (h < 0) out()
      code = (code << 4) + h
    }

    this.pos = i + 2 + len
    return String.fromCharCode(code) // at most 0xFFFF, as js-yaml's charFromCodepoint gives it
  }

  /**
   * The first content line of a List item read in place: its first line with the `-` read as a space (blank or a
   * comment then, the next content line). No marker or directive can be there: the line starts with a space.
   */
  firstItemLine(): void {
    const {s} = this
    let i = this.begin
    while (s.charCodeAt(i) === SP || i === this.dash) i++
    const c = s.charCodeAt(i)
    if (c === NL || c === HASH) {
      this.next(s.indexOf('\n', i) + 1)
      return
    }

    this.ls = this.begin
    this.cs = i
    this.ind = i - this.begin
    this.le = s.indexOf('\n', i)
  }

  /** A flow collection at p that closes on the same line; sets pos past its closing bracket. */
  flow(p: number): unknown {
    if (++this.depth > MAX_DEPTH) out()
    const v = this.s.charCodeAt(p) === LBRACKET ? this.flowSequence(p) : this.flowMapping(p)
    this.depth--
    return v
  }

  /** A one-line flow collection at p, then the end of its line: the next content line becomes current. */
  flowLine(p: number): unknown {
    const v = this.flow(p)
    this.endLine(this.pos)
    this.next(this.le + 1)
    return v
  }

  /** `{a: 1, b: c}` at p, on one line; sets pos past it. Keys without a value and empty values give up. */
  flowMapping(p: number): Record<string, unknown> {
    const {s} = this
    const obj: Record<string, unknown> = {}
    let i = p + 1
    for (;;) {
      while (s.charCodeAt(i) === SP) i++
      const c = s.charCodeAt(i)
      if (c === RBRACE) break
      if (c === NL || c === HASH || c === COMMA || c === LBRACKET || c === LBRACE) out()
      let key: string
      if (c === DQUOTE || c === SQUOTE) key = this.quoted(i)
      else {
        this.plainStart(i, true)
        const end = this.scanFlow(i)
        key = plainKey(s.slice(i, end))
        this.pos = end
      }

      if (key === '__proto__' || key === '<<') out()
      i = this.pos
      while (s.charCodeAt(i) === SP) i++
      if (s.charCodeAt(i) !== COLON) out()
      i++
      while (s.charCodeAt(i) === SP) i++
      const d = s.charCodeAt(i)
      if (d === COMMA || d === RBRACE || d === NL || d === HASH) out()
      obj[key] = this.flowNode(i)
      i = this.pos
      while (s.charCodeAt(i) === SP) i++
      const e = s.charCodeAt(i)
      if (e === RBRACE) break
      if (e !== COMMA) out()
      i++
    }

    this.pos = i + 1
    return obj
  }

  /** A node inside a flow collection at i; sets pos past it. A `:` after it (a pair) is checked by the caller. */
  flowNode(i: number): unknown {
    const {s} = this
    const c = s.charCodeAt(i)
    if (c === LBRACKET || c === LBRACE) return this.flow(i)
    if (c === DQUOTE || c === SQUOTE) return this.quoted(i)
    this.plainStart(i, true)
    const end = this.scanFlow(i)
    this.pos = end
    // a plain scalar in a flow sequence stopped by `: ` is a pair: the caller sees the `:` and gives up
    return resolvePlain(s.slice(i, end))
  }

  /** `[a, b]` at p, on one line; sets pos past it. */
  flowSequence(p: number): unknown[] {
    const {s} = this
    const arr: unknown[] = []
    let i = p + 1
    for (;;) {
      while (s.charCodeAt(i) === SP) i++
      const c = s.charCodeAt(i)
      if (c === RBRACKET) break
      if (c === NL || c === HASH || c === COMMA) out()
      arr.push(this.flowNode(i))
      i = this.pos
      while (s.charCodeAt(i) === SP) i++
      const d = s.charCodeAt(i)
      if (d === RBRACKET) break
      if (d !== COMMA) out() // `a: b` (a pair), `"a" b`, a comment
      i++
    }

    this.pos = i + 1
    return arr
  }

  /** The value on a key's line at q (a mapping at n): flow, block scalar or one-line scalar. */
  inline(q: number, n: number): unknown {
    const {s} = this
    const c = s.charCodeAt(q)
    if (c === LBRACKET || c === LBRACE) return this.flowLine(q)
    if (c === PIPE || c === GT) return this.blockScalar(q, n + 1)
    if (c === DQUOTE || c === SQUOTE) {
      const v = this.quoted(q)
      this.endLine(this.pos)
      this.next(this.le + 1)
      return v
    }

    this.plainStart(q, false)
    const end = this.scanBlock(q)
    if (this.kind === STOP_COLON) out() // `key: a: b`
    const v = resolvePlain(s.slice(q, end))
    this.next(this.le + 1)
    return v
  }

  /**
   * The plain key s[p, end) as js-yaml stores it (plainKey), from a cache of recent keys when it is there: a key
   * found in the cache costs no new string, and the cached one is internalized, which makes storing it cheaper. The
   * cache is two-way: a key found in the second place of its pair moves to the first.
   */
  internKey(p: number, end: number): string {
    const {s} = this
    const len = end - p
    // a cheap hash of the length and five characters: the comparison below makes the lookup exact
    let h = Math.imul(len, 0x9e_37_79_b1) ^ s.charCodeAt(p)
    h = Math.imul(h ^ s.charCodeAt(end - 1), FNV_PRIME)
    h = Math.imul(h ^ s.charCodeAt(p + (len >> 1)), FNV_PRIME)
    h = Math.imul(h ^ s.charCodeAt(p + (len >> 2)), FNV_PRIME)
    h = Math.imul(h ^ s.charCodeAt(end - 1 - (len >> 2)), FNV_PRIME)
    const slot = (h ^ (h >>> 15)) & (KEY_CACHE_SIZE - 2)
    const first = KEY_CACHE[slot]
    if (first.length === len && s.startsWith(first, p)) return first
    const second = KEY_CACHE[slot + 1]
    if (second.length === len && s.startsWith(second, p)) {
      KEY_CACHE[slot] = second
      KEY_CACHE[slot + 1] = first
      return second
    }

    const raw = s.slice(p, end)
    const k = plainKey(raw)
    // only keys that stand for themselves are cached (`1`, `~`, `0x10` are not); Object.keys gives the internalized copy
    if (k === raw) {
      KEY_CACHE[slot + 1] = first
      KEY_CACHE[slot] = Object.keys({[raw]: 0})[0]
    }

    return k
  }

  /** A `- ` (or `-` ending the line) at p: a block sequence entry. */
  isEntry(p: number): boolean {
    const {s} = this
    if (s.charCodeAt(p) !== DASH) return false
    const f = s.charCodeAt(p + 1)
    return f === SP || f === NL
  }

  /** A block-mapping key at p: plain or quoted, then `:` and a space or the end of the line. Sets vp. */
  key(p: number): string {
    const {s} = this
    const c = s.charCodeAt(p)
    let k: string
    if (c === DQUOTE || c === SQUOTE) {
      k = this.quoted(p)
      let j = this.pos
      while (s.charCodeAt(j) === SP) j++
      if (s.charCodeAt(j) !== COLON) out()
      const f = s.charCodeAt(j + 1)
      if (f !== SP && f !== NL) out()
      this.vp = j + 1
    } else {
      this.plainStart(p, false)
      const end = this.scanBlock(p)
      if (this.kind !== STOP_COLON) out()
      k = this.internKey(p, end)
      this.vp = this.stopAt + 1
    }

    if (k === '__proto__' || k === '<<') out()
    return k
  }

  /**
   * Block mapping at indentation n, its first key at p on the current line (p is past `- ` for a compact mapping).
   * Entries follow at exactly n; a line indented less ends it, a line indented more (not a value) gives up.
   */
  mapping(n: number, p: number): Record<string, unknown> {
    const {s} = this
    if (++this.depth > MAX_DEPTH) out()
    const obj: Record<string, unknown> = {}
    for (;;) {
      const key = this.key(p)
      let q = this.vp
      while (s.charCodeAt(q) === SP) q++
      const c = s.charCodeAt(q)
      obj[key] = c === NL || c === HASH ? this.nested(n) : this.inline(q, n)
      if (this.ind === n) p = this.cs
      else if (this.ind < n) break
      else out()
    }

    this.depth--
    return obj
  }

  /** The value of `key:` with nothing after it on the line (a mapping at n): a block node below it, or null. */
  nested(n: number): unknown {
    this.next(this.le + 1)
    if (this.ind > n) return this.block()
    if (this.ind === n && this.isEntry(this.cs)) return this.sequence(n, this.cs)
    return null
  }

  /**
   * Make the first content line at or after the line start `from` current, skipping blank and comment lines; at the
   * end of the text ind is -1. Document markers (`---`, `...`) and directives at column 0 give up, except a `---`
   * that is the first content line of the document (`marker`: start() looks at it).
   */
  next(from: number, marker = false): void {
    const {s} = this
    const n = this.end
    let i = from
    while (i < n) {
      const ls = i
      while (s.charCodeAt(i) === SP) i++
      const c = s.charCodeAt(i)
      if (c === NL) {
        i++
        continue
      }

      const le = s.indexOf('\n', i)
      if (c === HASH) {
        i = le + 1
        continue
      }

      if (
        i === ls &&
        (c === PERCENT || ((c === DASH || c === DOT) && s.charCodeAt(i + 1) === c && s.charCodeAt(i + 2) === c)) &&
        !(marker && c === DASH)
      )
        out()
      this.ls = ls
      this.cs = i
      this.ind = i - ls
      this.le = le
      return
    }

    this.ls = n
    this.cs = n
    this.le = n
    this.ind = -1
  }

  /** The first `:` at or after i (the text's length when none). */
  nextColon(i: number): number {
    const f = this.found
    if (i < f.colonFrom || i > f.colonAt) {
      const at = this.s.indexOf(':', i)
      f.colonFrom = i
      f.colonAt = at === -1 ? this.s.length : at
    }

    return f.colonAt
  }

  /** The first `#` at or after i (the text's length when none). */
  nextHash(i: number): number {
    const f = this.found
    if (i < f.hashFrom || i > f.hashAt) {
      const at = this.s.indexOf('#', i)
      f.hashFrom = i
      f.hashAt = at === -1 ? this.s.length : at
    }

    return f.hashAt
  }

  /** Give up unless p can start a plain scalar (js-yaml readPlainScalar's first-character rules). */
  plainStart(p: number, inFlow: boolean): void {
    const {s} = this
    const c = s.charCodeAt(p)
    if (c < 128 && BAD_START[c] === 1) out()
    if (c === DASH || c === COLON) {
      const f = s.charCodeAt(p + 1)
      if (f === SP || f === NL || (inFlow && isFlowIndicator(f))) out()
    }
  }

  /** A one-line quoted scalar at p (its closing quote on the same line); sets pos past the closing quote. */
  quoted(p: number): string {
    const {s} = this
    if (s.charCodeAt(p) === SQUOTE) {
      let start = p + 1
      let v = ''
      for (;;) {
        const j = s.indexOf("'", start)
        if (j === -1 || j > this.le) out()
        if (s.charCodeAt(j + 1) !== SQUOTE) {
          this.pos = j + 1
          return v + s.slice(start, j)
        }

        v += s.slice(start, j + 1) // `''` is a quote
        start = j + 2
      }
    }

    let i = p + 1
    let start = i
    let v = ''
    for (;;) {
      const c = s.charCodeAt(i)
      if (c === DQUOTE) {
        this.pos = i + 1
        return v + s.slice(start, i)
      }

      if (c === NL) out()
      if (c === BACKSLASH) {
        v += s.slice(start, i) + this.escape(i)
        i = this.pos
        start = i
      } else i++
    }
  }

  /** The document's node: a block node, or a one-line scalar. */
  root(): unknown {
    const {s} = this
    const p = this.cs
    const c = s.charCodeAt(p)
    if (this.isEntry(p) || c === LBRACKET || c === LBRACE) return this.block()
    if (c === PIPE || c === GT) out()
    if (c === DQUOTE || c === SQUOTE) {
      const v = this.quoted(p)
      let j = this.pos
      while (s.charCodeAt(j) === SP) j++
      if (s.charCodeAt(j) === COLON) return this.mapping(this.ind, p)
      this.endLine(this.pos)
      this.next(this.le + 1)
      return v
    }

    this.plainStart(p, false)
    const end = this.scanBlock(p)
    if (this.kind === STOP_COLON) return this.mapping(this.ind, p)
    const v = resolvePlain(s.slice(p, end))
    this.next(this.le + 1)
    return v
  }

  /**
   * Scan a one-line plain scalar in block context from p (on the current line): it ends at `: ` (or `:` ending the
   * line), at ` #`, or at the end of the line; flow indicators are text. Found with indexOf (the next `:` and `#` are
   * cached, so a document is searched once). Returns the end of its text (trailing spaces excluded); sets kind and
   * stopAt.
   */
  scanBlock(p: number): number {
    const {le, s} = this
    let stop = le
    this.kind = STOP_EOL
    for (let c = this.nextColon(p); c < le; c = this.nextColon(c + 1)) {
      const f = s.charCodeAt(c + 1)
      if (f === SP || f === NL) {
        stop = c
        this.kind = STOP_COLON
        break
      }
    }

    for (let h = this.nextHash(p); h < stop; h = this.nextHash(h + 1))
      if (s.charCodeAt(h - 1) === SP) {
        stop = h
        this.kind = STOP_COMMENT
        break
      }

    this.stopAt = stop
    let end = stop
    while (s.charCodeAt(end - 1) === SP) end--
    return end
  }

  /**
   * Scan a one-line plain scalar in a flow collection from p: it ends at a flow indicator, at `:` before a space, a
   * flow indicator or the end of the line, at ` #`, or at the end of the line. Returns the end of its text (trailing
   * spaces excluded); sets stopAt.
   */
  scanFlow(p: number): number {
    const {s} = this
    let i = p
    for (;;) {
      const c = s.charCodeAt(i)
      if (c < 128 && FLOW_STOP[c] === 1) {
        if (c === NL || isFlowIndicator(c)) break
        if (c === COLON) {
          const f = s.charCodeAt(i + 1)
          if (f === SP || f === NL || isFlowIndicator(f)) break
        } else if (s.charCodeAt(i - 1) === SP) break // `#`
      }

      i++
    }

    this.stopAt = i
    let end = i
    while (s.charCodeAt(end - 1) === SP) end--
    return end
  }

  /** Block sequence whose dashes sit at column n, the first at p on the current line. */
  sequence(n: number, p: number): unknown[] {
    const {s} = this
    if (++this.depth > MAX_DEPTH) out()
    const arr: unknown[] = []
    for (;;) {
      let q = p + 1
      while (s.charCodeAt(q) === SP) q++
      const c = s.charCodeAt(q)
      if (c === NL || c === HASH) {
        // `-` alone: an empty entry when nothing more indented follows (a node on the next line is given up)
        this.next(this.le + 1)
        if (this.ind > n) out()
        // js-yaml reads a dash line indented less right after an empty entry as an entry of this sequence
        if (this.ind >= 0 && this.ind < n && this.isEntry(this.cs)) out()
        arr.push(null)
      } else arr.push(this.entry(q, n))
      if (this.ind === n && this.isEntry(this.cs)) p = this.cs
      else if (this.ind <= n) break
      else out()
    }

    this.depth--
    return arr
  }

  /** The first content line; a leading `---` line (optionally with a comment) is skipped. */
  start(): void {
    if (this.dash === -1) this.next(this.begin, true)
    else this.firstItemLine()
    const {cs, s} = this
    if (this.ind !== 0 || s.charCodeAt(cs) !== DASH || s.charCodeAt(cs + 1) !== DASH || s.charCodeAt(cs + 2) !== DASH)
      return
    // `---` then the end of the line, or spaces and a comment
    let j = cs + 3
    while (s.charCodeAt(j) === SP) j++
    const d = s.charCodeAt(j)
    if (d !== NL && (d !== HASH || j === cs + 3)) out()
    this.next(this.le + 1)
  }
}

/**
 * Whether every tab is inside a comment line (spaces, `#`, then anything): js-yaml skips those whole, and a block
 * scalar that takes such a line as content takes it verbatim, as the block scalar reader here does.
 */
function tabsInComments(text: string): boolean {
  for (let t = text.indexOf('\t'); t !== -1; t = text.indexOf('\t', t + 1)) {
    let i = text.lastIndexOf('\n', t) + 1
    while (text.charCodeAt(i) === SP) i++
    if (text.charCodeAt(i) !== HASH) return false
  }

  return true
}

/**
 * The reader's last searches (nextColon, nextHash): the first `:` at or after colonFrom is at colonAt, the first `#`
 * at or after hashFrom at hashAt.
 */
interface Found {
  colonAt: number
  colonFrom: number
  hashAt: number
  hashFrom: number
}

function notFound(): Found {
  return {colonAt: -1, colonFrom: 0, hashAt: -1, hashFrom: 0}
}

/**
 * A whole text that documents are cut from (a file), and the reader's searches in it: where the next `:` and `#` were
 * found. A search that ran past one document's end holds for the next one, so each character of the file is searched
 * once, not once per document after it.
 */
export interface WholeText {
  /** Whether the whole text holds no character that needs a closer look (SUSPECT): found out once for all. */
  clean?: boolean
  readonly found: Found
  readonly text: string
}

export function wholeText(text: string): WholeText {
  return {found: notFound(), text}
}

/** Whether text (a document) needs js-yaml: characters outside what the reader reads (SUSPECT, REFUSED above). */
function refused(text: string, from?: InBase): boolean {
  if (from) {
    from.whole.clean ??= !SUSPECT.test(from.whole.text)
    if (from.whole.clean) return false
  }

  return SUSPECT.test(text) && (REFUSED.test(text) || LONE_SURROGATE.test(text) || !tabsInComments(text))
}

/**
 * Where a document's text lies in the whole text it was cut from: text === whole.text.slice(at, at + text.length),
 * except that a List item's `-` (at `dash`) is a space in text.
 */
export interface InBase {
  at: number
  dash?: number
  whole: WholeText
}

/**
 * Parse one YAML document the way `jsyaml.load(text, {json: true, schema: K8S_SCHEMA})` does, for the block-style
 * subset Kubernetes manifests use (see the top of this file). Returns the value (null for a document of comments or
 * a bare `---`, undefined for an empty or blank text, as js-yaml does), or GIVE_UP when the text is outside the
 * subset or may not read the same: the caller then uses js-yaml, which also reports the errors.
 *
 * `from`: where the text lies in a whole file's text (a document of it). The reader then reads the file's text in
 * place, which costs less than reading a slice character by character or making a flat copy of it; the document's
 * end is where the reading stops (the line break that ends its last line, which a document followed by another has).
 */
export function fastLoad(text: string, from?: InBase): unknown {
  if (!ENABLED) return GIVE_UP
  if (text.length === 0) return undefined
  if (refused(text, from)) return GIVE_UP
  let s: string
  let begin = 0
  let end: number
  const inBase = from && text.charCodeAt(text.length - 1) === NL ? from : undefined
  if (inBase) {
    s = inBase.whole.text
    begin = inBase.at
    end = begin + text.length
  } else {
    // a flat copy, ending with a line break as js-yaml makes it: the characters of a slice cost more to read one by
    // one (a copy costs less than it saves)
    s = Buffer.from(text.charCodeAt(text.length - 1) === NL ? text : text + '\n').toString()
    end = s.length
  }

  // js-yaml reads no document when the text is spaces and at most one line break
  const dash = inBase?.dash ?? -1
  let i = begin
  while (s.charCodeAt(i) === SP || i === dash) i++
  if (i >= end - 1) return undefined
  const r = new Reader(s, begin, end, dash, inBase?.whole.found)
  try {
    r.start()
    if (r.ind === -1) return null
    const v = r.root()
    return r.ind === -1 ? v : GIVE_UP
  } catch {
    return GIVE_UP
  }
}
