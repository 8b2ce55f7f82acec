/**
 * Split sources into documents and parse them. Documents are split on `---` lines ourselves (so each keeps its line
 * offset), and so are the items of a large `kind: List`; each is parsed (loadYaml) and handed on at once (the check
 * streams; see run.ts Checker). The `yaml` package is used only to give a precise position when a document fails,
 * and for the lines of compose and CI files. Unrendered Helm/Go (`{{ … }}`) and ytt
 * (`#@`) templates, alias bombs and self-referencing aliases are input errors, never clean; so is an input that
 * holds nothing doctor checks.
 */
import jsyaml from 'js-yaml'

import type {Analyzed, Obj} from '../model/types.js'
import type {InputError} from '../types.js'
import type {Source} from './files.js'

import {aliasMessage, boundedYamlValue, MAX_DEPTH, mayHaveAliases} from './bounds.js'
import {detectFormat} from './detect.js'
import {fastLoad, GIVE_UP, type InBase, wholeText, type WholeText} from './fast-yaml.js'
import {type DocText, findNeedle, firstContent} from './locate.js'
import {yamlReason} from './yaml-errors.js'

/**
 * YAML 1.2 core types plus merge keys (`<<`), the way Kubernetes reads manifests: timestamps stay strings and the
 * costly timestamp/binary/omap resolvers of js-yaml's default schema are skipped.
 */
// implicit: js-yaml's extend() takes an array as explicit types, which only `!!merge <<` would use; a plain `<<` key
// (`<<: *base`, as compose, GitLab CI and manifests write it) would stay a key named "<<", its values unseen
export const K8S_SCHEMA = jsyaml.CORE_SCHEMA.extend({
  implicit: [(jsyaml as unknown as {types: {merge: jsyaml.Type}}).types.merge],
})

/**
 * One document's value: by fastLoad (fast-yaml.ts: the block style manifests are written in, ≈ 3× js-yaml's speed,
 * the very values js-yaml gives) or, outside that style, by js-yaml, which throws on invalid YAML.
 */
export function loadYaml(text: string, filename?: string, from?: InBase): unknown {
  const v = fastLoad(text, from)
  return v === GIVE_UP ? jsyaml.load(text, {filename, json: true, schema: K8S_SCHEMA}) : v
}

export interface ParsedObject {
  doc: DocText | null
  file: null | string
  /** Offset in doc.text where this object starts (List items), for line search. */
  from: number
  /** Where a List item sits in its document (indexes through Lists and arrays); absent for a whole document. */
  item?: number[]
  /** The document is JSON (reparse() reads it back with JSON.parse). */
  json?: boolean
  obj: Obj
  /** Compose and CI files: the workload their reader built (Kubernetes objects are analysed when checked). */
  prepared?: Omit<Analyzed, 'ctx'>
}

/**
 * Read an object again from its document text (after it was checked and dropped, when a ConfigMap it names turned
 * up later in the input). Documents that parsed once parse again.
 */
export function reparse(o: ParsedObject): Obj {
  if (!o.doc) throw new Error('reparse: object has no source text')
  let v: unknown = o.json ? JSON.parse(o.doc.text) : loadYaml(o.doc.text, undefined, o.doc.from)
  for (const i of o.item ?? []) v = (Array.isArray(v) ? v : (v as Obj).items)[i]
  return v as Obj
}

export const TEMPLATE_HINT = 'render it first, e.g. helm template … | fabk8s doctor -f -'
/** For a file whose only templating is {{NAME}} placeholders, filled by a script (sed, envsubst), not by Helm. */
export const PLACEHOLDER_HINT =
  'render it first: fill its {{NAME}} placeholders as its scripts do, then | fabk8s doctor -f -'

