import {existsSync} from 'node:fs'
import {
  link,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  realpath,
  rename,
  rm,
  rmdir,
  stat,
  unlink,
  writeFile,
} from 'node:fs/promises'
import path from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

import {FabError, messageOf} from '../errors.js'

export interface PlannedFile {
  content: Buffer
  /** File mode; a private file (no group/other bits, e.g. 0o600 for keys) also makes its new folders 0o700. */
  mode?: number
  /** Relative, with '/'. */
  path: string
}

/** Refuse a non-empty target unless force. */
export async function checkTarget(dir: string, force: boolean): Promise<'empty' | 'missing' | 'non-empty'> {
  if (!existsSync(dir)) return 'missing'
  const st = await stat(dir)
  if (!st.isDirectory()) throw new FabError('FILESYSTEM', `--dir: ${dir} exists and is not a folder`)
  const entries = await readdir(dir)
  if (entries.length === 0) return 'empty'
  if (!force)
    throw new FabError('FILESYSTEM', `--dir: ${dir} is not empty (${entries.length} entries); nothing was written`, {
      hint: 'choose an empty or new folder, or pass --force to write over files with the same names',
    })
  return 'non-empty'
}

const isPrivate = (f: PlannedFile) => f.mode !== undefined && (f.mode & 0o077) === 0
const lstatOrNone = (p: string) =>
  lstat(p).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return
    throw error
  })

/**
 * Why `files` cannot go into `dir` without destroying or escaping something: a folder (or anything but a file or
 * link) where a file goes, and a symbolic link or a file where a folder goes. --force replaces files, never
 * folders, and never writes through a link (a linked folder may lead outside the target).
 */
export async function findClashes(dir: string, files: PlannedFile[]): Promise<string[]> {
  const clashes = new Map<string, string>()
  for (const f of files) {
    const parts = f.path.split('/')
    for (let k = 1; k <= parts.length; k++) {
      const rel = parts.slice(0, k).join('/')
      const p = path.join(dir, rel)
      if (clashes.has(p)) break
      const st = await lstatOrNone(p)
      if (!st) break // missing: everything below is new
      if (k === parts.length) {
        if (!st.isFile() && !st.isSymbolicLink())
          clashes.set(
            p,
            `${p} is ${st.isDirectory() ? 'a folder' : 'not a regular file'} where init writes the file ${f.path}: move or rename it (--force replaces files, never folders)`,
          )
      } else if (st.isSymbolicLink())
        clashes.set(
          p,
          `${p} is a symbolic link where init writes the folder ${rel}: init never writes through links (it may lead outside ${dir}); replace it with a folder or remove it`,
        )
      else if (!st.isDirectory())
        clashes.set(p, `${p} is a file where init writes the folder ${rel}: move or rename it`)
    }
  }

  return [...clashes.values()]
}

/** Ctrl-C and friends, while files move: remembered and acted on between steps, so the undo always runs. */
class SignalTrap {
  private static readonly SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP']
  signal: NodeJS.Signals | undefined

  private readonly on = (s: NodeJS.Signals) => {
    this.signal ??= s
  }

  constructor() {
    for (const s of SignalTrap.SIGNALS) process.on(s, this.on)
  }

  check(): void {
    if (this.signal) throw new Interrupted(this.signal)
  }

  release(): void {
    for (const s of SignalTrap.SIGNALS) process.off(s, this.on)
  }
}

class Interrupted extends Error {
  constructor(readonly signal: NodeJS.Signals) {
    super(`interrupted (${signal})`)
  }
}

/**
 * Test hooks (never set by users): FABK8S_TEST_WRITE_DELAY_MS waits before every write and move, so a test can
 * interrupt a run mid-write; FABK8S_TEST_WRITE_FAIL_AT=N makes the Nth move fail like a disk error.
 */
async function testHook(move?: number): Promise<void> {
  const ms = Number(process.env.FABK8S_TEST_WRITE_DELAY_MS ?? 0)
  if (ms > 0) await sleep(ms)
  if (move !== undefined && Number(process.env.FABK8S_TEST_WRITE_FAIL_AT) === move)
    throw Object.assign(new Error('i/o error (FABK8S_TEST_WRITE_FAIL_AT)'), {code: 'EIO'})
}

type Step =
  {backup?: string; kind: 'file'; path: string} | {kind: 'dir'; path: string} | {kind: 'staging'; path: string}

/** What one run changed, in order, so it can be undone exactly (newest first). */
class Journal {
  readonly steps: Step[] = []

  /**
   * Make sure `rel` (below root) is a chain of real folders, creating what is missing with `mode`. Checked again
   * right before each file moves in, so a folder swapped for a link meanwhile is never written through.
   */
  async mkdirIn(root: string, rel: string, mode: number): Promise<void> {
    let p = root
    for (const part of rel.split('/')) {
      p = path.join(p, part)
      const st = await lstatOrNone(p)
      if (!st) {
        await mkdir(p, {mode})
        this.steps.push({kind: 'dir', path: p})
      } else if (st.isSymbolicLink() || !st.isDirectory())
        throw new FabError('FILESYSTEM', `${p} is no longer a folder (it changed while init ran)`)
    }
  }

  /** Create `dir` and its missing parents, one by one (each one recorded). */
  async mkdirUp(dir: string): Promise<void> {
    const missing: string[] = []
    for (let p = dir; !(await lstatOrNone(p)); p = path.dirname(p)) {
      missing.unshift(p)
      if (path.dirname(p) === p) break
    }

    for (const m of missing) {
      await mkdir(m)
      this.steps.push({kind: 'dir', path: m})
    }
  }

