/**
 * Suppression: the annotation `fabk8s.io/ignore: rule-a,rule-b` (or `all`) on an object's metadata or its pod
 * template's metadata, and an ignore file (`--ignore-file`, default `.fabk8s-doctor.yaml` when present):
 *
 *   ignore:
 *     - rule: run-as-root          # a rule ID, a list of them, or "all"
 *       kind: Deployment           # optional; each of kind/namespace/name/container accepts * and ? globs
 *       namespace: fabric
 *       name: peer0-*
 *       reason: couchdb image needs root
 */
import {existsSync, promises as fs} from 'node:fs'
import path from 'node:path'

import type {Analyzed, Obj} from './model/types.js'
import type {Finding, InputError} from './types.js'

import {aliasMessage, aliasProblem, MAX_ALIAS_COUNT} from './input/bounds.js'
import {yamlReason} from './input/yaml-errors.js'
import {repoRoot} from './repo.js'
import {RULES_BY_ID} from './rules/index.js'
import {nearest} from './suggest.js'

export const IGNORE_ANNOTATION = 'fabk8s.io/ignore'
export const DEFAULT_IGNORE_FILE = '.fabk8s-doctor.yaml'

export interface IgnoreEntry {
  container?: string
  kind?: string
  name?: string
  namespace?: string
  reason?: string
  rules: string[]
}

function split(v: unknown): string[] {
  if (Array.isArray(v)) return v.flatMap((x) => split(x))
  if (typeof v !== 'string') return []
  return v
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean)
}

/** Rules ignored by annotation on the object or its pod template. */
export function annotatedIgnores(a: Analyzed): Set<string> {
  const out = new Set<string>()
  for (const ann of [(a.obj.metadata as Obj | undefined)?.annotations, a.workload?.templateMeta?.annotations]) {
    if (ann && typeof ann === 'object') for (const r of split(ann[IGNORE_ANNOTATION])) out.add(r)
  }

  return out
}

function glob(pattern: string | undefined, value: null | string): boolean {
  if (pattern === undefined || pattern === '*') return true
  if (value === null) return false
  const re = new RegExp(
    '^' +
      pattern
        .replaceAll(/[.+^${}()|[\]\\]/g, String.raw`\$&`)
        .replaceAll('*', '.*')
        .replaceAll('?', '.') +
      '$',
  )
  return re.test(value)
}

export function matchesEntry(e: IgnoreEntry, f: Finding): boolean {
  return (
    (e.rules.includes('all') || e.rules.includes('*') || e.rules.includes(f.rule)) &&
    glob(e.kind, f.kind) &&
    glob(e.namespace, f.namespace) &&
    glob(e.name, f.name) &&
    glob(e.container, f.container)
  )
}

const TOP_KEYS = ['ignore'] as const
const ENTRY_KEYS = ['rule', 'rules', 'kind', 'namespace', 'name', 'container', 'reason'] as const
const MAX_IGNORE_FILE_BYTES = 1024 * 1024
const SHAPE = 'expected a top-level "ignore:" list of {rule, kind, namespace, name, container, reason}'

/** A problem in the ignore file, at a line when known. */
class Invalid extends Error {
  constructor(
    readonly line: null | number,
    message: string,
  ) {
    super(message)
  }
}

/** The parsed ignore file: its value, and where keys and list items sit (for messages). */
interface IgnoreDoc {
  /** Line of key `k` in the mapping `node` of the document (null when not found, e.g. through an alias). */
  keyLine(node: unknown, k: string): null | number
  /** Line where a node starts. */
  nodeLine(node: unknown): null | number
  /** The `ignore:` list's item nodes (or the top-level list's). */
  nodes: unknown[]
  /** The top-level mapping node. */
  top: unknown
  value: unknown
}

async function parseIgnoreYaml(text: string): Promise<IgnoreDoc | null> {
  const {isMap, isScalar, isSeq, LineCounter, parseAllDocuments} = await import('yaml')
  const lc = new LineCounter()
  const docs = parseAllDocuments(text, {lineCounter: lc, prettyErrors: false})
  const list = Array.isArray(docs) ? docs : []
  const lineOf = (offset: number | undefined) => (offset === undefined ? null : lc.linePos(offset).line)
  if (list.length > 1)
    throw new Invalid(lineOf(list[1].range[0]), 'holds more than one YAML document; keep one (a single ignore: list)')
  const doc = list[0]
  if (!doc) return null
  const err = doc.errors[0]
  if (err) throw new Invalid(lineOf(err.pos[0]), `invalid YAML: ${yamlReason(err.message)}`)
  let value: unknown
  try {
    value = doc.toJS({maxAliasCount: MAX_ALIAS_COUNT})
  } catch (error) {
    throw new Invalid(
      null,
      error instanceof ReferenceError
        ? aliasMessage('expansion')
        : `invalid YAML: ${yamlReason((error as Error).message)}`,
    )
  }

  const problem = aliasProblem(value)
  if (problem) throw new Invalid(null, aliasMessage(problem))
  const seq = isMap(doc.contents) ? doc.contents.get('ignore', true) : doc.contents
  return {
    keyLine(node, k) {
      if (!isMap(node)) return null
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === k)
      return pair && isScalar(pair.key) ? lineOf(pair.key.range?.[0]) : null
    },
    nodeLine: (node) => lineOf((node as undefined | {range?: [number]})?.range?.[0]),
    nodes: isSeq(seq) ? seq.items : [],
    top: doc.contents,
    value,
  }
}

