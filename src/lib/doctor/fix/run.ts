/**
 * `fabk8s doctor --fix`: check the inputs, plan the migration edits (plan.ts), apply them, check the result again,
 * then write every changed file (beside the original as NAME.fixed.EXT, or in place) or return unified diffs.
 * Files with input errors are not touched. Every destination is checked first, all files are staged (temp file,
 * fsync) and renamed into place only when every one was staged, and a failed rename undoes the ones before it, so a
 * failed run leaves the originals and earlier outputs as they were (writeAll).
 */
import {randomBytes} from 'node:crypto'
import {promises as fs, constants as fsConstants, type Stats} from 'node:fs'
import path from 'node:path'
import {parseAllDocuments} from 'yaml'

import type {Analyzed} from '../model/types.js'

import {FabError, messageOf} from '../../errors.js'
import {readSources, type Source} from '../input/files.js'
import {parseSources} from '../input/parse.js'
import {RULES_BY_ID} from '../rules/index.js'
import {Checker, exitCodeOf} from '../run.js'
import {annotatedIgnores, type IgnoreEntry, loadIgnores, matchesEntry} from '../suppress.js'
import {type FailOn, type Finding, type InputError} from '../types.js'
import {unifiedDiff} from './diff.js'
import {applyEdits, CannotEdit, withEolOf} from './edits.js'
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
   * Findings of LISTED_RULES that remain in the fixed output, each with why it was not fixed; `unseen`
   * marks what doctor cannot check itself (a compose env_file), listed by --fix alone.
   */
  notFixed: (Finding & {reason: string; unseen?: true})[]
  /** How many findings of other rules the fixed output has (not in --fix's scope). */
  otherFindings: number
  /** Those findings, each as doctor reports it: the ones at or above --fail-on keep the exit code at 1. */
  others: Finding[]
  summary: {
    errors: number
    exitCode: 0 | 1 | 2
    failOn: FailOn
    files: number
    filesChanged: number
    fixes: number
    mode: FixMode
    notFixed: number
  }
}

/**
 * The rules whose findings in the fixed output --fix lists as not fixed, each with its reason: those it fixes, and
 * the Docker ones it never changes (a Fabric operator resource: its operator writes the pod).
 */
export const LISTED_RULES: readonly string[] = [...FIXED_RULES, 'operator-docker-socket']

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
  const ignores = await loadIgnores(opts)
  const ignore: IgnoreEntry[] = ignores.entries
  if (ignores.error) errors.push(ignores.error)

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
    const planned = plan.edits.get(src.file)
    if (!planned || planned.length === 0) continue
    const edits = withEolOf(src.text, planned)
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
  const scope = new Set<string>(LISTED_RULES)
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
    others: after.findings.filter((f) => !scope.has(f.rule)),
    summary: {
      errors: errors.length,
      exitCode,
      failOn,
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
  if (f.rule === 'operator-docker-socket')
    return 'a Fabric operator resource: its operator writes the pod, so change the resource by hand (see the remediation)'
  if (f.rule === 'dind-sidecar' || f.rule === 'docker-socket-mount' || f.rule === 'runtime-socket-volume')
    return 'not part of a Fabric workload --fix can migrate'
  return 'not changed automatically; see the remediation'
}

/** One output on its way: the temp file, and the copy of the file it replaces (none when the file is new). */
interface Staged {
  backup?: string
  target: string
  tmp: string
}

const tempName = (target: string, what: string) =>
  path.join(
    path.dirname(path.resolve(target)),
    `.${path.basename(target)}.${process.pid}-${randomBytes(4).toString('hex')}.${what}`,
  )

const codeOf = (error: unknown) => (error as NodeJS.ErrnoException).code ?? messageOf(error)

/**
 * Write every output all or nothing, as far as the filesystem allows. 1. Check every destination (not a folder, its
 * folder writable) before writing anything. 2. Stage each output as a temp file beside it (fsync), and keep the file
 * it replaces (an earlier NAME.fixed.EXT, or the input itself with --in-place) as a hard link or a copy. 3. Rename
 * them all into place; if one rename fails, the ones done are undone (the kept files renamed back, new files removed)
 * and the error says which file failed and, if an undo failed too, exactly which files were written and which not.
 */
