/**
 * `fabk8s doctor --fix`: check the inputs, plan the migration edits (plan.ts), apply them, check the result again,
 * then write every changed file (beside the original as NAME.fixed.EXT, or in place) or return unified diffs.
 * Files with input errors are not touched. All files are staged first (temp file, fsync) and renamed into place
 * only when every one was staged, so a failed run leaves the originals and earlier outputs as they were.
 */
import {randomBytes} from 'node:crypto'
import {promises as fs} from 'node:fs'
import path from 'node:path'
import {parseAllDocuments} from 'yaml'

import type {Analyzed} from '../model/types.js'

import {readSources, type Source} from '../input/files.js'
import {parseSources} from '../input/parse.js'
import {RULES_BY_ID} from '../rules/index.js'
import {Checker, exitCodeOf} from '../run.js'
import {annotatedIgnores, DEFAULT_IGNORE_FILE, type IgnoreEntry, loadIgnoreFile, matchesEntry} from '../suppress.js'
import {type FailOn, type Finding, type InputError} from '../types.js'
import {unifiedDiff} from './diff.js'
import {applyEdits, CannotEdit} from './edits.js'
import {type Fix, FIXED_RULES, planFixes} from './plan.js'

export type FixMode = 'beside' | 'diff' | 'in-place'

export interface FixOptions {
  failOn?: FailOn
  files: string[]
  ignoreFile?: string
  /** Keep the fixed text of each changed source in the result (--cluster prints it as the object to apply). */
  keepText?: boolean
  mode: FixMode
  noDefaultIgnoreFile?: boolean
  /** Sources already read (the live cluster's objects as YAML): used instead of `files`. */
  sources?: Source[]
  stdin?: NodeJS.ReadableStream
}

export interface FixedFile {
  /** The unified diff (always computed; printed with --diff). */
  diff: string
  file: string
  fixes: number
  /** Where the fixed text went: NAME.fixed.EXT, the file itself, or null with --diff. */
  output: null | string
  /** The fixed text, with keepText. */
  text?: string
}

export interface FixResult {
  errors: InputError[]
  files: FixedFile[]
  fixes: Fix[]
  /**
   * Findings of the rules --fix addresses that remain in the fixed output, each with why it was not fixed; `unseen`
   * marks what doctor cannot check itself (a compose env_file), listed by --fix alone.
   */
  notFixed: (Finding & {reason: string; unseen?: true})[]
  /** Findings of other rules in the fixed output (not in --fix's scope). */
  otherFindings: number
  summary: {
    errors: number
    exitCode: 0 | 1 | 2
    files: number
    filesChanged: number
    fixes: number
    mode: FixMode
    notFixed: number
  }
}

/** NAME.fixed.EXT beside NAME.EXT. */
export function besidePath(file: string): string {
  const ext = path.extname(file)
  return file.slice(0, file.length - ext.length) + '.fixed' + (ext || '.yaml')
}

async function check(sources: Source[], ignore: IgnoreEntry[]) {
  const checker = new Checker(ignore)
  const parsed = await parseSources(sources, (o) => checker.add(o))
  return {errors: parsed.errors, ...checker.finish()}
}