  /** Undo every step, newest first. Returns what could not be undone (empty: everything is as before). */
  async undo(): Promise<string[]> {
    const problems: string[] = []
    let keepStaging = false
    for (const s of [...this.steps].reverse()) {
      try {
        if (s.kind === 'file') {
          // the user's file comes back in one rename (it replaces ours); a new file is removed
          await (s.backup ? rename(s.backup, s.path) : unlink(s.path))
        } else if (s.kind === 'staging') {
          if (!keepStaging) await rm(s.path, {force: true, recursive: true})
        } else await rmdir(s.path)
      } catch (error) {
        if (s.kind === 'file' && s.backup) {
          keepStaging = true // it still holds the user's file
          problems.push(`could not put back ${s.path} (${messageOf(error)}); your file is at ${s.backup}`)
        } else problems.push(`could not remove ${s.path} (${messageOf(error)})`)
      }
    }

    return problems
  }
}

/** Keep the file at `p` as `backup` without `p` ever going missing: a hard link, or a rename where links fail. */
async function keep(p: string, backup: string): Promise<'linked' | 'renamed'> {
  await mkdir(path.dirname(backup), {recursive: true})
  try {
    await link(p, backup)
    return 'linked'
  } catch {
    await rename(p, backup)
    return 'renamed'
  }
}

/**
 * Write a set of files all-or-nothing, inside `dir` only. Everything is first written into a private staging
 * folder (0700) inside the target, then moved in file by file; a file that is replaced (--force) waits in the
 * staging folder until every file is in. Private files are created with their mode (keys 0600, in 0700 folders),
 * never wider first. On any failure, and on Ctrl-C/SIGTERM/SIGHUP, every step is undone: replaced files are put
 * back, new files and folders (the target and its parents included) are removed, and the error says so (exit 130
 * when interrupted). Returns a note when the finished run could not remove its staging folder.
 */
export async function writeAll(dir: string, files: PlannedFile[]): Promise<{note?: string}> {
  const target = path.resolve(dir)
  const existed = existsSync(target)
  const journal = new Journal()
  const trap = new SignalTrap()
  try {
    return await writeSteps(existed ? await realpath(target) : target, files, journal, trap)
  } catch (error) {
    const problems = await journal.undo()
    if (problems.length > 0)
      throw new FabError(
        'FILESYSTEM',
        `cannot write into ${target}: ${messageOf(error)}; undoing it failed:\n${problems.join('\n')}`,
      )
    const untouched = existed ? `nothing was changed in ${target}` : `${target} was not created`
    if (error instanceof Interrupted) throw new FabError('ABORTED', `${error.message}: ${untouched}`)
    if (error instanceof FabError) throw error
    const e = error as NodeJS.ErrnoException
    const msg = messageOf(e)
    const why = e.code && !msg.startsWith(e.code) ? `${e.code} ${msg}` : msg
    throw new FabError('FILESYSTEM', `cannot write into ${target}: ${why}; ${untouched}`)
  } finally {
    trap.release()
  }
}

/** The steps of writeAll, each recorded in the journal; `root` is the target (a link to a folder resolved). */
async function writeSteps(
  root: string,
  files: PlannedFile[],
  journal: Journal,
  trap: SignalTrap,
): Promise<{note?: string}> {
  const privateDirs = new Set(files.filter((f) => isPrivate(f)).map((f) => path.posix.dirname(f.path)))
  const dirMode = (rel: string) => (privateDirs.has(rel) ? 0o700 : 0o777)
  const clashes = await findClashes(root, files)
  if (clashes.length > 0)
    throw new FabError('FILESYSTEM', `${clashes.join('\n')}\nnothing was written`, {
      detail: {clashes},
      hint: 'init --force replaces files only; move the folders or links it names out of the way',
    })
  trap.check()
  await journal.mkdirUp(root)

  // 1. every file into a private staging folder inside the target (mkdtemp: 0700)
  const staging = await mkdtemp(path.join(root, '.fabk8s-init-'))
  journal.steps.push({kind: 'staging', path: staging})
  for (const f of files) {
    trap.check()
    await testHook()
    const p = path.join(staging, f.path)
    await mkdir(path.dirname(p), {mode: dirMode(path.posix.dirname(f.path)), recursive: true})
    await writeFile(p, f.content, {flag: 'wx', mode: f.mode ?? 0o666})
  }

  // 2. move them in, one atomic rename each; a replaced file is kept (hard link) until the end
  for (const [i, f] of files.entries()) {
    trap.check()
    await testHook(i + 1)
    const relDir = path.posix.dirname(f.path)
    if (relDir !== '.') await journal.mkdirIn(root, relDir, dirMode(relDir))
    const to = path.join(root, f.path)
    const backup = (await lstatOrNone(to)) ? path.join(staging, '.backup', f.path) : undefined
    const how = backup ? await keep(to, backup) : undefined
    try {
      await rename(path.join(staging, f.path), to)
    } catch (error) {
      if (how === 'renamed') await rename(backup!, to)
      throw error
    }

    journal.steps.push({backup, kind: 'file', path: to})
  }

  trap.check()
  // 3. every file is in: nothing is undone from here on; the staging folder only holds the replaced files
  try {
    await rm(staging, {force: true, recursive: true})
  } catch (error) {
    return {note: `the project is written, but ${staging} could not be removed (${messageOf(error)})`}
  }

  return {}
}
