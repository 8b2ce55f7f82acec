import type {AnalysisContext, Analyzed, Obj} from './model/types.js'

/** `fabk8s doctor`: read inputs, analyse every object, run the rules, apply suppressions, summarise. */
import {readSources} from './input/files.js'
import {locate} from './input/locate.js'
import {type ParsedObject, parseSources, reparse} from './input/parse.js'
import {ConfigMapIndex, configMapRefs} from './model/configmaps.js'
import {analyze} from './model/extract.js'
import {RULES} from './rules/index.js'
import {KUBERNETES_ONLY, type Rule} from './rules/rule.js'
import {annotatedIgnores, type IgnoreEntry, loadIgnores, matchesEntry} from './suppress.js'
import {
  atOrAbove,
  type CheckedObject,
  type ClusterOptions,
  type FailOn,
  type Finding,
  type InputError,
  type InputKind,
  type Report,
  SEVERITIES,
  type Severity,
} from './types.js'

export interface DoctorOptions {
  cluster?: ClusterOptions
  failOn?: FailOn
  files?: string[]
  /**
   * Explicit ignore file (must exist); without it `.fabk8s-doctor.yaml` is used when present, in cwd or a folder above
   * it up to the repository's root.
   */
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

/** What one object gave. */
interface Slot {
  checked: CheckedObject
  findings: Finding[]
  suppressed: number
}

/** An object checked before a ConfigMap it names was seen: how to read it again if that ConfigMap turns up. */
interface Pending {
  index: number
  names: string[]
  source: ParsedObject
}

/**
 * Checks objects one by one as the parser emits them, so parsed documents do not pile up in memory (most of the
 * cost of a big input is the garbage collector moving retained objects). ConfigMaps resolve against those seen so
 * far; an object that names a ConfigMap not seen yet is remembered without its parsed value, and read again and
 * re-checked at the end if that ConfigMap appeared later in the input.
 */
export class Checker {
  private readonly configMaps = new ConfigMapIndex()
  private readonly ctx: AnalysisContext = {configMaps: this.configMaps}
  private readonly pending: Pending[] = []
  private readonly rulesByInput = new Map<InputKind, Rule[]>()
  private readonly selected: readonly Rule[]
  private readonly slots: Slot[] = []

  constructor(
    private readonly ignore: IgnoreEntry[] = [],
    only?: Set<string>,
  ) {
    this.selected = only ? RULES.filter((r) => only.has(r.id)) : RULES
  }

  /** Check an object now. `indexed`: its ConfigMap is already in the index (batch checks index them first). */
  add(o: ParsedObject, indexed = false): void {
    if (!indexed && !o.prepared && o.obj.kind === 'ConfigMap') this.configMaps.add(o.obj)
    const {a, slot} = this.check(o)
    this.slots.push(slot)
    if (o.prepared || !o.doc || indexed) return
    const unseen = configMapRefs(a).filter((n) => !this.configMaps.has(n))
    if (unseen.length > 0)
      this.pending.push({index: this.slots.length - 1, names: unseen, source: {...o, obj: PLACEHOLDER}})
  }

  /** Every object's findings, in input order. */
  finish(): CheckResult {
    for (const p of this.pending)
      if (p.names.some((n) => this.configMaps.has(n)))
        this.slots[p.index] = this.check({...p.source, obj: reparse(p.source)}).slot
    this.pending.length = 0
    const findings: Finding[] = []
    const checked: CheckedObject[] = []
    let suppressed = 0
    for (const s of this.slots) {
      checked.push(s.checked)
      for (const f of s.findings) findings.push(f)
      suppressed += s.suppressed
    }

    return {checked, findings, suppressed}
  }

  /** Index a ConfigMap before the objects that name it are checked. */
  index(obj: Obj): void {
    this.configMaps.add(obj)
  }

  private check(o: ParsedObject): {a: Analyzed; slot: Slot} {
    const {ctx, ignore} = this
    const a = o.prepared ? {...o.prepared, ctx} : analyze(o.obj, ctx)
    const slot: Slot = {
      checked: {file: o.file, kind: a.kind || null, name: a.name, namespace: a.namespace},
      findings: NO_FINDINGS,
      suppressed: 0,
    }
    let ann: Set<string> | undefined
    for (const rule of this.rulesFor(a.input)) {
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
          slot.suppressed++
          continue
        }

        if (o.doc) f.line = locate(o.doc, r.locate, o.from)
        if (slot.findings === NO_FINDINGS) slot.findings = []
        slot.findings.push(f)
      }
    }

    return {a, slot}
  }

  /** The rules that read a kind of input, chosen once. */
  private rulesFor(input: InputKind): Rule[] {
    let rules = this.rulesByInput.get(input)
    if (!rules)
      this.rulesByInput.set(input, (rules = this.selected.filter((r) => (r.inputs ?? KUBERNETES_ONLY).includes(input))))
    return rules
  }
}

const NO_FINDINGS: Finding[] = []
const PLACEHOLDER: Obj = Object.freeze({})

/** Run the rules over parsed objects; their ConfigMaps resolve against each other wherever they sit. */
export function checkObjects(objects: ParsedObject[], ignore: IgnoreEntry[] = [], only?: Set<string>): CheckResult {
  const checker = new Checker(ignore, only)
  for (const o of objects) if (!o.prepared && o.obj.kind === 'ConfigMap') checker.index(o.obj)
  for (const o of objects) checker.add(o, true)
  return checker.finish()
}

export function exitCodeOf(findings: Finding[], errors: InputError[], failOn: FailOn): 0 | 1 | 2 {
  if (errors.length > 0) return 2
  return findings.some((f) => atOrAbove(f.severity, failOn)) ? 1 : 0
}

export async function runDoctor(opts: DoctorOptions): Promise<Report> {
  const failOn = opts.failOn ?? 'high'
  const errors: InputError[] = []
  const ignores = await loadIgnores(opts)
  const ignore: IgnoreEntry[] = ignores.entries
  if (ignores.error) errors.push(ignores.error)

  const checker = new Checker(ignore, opts.rules ? new Set(opts.rules) : undefined)
  let sources: string[] = []
  if (opts.cluster) {
    const {readCluster} = await import('./input/cluster.js')
    const r = await readCluster(opts.cluster)
    errors.push(...r.errors)
    for (const o of r.objects) if (o.obj.kind === 'ConfigMap') checker.index(o.obj)
    for (const o of r.objects) checker.add(o, true)
  }

  if (opts.files && opts.files.length > 0) {
    const read = await readSources(opts.files, {maxBytes: opts.maxInputBytes, stdin: opts.stdin})
    errors.push(...read.errors)
    // objects are checked as they are parsed (see Checker)
    const parsed = await parseSources(read.sources, (o) => checker.add(o))
    sources = parsed.sources
    errors.push(...parsed.errors)
  }

  const {checked, findings, suppressed} = checker.finish()
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
      objects: checked.length,
      source: opts.cluster ? 'cluster' : 'files',
      suppressed,
    },
    suppressed,
  }
}
