import {randomBytes} from 'node:crypto'
import {existsSync} from 'node:fs'
import {chmod, mkdir, readdir, rename, rm, stat, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {FabError} from '../errors.js'

export interface PlannedFile {
  content: Buffer
  mode?: number
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

/**
 * Write a set of files all-or-nothing: everything is first written into a staging folder next to the target
 * (same filesystem), then moved in. A new target is one atomic rename. On failure nothing is left behind:
 * the staging folder is removed and files already moved are removed again (or restored, with --force).
 */
export async function writeAll(dir: string, files: PlannedFile[]): Promise<void> {
  const parent = path.dirname(path.resolve(dir))
  try {
    await mkdir(parent, {recursive: true})
  } catch (error) {
    throw new FabError('FILESYSTEM', `cannot create ${parent}: ${(error as NodeJS.ErrnoException).code ?? error}`)
  }

  const staging = path.join(parent, `.fabk8s-staging-${randomBytes(4).toString('hex')}`)
  try {
    for (const f of files) {
      const p = path.join(staging, f.path)
      await mkdir(path.dirname(p), {recursive: true})
      await writeFile(p, f.content)
      if (f.mode) await chmod(p, f.mode)
    }

    if (!existsSync(dir)) {
      await rename(staging, dir)
      return
    }

    // existing folder (empty, or --force): move file by file, keeping what we replace until all succeeded
    const moved: {backup?: string; target: string}[] = []
    try {
      for (const f of files) {
        const target = path.join(dir, f.path)
        await mkdir(path.dirname(target), {recursive: true})
        let backup: string | undefined
        if (existsSync(target)) {
          backup = path.join(staging, '.backup', f.path)
          await mkdir(path.dirname(backup), {recursive: true})
          await rename(target, backup)
        }

        moved.push({backup, target})
        await rename(path.join(staging, f.path), target)
      }
    } catch (error) {
      for (const m of moved.reverse()) {
        await rm(m.target, {force: true})
        if (m.backup) await rename(m.backup, m.target).catch(() => {})
      }

      throw error
    }
  } catch (error) {
    if (error instanceof FabError) throw error
    const e = error as NodeJS.ErrnoException
    throw new FabError(
      'FILESYSTEM',
      `cannot write into ${dir}: ${e.code ?? ''} ${e.message}`.trim() + '; nothing was written',
    )
  } finally {
    await rm(staging, {force: true, recursive: true})
  }
}