export async function runFix(opts: FixOptions): Promise<FixResult> {
  const failOn = opts.failOn ?? 'high'
  const errors: InputError[] = []
  let ignore: IgnoreEntry[] = []
  if (opts.ignoreFile || !opts.noDefaultIgnoreFile) {
    const r = await loadIgnoreFile(opts.ignoreFile ?? DEFAULT_IGNORE_FILE, Boolean(opts.ignoreFile))
    ignore = r.entries
    if (r.error) errors.push(r.error)
  }

  const read = opts.sources ? {errors: [], sources: opts.sources} : await readSources(opts.files, {stdin: opts.stdin})
  errors.push(...read.errors)
  const before = await check(read.sources, ignore)
  errors.push(...before.errors)
  const broken = new Set(before.errors.map((e) => e.file))
  const fixable = read.sources.filter((s) => !broken.has(s.file) && (opts.mode === 'diff' || s.file !== '<stdin>'))
  const suppressed = (a: Analyzed, rule: string, container: null | string): boolean => {
    const ann = annotatedIgnores(a)
    if (ann.has('all') || ann.has(rule)) return true
    const f = {container, kind: a.kind || null, name: a.name, namespace: a.namespace, rule} as Finding
    return ignore.some((e) => matchesEntry(e, f))
  }

  const plan = planFixes(fixable, suppressed)
  const reasons = [...plan.notFixed]
  const fixedText = new Map<string, string>()
  const files: FixedFile[] = []
  let {fixes} = plan
  for (const src of fixable) {
    const edits = plan.edits.get(src.file)
    if (!edits || edits.length === 0) continue
    let text: string
    let diff: string
    try {
      text = applyEdits(src.text, edits)
      diff = unifiedDiff(
        src.text,
        edits,
        `a/${src.file.replace(/^\/+/, '')}`,
        `b/${(opts.mode === 'beside' ? besidePath(src.file) : src.file).replace(/^\/+/, '')}`,
      )
    } catch (error) {
      if (!(error instanceof CannotEdit)) throw error
      fixes = fixes.filter((f) => f.file !== src.file)
      reasons.push({
        container: null,
        file: src.file,
        kind: null,
        name: null,
        reason: `${error.message}: change it by hand`,
        rule: '*',
      })
      continue
    }

    // the fixed text must still be YAML the next run reads; if not, it is a bug here: nothing is written
    const docs = parseAllDocuments(text)
    if ((Array.isArray(docs) ? docs : [docs]).some((d) => d.errors.length > 0))
      throw new Error(`doctor --fix produced invalid YAML for ${src.file}; nothing was written`)
    fixedText.set(src.file, text)
    files.push({
      diff,
      file: src.file,
      fixes: fixes.filter((f) => f.file === src.file).length,
      output: opts.mode === 'diff' ? null : opts.mode === 'in-place' ? src.file : besidePath(src.file),
      ...(opts.keepText ? {text} : {}),
    })
  }

  // check the result: every source, fixed or not (ConfigMaps and workloads may sit in different files)
  const after = await check(
    read.sources.map((s) => ({...s, text: fixedText.get(s.file) ?? s.text})),
    ignore,
  )
  const scope = new Set<string>(FIXED_RULES)
  const notFixed: FixResult['notFixed'] = after.findings
    .filter((f) => scope.has(f.rule))
    .map((f) => ({
      ...f,
      reason:
        reasons.find(
          (r) =>
            !r.unseen &&
            r.file === f.file &&
            (r.rule === f.rule || r.rule === '*') &&
            (r.name === null || r.name === f.name) &&
            (r.container === null || r.container === f.container),
        )?.reason ?? notFixedReason(f, broken),
    }))
  for (const r of reasons) {
    const rule = r.unseen && RULES_BY_ID.get(r.rule)
    if (!rule || !r.unseen) continue
    notFixed.push({
      container: r.container,
      file: r.file,
      kind: r.kind,
      line: r.unseen.line,
      message: r.unseen.message,
      name: r.name,
      namespace: null,
      reason: r.reason,
      remediation: rule.remediation,
      rule: r.rule,
      severity: rule.severity,
      unseen: true,
    })
  }

  if (opts.mode !== 'diff') await writeAll(files, fixedText)
  const exitCode = exitCodeOf(after.findings, errors, failOn)
  return {
    errors,
    files,
    fixes,
    notFixed,
    otherFindings: after.findings.length - notFixed.filter((n) => !n.unseen).length,
    summary: {
      errors: errors.length,
      exitCode,
      files: read.sources.length,
      filesChanged: files.length,
      fixes: fixes.length,
      mode: opts.mode,
      notFixed: notFixed.length,
    },
  }
}

function notFixedReason(f: Finding, broken: Set<null | string>): string {
  if (broken.has(f.file)) return 'the file has input errors: it was not changed'
  if (f.rule === 'privileged-container')
    return 'privileged for its own reasons (not a Fabric container that ran Docker)'
  if (f.rule === 'dind-sidecar' || f.rule === 'docker-socket-mount' || f.rule === 'runtime-socket-volume')
    return 'not part of a Fabric workload --fix can migrate'
  return 'not changed automatically; see the remediation'
}

/** Stage every output (temp file in its folder, fsync), then rename them all into place. */
async function writeAll(files: FixedFile[], texts: Map<string, string>): Promise<void> {
  const staged: {target: string; tmp: string}[] = []
  let target = ''
  try {
    for (const f of files) {
      target = f.output!
      const dir = path.dirname(path.resolve(target))
      const tmp = path.join(dir, `.${path.basename(target)}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`)
      let mode = 0o644
      try {
        mode = (await fs.stat(f.file)).mode & 0o777
      } catch {
        /* keep the default */
      }

      const h = await fs.open(tmp, 'wx', mode)
      staged.push({target, tmp})
      try {
        await h.writeFile(texts.get(f.file)!)
        await h.sync()
      } finally {
        await h.close()
      }
    }
  } catch (error) {
    await Promise.all(staged.map((s) => fs.rm(s.tmp, {force: true}).catch(() => {})))
    const e = error as NodeJS.ErrnoException
    throw new FixWriteError(`${target}: cannot write (${e.code ?? e.message}); no file was changed`)
  }

  for (const s of staged) await fs.rename(s.tmp, s.target)
}

export class FixWriteError extends Error {}