async function writeAll(files: FixedFile[], texts: Map<string, string>): Promise<void> {
  const outputs = files.map((f) => f.output!)
  const seen = new Map<string, string>()
  for (const [i, target] of outputs.entries()) {
    const other = seen.get(path.resolve(target))
    if (other !== undefined)
      throw new FabError(
        'FILESYSTEM',
        `${target}: both ${other} and ${files[i].file} would be written to it; no file was changed`,
        {hint: 'rename one of the inputs, or use --diff or --in-place'},
      )
    seen.set(path.resolve(target), files[i].file)
  }

  for (const target of outputs) await checkDestination(target)

  const staged: Staged[] = []
  let target = ''
  try {
    for (const f of files) {
      target = f.output!
      let mode = 0o644
      try {
        mode = (await fs.stat(f.file)).mode & 0o777
      } catch {
        /* keep the default */
      }

      const s: Staged = {target, tmp: tempName(target, 'tmp')}
      const h = await fs.open(s.tmp, 'wx', mode)
      staged.push(s)
      try {
        await h.writeFile(texts.get(f.file)!)
        await h.sync()
      } finally {
        await h.close()
      }

      // the file it replaces (a symlink: the link itself) stays reachable until every rename is done
      if (await exists(target)) {
        const backup = tempName(target, 'orig')
        try {
          await fs.link(target, backup)
        } catch {
          await fs.copyFile(target, backup, fsConstants.COPYFILE_EXCL)
        }

        s.backup = backup
      }
    }
  } catch (error) {
    await removeAll(staged.flatMap((s) => [s.tmp, s.backup ?? '']))
    throw new FabError('FILESYSTEM', `${target}: cannot write (${codeOf(error)}); no file was changed`, {
      hint: 'check that the folder is writable and has space',
    })
  }

  const done: Staged[] = []
  for (const s of staged) {
    try {
      await fs.rename(s.tmp, s.target)
      done.push(s)
    } catch (error) {
      await removeAll(staged.filter((x) => !done.includes(x)).flatMap((x) => [x.tmp, x.backup ?? '']))
      const problems: string[] = []
      const undone: Staged[] = []
      for (const d of [...done].reverse()) {
        try {
          await (d.backup ? fs.rename(d.backup, d.target) : fs.unlink(d.target))
          undone.push(d)
        } catch (error_) {
          problems.push(
            d.backup
              ? `could not put back ${d.target} (${codeOf(error_)}): the previous file is at ${d.backup}`
              : `could not remove ${d.target} (${codeOf(error_)})`,
          )
        }
      }

      const why = `${s.target}: cannot write (${codeOf(error)})`
      if (problems.length === 0)
        throw new FabError('FILESYSTEM', `${why}; no file was changed`, {
          hint: 'check that the folder is writable and has space',
        })
      const written = done.filter((d) => !undone.includes(d)).map((d) => d.target)
      const notWritten = staged.filter((x) => !written.includes(x.target)).map((x) => x.target)
      throw new FabError(
        'FILESYSTEM',
        `${why}; written: ${written.join(', ')}; not written: ${notWritten.join(', ')}`,
        {
          detail: {notWritten, problems, written},
          hint: problems.join('; '),
        },
      )
    }
  }

  await removeAll(staged.map((s) => s.backup ?? ''))
}

/** A destination doctor --fix can rename a file onto: not a folder, in a folder it can write. */
async function checkDestination(target: string): Promise<void> {
  const fail = (why: string, hint: string): never => {
    throw new FabError('FILESYSTEM', `${target}: cannot write (${why}); no file was changed`, {hint})
  }

  let st: Stats | undefined
  try {
    st = await fs.lstat(target)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') fail(codeOf(error), 'check the path and its permissions')
  }

  if (st?.isDirectory())
    fail('EISDIR: a folder has that name', 'move the folder out of the way, or use --diff or --in-place')
  const dir = path.dirname(path.resolve(target))
  try {
    await fs.access(dir, fsConstants.W_OK | fsConstants.X_OK)
  } catch (error) {
    fail(`${codeOf(error)}: its folder is not writable`, `make ${dir} writable, or use --diff`)
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await fs.lstat(p)
    return true
  } catch {
    return false
  }
}

async function removeAll(paths: string[]): Promise<void> {
  await Promise.all(paths.filter(Boolean).map((p) => fs.rm(p, {force: true}).catch(() => {})))
}