/** Go-template actions ({{ .Values.x }}, {{- if }}, {{ include … }}): Helm's. {{NAME}} alone is a sed/envsubst placeholder. */
const GO_TEMPLATE =
  /\{\{-?\s*(?:[.$(]|(?:if|else|end|range|with|include|template|define|block|toYaml|tpl|default|quote|printf|required|nindent|indent)\b)/
const PLACEHOLDER = /\{\{\s*[A-Za-z_][\w-]*\s*\}\}/

/** Split YAML text into documents at `---` lines, keeping each one's first line number. */
export function splitDocuments(text: string): DocText[] {
  const out: DocText[] = []
  const re = /^---(?=[ \t\r\n]|$)/gm
  const whole = wholeText(text)
  let start = 0
  let line = 1
  let m: null | RegExpExecArray
  while ((m = re.exec(text)) !== null) {
    pushDoc(out, whole, start, m.index, line)
    line += countLines(text, start, m.index)
    start = m.index
  }

  pushDoc(out, whole, start, text.length, line)
  return out
}

function pushDoc(out: DocText[], whole: WholeText, at: number, end: number, line: number): void {
  if (end > at) out.push({from: {at, whole}, line, text: whole.text.slice(at, end)})
}

function countLines(text: string, from: number, to: number): number {
  let n = 0
  let i = text.indexOf('\n', from)
  while (i !== -1 && i < to) {
    n++
    i = text.indexOf('\n', i + 1)
  }

  return n
}

function lineOf(doc: DocText, offset: number): number {
  return doc.line + countLines(doc.text, 0, offset)
}

/**
 * A GitHub Actions expression (`${{ matrix.os }}`, `${{ secrets.TOKEN }}`): workflow syntax that GitHub fills in when
 * the job runs, not an unrendered template. A Go template action behind a `$` (`${{ .Values.x }}`) is not one.
 */
const GH_EXPRESSION = /\$\{\{(?!-?\s*[.$])[^\n]*?\}\}/g
const GH_EXPRESSION_AT = new RegExp(GH_EXPRESSION.source, 'y')

/** Whether a string holds `{{` outside GitHub Actions expressions. */
const hasBraces = (s: string) => s.includes('{{') && s.replaceAll(GH_EXPRESSION, '').includes('{{')

/** The first `{{` outside a comment line and outside a GitHub Actions expression, or -1. */
function templateOffset(text: string): number {
  let i = text.indexOf('{{')
  while (i !== -1) {
    GH_EXPRESSION_AT.lastIndex = i - 1
    if (i > 0 && text[i - 1] === '$' && GH_EXPRESSION_AT.test(text)) {
      i = text.indexOf('{{', GH_EXPRESSION_AT.lastIndex)
      continue
    }

    const ls = text.lastIndexOf('\n', i) + 1
    if (!/^\s*#/.test(text.slice(ls, i + 2))) return i
    i = text.indexOf('{{', i + 2)
  }

  return -1
}

const SOCKET_LITERAL = /(?:docker|dockershim|cri-dockerd|containerd|crio|podman)\.sock\b/

/** Strings holding `{{` where a rendered manifest would not have them (data, annotations and commands may). */
function hasTemplateValue(v: unknown, key: string, depth: number): boolean {
  if (typeof v === 'string') return hasBraces(v)
  if (!v || typeof v !== 'object' || depth > 40) return false
  if (Array.isArray(v)) {
    if (key === 'command' || key === 'args') return false
    return v.some((x) => hasTemplateValue(x, key, depth + 1))
  }

  for (const [k, x] of Object.entries(v as Obj)) {
    if (hasBraces(k) || k === '[object Object]') return true
    if (k === 'annotations' || k === 'data' || k === 'stringData' || k === 'binaryData') continue
    if (hasTemplateValue(x, k, depth + 1)) return true
  }

  return false
}

function templateError(file: null | string, doc: DocText, at: number): InputError {
  const line = lineOf(doc, at)
  const eol = doc.text.indexOf('\n', at)
  const lineText = doc.text.slice(doc.text.lastIndexOf('\n', at) + 1, eol === -1 ? undefined : eol).trim()
  const sock = SOCKET_LITERAL.exec(doc.text)
  // only a pointer: whether the rendered text mounts the socket (or only names it, e.g. in CORE_VM_ENDPOINT) shows then
  const warn = sock ? `; it mentions ${sock[0]} at line ${lineOf(doc, sock.index)}` : ''
  const hint = !GO_TEMPLATE.test(doc.text) && PLACEHOLDER.test(doc.text) ? PLACEHOLDER_HINT : TEMPLATE_HINT
  return {
    file,
    line,
    message: `unparseable template (${JSON.stringify(lineText.length > 60 ? lineText.slice(0, 57) + '…' : lineText)}): ${hint}${warn}`,
  }
}

async function preciseYamlError(
  file: null | string,
  doc: DocText,
  fallback: Error & {mark?: {line?: number}; reason?: string},
): Promise<InputError> {
  try {
    const {LineCounter, parseAllDocuments} = await import('yaml')
    const lc = new LineCounter()
    const docs = parseAllDocuments(doc.text, {lineCounter: lc, prettyErrors: false, uniqueKeys: false})
    const list = Array.isArray(docs) ? docs : [docs]
    for (const d of list) {
      const e = d.errors?.[0]
      if (e) {
        const pos = lc.linePos(e.pos[0])
        return {file, line: doc.line + pos.line - 1, message: `invalid YAML: ${yamlReason(e.message)}`}
      }
    }
  } catch {
    /* fall back to js-yaml's position */
  }

  if (fallback instanceof RangeError)
    return {file, line: lineOf(doc, firstContent(doc.text)), message: 'invalid YAML: it nests too deeply to read'}
  return {
    file,
    line: doc.line + (fallback.mark?.line ?? 0),
    message: `invalid YAML: ${yamlReason(fallback.reason ?? fallback.message)}`,
  }
}

/**
 * Where each item of a List starts in the text, found in one pass: block-sequence entries at the indentation of the
 * first item (`kubectl get -o yaml`), or pretty-printed JSON objects at the indentation of the first item (`-o json`).
 * null when the layout is neither (flow style, one-line JSON); callers then search item by item.
 */
export function listItemOffsets(text: string, from: number, count: number, underKey = true): null | number[] {
  if (count === 0) return null
  let start = from
  if (underKey) {
    const key = findNeedle(text, {key: 'items'}, from)
    if (key === -1) return null
    start = text.indexOf(':', key) + 1
  }

  const first = /\S/g
  first.lastIndex = start
  const m = first.exec(text)
  if (!m) return null
  let re: RegExp
  if (m[0] === '-') {
    // YAML block sequence: entries at the first entry's indentation (deeper lines belong to the items)
    const lineStart = text.lastIndexOf('\n', m.index) + 1
    const indent = text.slice(lineStart, m.index)
    if (/\S/.test(indent)) return null
    re = new RegExp(String.raw`^${indent}-(?=[ \t\r\n]|$)`, 'gm')
    re.lastIndex = lineStart
  } else if (m[0] === '[') {
    // pretty-printed JSON: objects opening a line at the first object's indentation
    const obj = /^([ \t]*)\{/gm
    obj.lastIndex = m.index
    const o = obj.exec(text)
    if (!o || /\S/.test(text.slice(m.index + 1, o.index))) return null
    re = new RegExp(String.raw`^${o[1]}\{`, 'gm')
    re.lastIndex = o.index
  } else return null
  const out: number[] = []
  let x: null | RegExpExecArray
  while (out.length < count && (x = re.exec(text)) !== null) out.push(x.index)
  return out.length === count ? out : null
}

/** Where parsed values go: the result, and the source they came from. */
interface Sink {
  doc: DocText | null
  file: null | string
  json?: boolean
  out: ParseResult
}

/** An object for the result: to the `emit` callback when there is one (checked at once), else collected. */
function emit(out: ParseResult, o: ParsedObject): void {
  out.count++
  if (out.emit) out.emit(o)
  else out.objects.push(o)
}

function pushObject(sink: Sink, value: unknown, from: number, depth = 0, item?: number[]): void {
  if (!value || typeof value !== 'object') return
  const {doc, file, out} = sink
  if (depth > MAX_DEPTH) {
    out.errors.push({file, line: doc ? lineOf(doc, firstContent(doc.text)) : null, message: aliasMessage('depth')})
    return
  }

  if (Array.isArray(value)) {
    pushItems(sink, value, from, depth, false, item)
    return
  }

  const obj = value as Obj
  if (typeof obj.kind === 'string' && obj.kind.endsWith('List') && Array.isArray(obj.items)) {
    pushItems(sink, obj.items, from, depth, true, item)
    return
  }

  if (typeof obj.kind !== 'string') return // not a Kubernetes object (values.yaml, Chart.yaml…): skipped
  emit(out, {doc, file, from, item, json: sink.json, obj})
}

/** The items of a List (or a top-level array), each with the offset where it starts; linear in the text. */
function pushItems(
  sink: Sink,
  items: unknown[],
  from: number,
  depth: number,
  underKey: boolean,
  item: number[] = [],
): void {
  const {doc} = sink
  const starts = doc ? listItemOffsets(doc.text, from, items.length, underKey) : null
  let cursor = from
  for (const [i, entry] of items.entries()) {
    let at = from
    if (starts) at = starts[i]
    else if (doc) {
      // unusual layout (flow style, one-line JSON): the item's own name, searched forward from the previous item
      const name = (entry as null | Obj)?.metadata?.name
      const p = typeof name === 'string' ? findNeedle(doc.text, {key: 'name', value: name}, cursor) : -1
      if (p !== -1) cursor = doc.text.lastIndexOf('\n', p) + 1
      at = cursor
    }

    pushObject(sink, entry, at, depth + 1, [...item, i])
  }
}

export interface ParseResult {
  /** Objects found (emitted or collected). */
  count: number
  /** Documents seen (including unparseable ones). */
  documents: number
  /** Takes each object as soon as it is parsed (then `objects` stays empty): the check streams, nothing piles up. */
  emit?: (o: ParsedObject) => void
  errors: InputError[]
  objects: ParsedObject[]
  /** Every source parsed, in order (reports list clean ones too). */
  sources: string[]
}

/** What one source gave. */
export interface SourceStats {
  errors: number
  objects: number
  /** Values that are not null (documents with content). */
  values: number
}

export const YTT_HINT = 'render it first, e.g. ytt -f … | fabk8s doctor -f -'
const YTT = /^[ \t]*#@/m
const NOTHING = 'no Kubernetes objects, compose services or CI jobs'

/** Parse every document of a source; a bad document is an error and the others are still returned. */
export async function parseSource(src: Source, out: ParseResult): Promise<SourceStats> {
  const before = {errors: out.errors.length, objects: out.count}
  let values = 0
  const stats = (): SourceStats => ({
    errors: out.errors.length - before.errors,
    objects: out.count - before.objects,
    values,
  })
  out.sources.push(src.file)
  let {text} = src
  if (text.codePointAt(0) === 0xfe_ff) text = text.slice(1)
  if (src.json) {
    try {
      out.documents++
      const value = JSON.parse(text)
      values++
      pushObject({doc: {line: 1, text}, file: src.file, json: true, out}, value, 0)
      return stats()
    } catch {
      // not JSON after all (or broken JSON): YAML is a superset; let the YAML path report the position
    }
  }

  // a ytt template is one program (its load() lines serve every document): the whole file waits for rendering
  const ytt = text.includes('#@') ? YTT.exec(text) : null
  if (ytt) {
    const whole = {line: 1, text}
    const eol = text.indexOf('\n', ytt.index)
    const lineText = text.slice(ytt.index, eol === -1 ? undefined : eol).trim()
    out.errors.push({
      file: src.file,
      line: lineOf(whole, ytt.index),
      message: `unrendered ytt template (${JSON.stringify(lineText.length > 60 ? lineText.slice(0, 57) + '…' : lineText)}): ${YTT_HINT}`,
    })
    return stats()
  }

  for (const doc of splitDocuments(text)) {
    out.documents++
    // a large List is read item by item, like a stream of documents (each parsed, checked and dropped)
    for (const part of splitList(doc) ?? [doc]) {
      const r = parseDocument(src, part, out)
      if (typeof r === 'boolean' ? r : await r) values++
    }
  }

  return stats()
}

/**
 * Parse one document (or List item) and emit what it holds; false when it holds nothing (empty, comments). The usual
 * document is done synchronously (a promise per document costs ≈ 5% on 20,000 of them); only errors (their precise
 * position) and compose/CI files (their reader, loaded on first use) need to wait.
 */
function parseDocument(src: Source, doc: DocText, out: ParseResult): boolean | Promise<boolean> {
  const tpl = doc.text.includes('{{') ? templateOffset(doc.text) : -1
  let value: unknown
  try {
    value = loadYaml(doc.text, src.file, doc.from)
  } catch (error) {
    if (tpl !== -1) {
      out.errors.push(templateError(src.file, doc, tpl))
      return true
    }

    return preciseYamlError(src.file, doc, error as Error).then((e) => {
      out.errors.push(e)
      return true
    })
  }

  if (value === null || value === undefined) return false
  const start = firstContent(doc.text)
  const bounded = boundedYamlValue(doc.text, value)
  if (bounded) {
    out.errors.push({file: src.file, line: lineOf(doc, start), message: aliasMessage(bounded)})
    return true
  }

  if (tpl !== -1 && hasTemplateValue(value, '', 0)) {
    out.errors.push(templateError(src.file, doc, tpl))
    return true
  }

  const format = detectFormat(value, src.file)
  if (format)
    return (async () => {
      const {workloadsOf} = await import('../model/formats.js')
      for (const prepared of await workloadsOf(format, value as Obj, doc, src.file))
        emit(out, {doc, file: src.file, from: start, obj: prepared.obj, prepared})
      return true
    })()
  pushObject({doc, file: src.file, out}, value, start)
  return true
}

/** Lists smaller than this are parsed whole (cutting them up would not pay). */
const SPLIT_LIST_BYTES = 64 * 1024

/**
 * A large `kind: List` document (`kubectl get … -o yaml`) cut into its items, each a document of its own: the
 * `items:` block sequence at the top level, its entries found by their `- ` at the first entry's indentation, the
 * dash turned into a space (an indented mapping is a valid document). null when the document is not such a List,
 * or may use aliases (an alias can point into another item): then it is parsed whole.
 */
export function splitList(doc: DocText): DocText[] | null {
  const {text} = doc
  if (text.length < SPLIT_LIST_BYTES || !/^kind:[ \t]*["']?\w*List["']?[ \t]*(?:#.*)?$/m.test(text)) return null
  if (mayHaveAliases(text)) return null
  const items = /^items:[ \t]*(?:#.*)?$/m.exec(text)
  if (!items) return null
  const first = /^(?![ \t]*(?:#|$))([ \t]*)-(?=[ \t\r\n]|$)/gm
  first.lastIndex = items.index + items[0].length
  const f = first.exec(text)
  if (!f || /\S/.test(text.slice(items.index + items[0].length, f.index).replaceAll(/#.*$/gm, ''))) return null
  const indent = f[1]
  const {end, lines, starts} = sequenceEntries(text, f.index, indent)
  const out: DocText[] = []
  const firstLine = doc.line + countLines(text, 0, f.index)
  for (const [i, s] of starts.entries()) {
    const next = i + 1 < starts.length ? starts[i + 1] : end
    const d = s + indent.length
    const from = doc.from && {at: doc.from.at + s, dash: doc.from.at + d, whole: doc.from.whole}
    out.push({from, line: firstLine + lines[i], text: text.slice(s, d) + ' ' + text.slice(d + 1, next)})
  }

  return out
}

/** The entries of a block sequence (sequenceEntries): where each starts, on which line, and where the sequence ends. */
export interface SequenceEntries {
  /** The start of the first line after the sequence (see sequenceEntries), or the end of the text. */
  end: number
  /** The line of each entry, counted from the first one's (0). */
  lines: number[]
  /** Where each entry's line starts: `indent` and then its dash. */
  starts: number[]
}

const SP = 0x20
const TAB = 0x09
const HASH = 0x23
const DASH = 0x2d

/**
 * The entries of the block sequence whose first dash is at `from` (its line's start), in one pass from line to line:
 * an entry is a line of `indent`, a dash and a space, a tab or the line's end; the sequence ends at the first line (not
 * blank, not a comment) indented no deeper than its dashes that is not an entry, or at the end of the text. (Each
 * regular expression over a 60 MB List costs a pass of its own; the first version, tried at every offset, took
 * 0.7 s.) Texts with other line breaks than `\n` (`\r`, U+2028, U+2029, which a regular expression's `^` also takes)
 * are left to the expressions.
 */
export function sequenceEntries(text: string, from: number, indent: string): SequenceEntries {
  const starts: number[] = []
  const lines: number[] = []
  if (text.includes('\r') || text.includes('\u2028') || text.includes('\u2029')) {
    const endRe = new RegExp(
      String.raw`^(?!${indent}-(?:[ \t\r\n]|$))(?![ \t]*(?:#|$))[ \t]{0,${indent.length}}\S`,
      'gm',
    )
    endRe.lastIndex = from
    const e = endRe.exec(text)
    const end = e ? e.index : text.length
    const dash = new RegExp(String.raw`^${indent}-(?=[ \t\r\n]|$)`, 'gm')
    dash.lastIndex = from
    let line = 0
    let at = from
    for (let m = dash.exec(text); m && m.index < end; m = dash.exec(text)) {
      line += countLines(text, at, m.index)
      at = m.index
      starts.push(m.index)
      lines.push(line)
    }

    return {end, lines, starts}
  }

  const width = indent.length
  /* eslint-disable unicorn/prefer-code-point -- code units: only ASCII is compared, and NaN past the end is no match */
  for (let line = 0, ls = from; ls < text.length; line++) {
    const nl = text.indexOf('\n', ls)
    const le = nl === -1 ? text.length : nl
    // past the dashes' indentation the line is deeper: no need to look further
    const limit = Math.min(ls + width, le - 1)
    let i = ls
    let c = text.charCodeAt(i)
    while (i <= limit && (c === SP || c === TAB)) c = text.charCodeAt(++i)
    // a character that begins something at the dashes' indentation or less: an entry, or the sequence's end
    if (i <= limit && c !== HASH && ((c > SP && c < 0x7f) || /\S/.test(text[i]))) {
      const n = text.charCodeAt(i + 1)
      if (i === ls + width && c === DASH && (i + 1 === le || n === SP || n === TAB) && text.startsWith(indent, ls)) {
        starts.push(ls)
        lines.push(line)
      } else return {end: ls, lines, starts}
    }

    if (nl === -1) break
    ls = nl + 1
  }
  /* eslint-enable unicorn/prefer-code-point */

  return {end: text.length, lines, starts}
}

/**
 * Parse every source. An input that gave nothing to check and no error is itself an input error, so it never
 * passes as clean: an empty file or stdin, a named file without objects doctor reads, or a folder none of whose
 * files has any (a values.yaml beside manifests is fine).
 */
export async function parseSources(sources: Source[], emit?: (o: ParsedObject) => void): Promise<ParseResult> {
  const out: ParseResult = {count: 0, documents: 0, emit, errors: [], objects: [], sources: []}
  const folders = new Map<string, {checked: boolean; files: number}>()
  for (const src of sources) {
    const st = await parseSource(src, out)
    const checked = st.objects > 0 || st.errors > 0
    if (src.origin !== undefined) {
      const f = folders.get(src.origin) ?? {checked: false, files: 0}
      f.files++
      f.checked ||= checked
      folders.set(src.origin, f)
    } else if (!checked)
      out.errors.push({
        file: src.file,
        line: null,
        message:
          st.values === 0
            ? `${src.file} is empty: nothing to check`
            : `${src.file}: ${NOTHING} found (doctor reads Kubernetes manifests, docker-compose files, .gitlab-ci.yml and GitHub Actions workflows)`,
      })
  }

  for (const [dir, f] of folders)
    if (!f.checked)
      out.errors.push({
        file: dir,
        line: null,
        message: `${dir}: ${NOTHING} in any of its ${f.files} .yaml, .yml or .json file${f.files === 1 ? '' : 's'}`,
      })
  return out
}