function checkKeys(d: IgnoreDoc, where: string, node: unknown, obj: Obj, valid: readonly string[]): void {
  const bad = Object.keys(obj).find((k) => !valid.includes(k))
  if (bad === undefined) return
  const near = nearest(bad, valid)
  throw new Invalid(
    d.keyLine(node, bad),
    `unknown key ${JSON.stringify(bad)}${where}${near ? ` — did you mean ${JSON.stringify(near)}?` : ''} (valid: ${valid.join(', ')})`,
  )
}

function entryOf(d: IgnoreDoc, raw: unknown, i: number): IgnoreEntry {
  const node = d.nodes[i]
  const at = d.nodeLine(node)
  if (!raw || typeof raw !== 'object' || Array.isArray(raw))
    throw new Invalid(at, `ignore[${i}] must be a mapping such as {rule: run-as-root, name: couchdb-*}`)
  const e = raw as Obj
  checkKeys(d, ` in ignore[${i}]`, node, e, ENTRY_KEYS)
  for (const k of ['kind', 'namespace', 'name', 'container', 'reason'])
    if (e[k] !== null && e[k] !== undefined && typeof e[k] === 'object')
      throw new Invalid(d.keyLine(node, k) ?? at, `ignore[${i}].${k} must be a string (a name or a glob)`)
  const rules = split(e.rule ?? e.rules)
  const unknown = rules.filter((r) => r !== 'all' && r !== '*' && !RULES_BY_ID.has(r))
  if (rules.length === 0 || unknown.length > 0)
    throw new Invalid(
      d.keyLine(node, e.rule === undefined ? 'rules' : 'rule') ?? at,
      `ignore[${i}].rule ${rules.length === 0 ? 'is missing' : `names unknown rule ${unknown.join(', ')}`} (see fabk8s doctor --list-rules)`,
    )
  return {
    container: textField(e, 'container'),
    kind: textField(e, 'kind'),
    name: textField(e, 'name'),
    namespace: textField(e, 'namespace'),
    reason: textField(e, 'reason'),
    rules,
  }
}

function entriesOf(d: IgnoreDoc): IgnoreEntry[] {
  const {value} = d
  if (value === null || value === undefined) return []
  let items: unknown
  if (Array.isArray(value)) items = value
  else if (typeof value === 'object') {
    checkKeys(d, '', d.top, value as Obj, TOP_KEYS)
    items = (value as Obj).ignore
    if (!Array.isArray(items)) throw new Invalid(d.keyLine(d.top, 'ignore') ?? 1, SHAPE)
  } else throw new Invalid(1, SHAPE)
  return (items as unknown[]).map((raw, i) => entryOf(d, raw, i))
}

/** Load an ignore file. `required` false: a missing file is fine (the default path). Problems are input errors. */
/**
 * The default ignore file: `.fabk8s-doctor.yaml` in `cwd` or the nearest folder above it up to the repository's root,
 * so that a CI step run in a subfolder (`working-directory: deploy`) keeps the repository's suppressions. Outside a
 * repository only `cwd` is looked in. Given relative to `cwd` (as errors name it), or undefined when there is none.
 */
export function findIgnoreFile(cwd: string): string | undefined {
  const root = repoRoot(cwd)
  for (let dir = path.resolve(cwd); ; dir = path.dirname(dir)) {
    const file = path.join(dir, DEFAULT_IGNORE_FILE)
    if (existsSync(file)) return path.relative(cwd, file)
    if (dir === root || path.dirname(dir) === dir) return undefined
  }
}

/** The ignore entries doctor applies: `--ignore-file` (which must exist), else the default file when there is one. */
export async function loadIgnores(
  o: {ignoreFile?: string; noDefaultIgnoreFile?: boolean},
  cwd = process.cwd(),
): Promise<{entries: IgnoreEntry[]; error?: InputError}> {
  if (o.ignoreFile) return loadIgnoreFile(o.ignoreFile, true)
  const file = o.noDefaultIgnoreFile ? undefined : findIgnoreFile(cwd)
  return file === undefined ? {entries: []} : loadIgnoreFile(file, false)
}

export async function loadIgnoreFile(
  file: string,
  required: boolean,
): Promise<{entries: IgnoreEntry[]; error?: InputError}> {
  try {
    const st = await fs.stat(file)
    if (st.isFile() && st.size > MAX_IGNORE_FILE_BYTES)
      throw new Invalid(null, `${st.size} bytes is more than an ignore file may hold (${MAX_IGNORE_FILE_BYTES})`)
    const doc = await parseIgnoreYaml(await fs.readFile(file, 'utf8'))
    return {entries: doc ? entriesOf(doc) : []}
  } catch (error) {
    if (!required && (error as NodeJS.ErrnoException).code === 'ENOENT') return {entries: []}
    const line = error instanceof Invalid ? error.line : null
    return {entries: [], error: {file, line, message: `ignore file ${file}: ${(error as Error).message}`}}
  }
}

function textField(e: Record<string, unknown>, k: string): string | undefined {
  return e[k] === null || e[k] === undefined ? undefined : String(e[k])
}
