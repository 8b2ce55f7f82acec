/** `fabk8s doctor`: read inputs, analyse every object, run the rules, apply suppressions, summarise. */
import {readSources} from './input/files.js'
import {locate} from './input/locate.js'
import {type ParsedObject, parseSources} from './input/parse.js'
import {ConfigMapIndex} from './model/configmaps.js'
import {analyze} from './model/extract.js'
import {type AnalysisContext} from './model/types.js'
import {RULES} from './rules/index.js'
import {KUBERNETES_ONLY} from './rules/rule.js'
import {annotatedIgnores, DEFAULT_IGNORE_FILE, type IgnoreEntry, loadIgnoreFile, matchesEntry} from './suppress.js'
import {
  atOrAbove,
  type CheckedObject,
  type ClusterOptions,
  type FailOn,
  type Finding,
  type InputError,
  type Report,
  SEVERITIES,
  type Severity,
} from './types.js'

export interface DoctorOptions {
  cluster?: ClusterOptions
  failOn?: FailOn
  files?: string[]
  /** Explicit ignore file (must exist); without it `.fabk8s-doctor.yaml` in cwd is used when present. */
  ignoreFile?: string
  /** Largest input read (default MAX_INPUT_BYTES). */
  maxInputBytes?: number
  /** Do not look for the default ignore file. */
  noDefaultIgnoreFile?: boolean
  /** Rule IDs to run (default: all). */
  rules?: string[]
  /** What "-f -" reads (default process.stdin). */
  stdin?: NodeJS.ReadableStream
}

export interface CheckResult {
  checked: CheckedObject[]
  findings: Finding[]
  suppressed: number
}

/** Run the rules over parsed objects (ConfigMaps of the same set are resolved against each other). */
export function checkObjects(objects: ParsedObject[], ignore: IgnoreEntry[] = [], only?: Set<string>): CheckResult {
  const configMaps = new ConfigMapIndex()
  for (const o of objects) if (!o.prepared && o.obj.kind === 'ConfigMap') configMaps.add(o.obj)
  const ctx: AnalysisContext = {configMaps}
  const rules = only ? RULES.filter((r) => only.has(r.id)) : RULES
  const findings: Finding[] = []
  const checked: CheckedObject[] = []
  let suppressed = 0
  for (const o of objects) {
    const a = o.prepared ? {...o.prepared, ctx} : analyze(o.obj, ctx)
    checked.push({file: o.file, kind: a.kind || null, name: a.name, namespace: a.namespace})
    let ann: Set<string> | undefined
    for (const rule of rules) {
      if (!(rule.inputs ?? KUBERNETES_ONLY).includes(a.input)) continue
      const raw = rule.check(a)
      if (raw.length === 0) continue
      ann ??= annotatedIgnores(a)
      for (const r of raw) {
        const f: Finding = {
          container: r.container,
          file: o.file,
          kind: a.kind || null,
          line: null,
          message: r.message,
          name: a.name,
          namespace: a.namespace,
          remediation: r.remediation ?? rule.remediation,
          rule: rule.id,
          severity: r.severity ?? rule.severity,
        }
        if (ann.has('all') || ann.has(rule.id) || ignore.some((e) => matchesEntry(e, f))) {
          suppressed++
          continue
        }

        if (o.doc) f.line = locate(o.doc, r.locate, o.from)
        findings.push(f)
      }
    }
  }

  return {checked, findings, suppressed}
}

export function exitCodeOf(findings: Finding[], errors: InputError[], failOn: FailOn): 0 | 1 | 2 {
  if (errors.length > 0) return 2
  return findings.some((f) => atOrAbove(f.severity, failOn)) ? 1 : 0
}

export async function runDoctor(opts: DoctorOptions): Promise<Report> {
  const failOn = opts.failOn ?? 'high'
  const errors: InputError[] = []
  let ignore: IgnoreEntry[] = []
  if (opts.ignoreFile) {
    const r = await loadIgnoreFile(opts.ignoreFile, true)
    ignore = r.entries
    if (r.error) errors.push(r.error)
  } else if (!opts.noDefaultIgnoreFile) {
    const r = await loadIgnoreFile(DEFAULT_IGNORE_FILE, false)
    ignore = r.entries
    if (r.error) errors.push(r.error)
  }

  let objects: ParsedObject[] = []
  let sources: string[] = []
  if (opts.cluster) {
    const {readCluster} = await import('./input/cluster.js')
    const r = await readCluster(opts.cluster)
    objects = r.objects
    errors.push(...r.errors)
  }

  if (opts.files && opts.files.length > 0) {
    const read = await readSources(opts.files, {maxBytes: opts.maxInputBytes, stdin: opts.stdin})
    errors.push(...read.errors)
    const parsed = await parseSources(read.sources)
    sources = parsed.sources
    errors.push(...parsed.errors)
    objects = [...objects, ...parsed.objects]
  }

  const {checked, findings, suppressed} = checkObjects(objects, ignore, opts.rules ? new Set(opts.rules) : undefined)
  const bySeverity = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>
  for (const f of findings) bySeverity[f.severity]++
  const exitCode = exitCodeOf(findings, errors, failOn)
  return {
    checked,
    errors,
    findings,
    sources,
    summary: {
      bySeverity,
      errors: errors.length,
      exitCode,
      failOn,
      files: sources.length,
      findings: findings.length,
      objects: objects.length,
      source: opts.cluster ? 'cluster' : 'files',
      suppressed,
    },
    suppressed,
  }
}
