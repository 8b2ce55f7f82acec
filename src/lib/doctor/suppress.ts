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
import jsyaml from 'js-yaml'
import {promises as fs} from 'node:fs'

import type {Analyzed, Obj} from './model/types.js'
import type {Finding, InputError} from './types.js'

import {RULES_BY_ID} from './rules/index.js'

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

/** Load an ignore file. `required` false: a missing file is fine (the default path). Problems are input errors. */
export async function loadIgnoreFile(
  file: string,
  required: boolean,
): Promise<{entries: IgnoreEntry[]; error?: InputError}> {
  let text: string
  try {
    text = await fs.readFile(file, 'utf8')
  } catch (error) {
    if (!required && (error as NodeJS.ErrnoException).code === 'ENOENT') return {entries: []}
    return {entries: [], error: {file, line: null, message: `ignore file ${file}: ${(error as Error).message}`}}
  }

  let doc: unknown
  try {
    doc = jsyaml.load(text, {json: true})
  } catch (error) {
    const e = error as jsyaml.YAMLException
    return {
      entries: [],
      error: {file, line: (e.mark?.line ?? 0) + 1, message: `ignore file ${file}: invalid YAML: ${e.reason}`},
    }
  }

  if (doc === null || doc === undefined) return {entries: []}
  const list = Array.isArray(doc) ? doc : (doc as Obj).ignore
  if (!Array.isArray(list))
    return {
      entries: [],
      error: {
        file,
        line: 1,
        message: `ignore file ${file}: expected a top-level "ignore:" list of {rule, kind, namespace, name}`,
      },
    }
  const entries: IgnoreEntry[] = []
  for (const [i, raw] of list.entries()) {
    const e = (raw ?? {}) as Obj
    const rules = split(e.rule ?? e.rules)
    const unknown = rules.filter((r) => r !== 'all' && r !== '*' && !RULES_BY_ID.has(r))
    if (rules.length === 0 || unknown.length > 0)
      return {
        entries: [],
        error: {
          file,
          line: null,
          message: `ignore file ${file}: ignore[${i}].rule ${rules.length === 0 ? 'is missing' : `names unknown rule ${unknown.join(', ')}`} (see fabk8s doctor --list-rules)`,
        },
      }
    entries.push({
      container: textField(e, 'container'),
      kind: textField(e, 'kind'),
      name: textField(e, 'name'),
      namespace: textField(e, 'namespace'),
      reason: textField(e, 'reason'),
      rules,
    })
  }

  return {entries}
}

function textField(e: Record<string, unknown>, k: string): string | undefined {
  return e[k] === null || e[k] === undefined ? undefined : String(e[k])
}
