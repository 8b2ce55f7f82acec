import {statSync} from 'node:fs'
import path from 'node:path'

/**
 * The repository holding `cwd`: the nearest folder up with a `.git` (a folder, or a file in a worktree), else `cwd`
 * itself. SARIF paths are relative to it, and the default ignore file is looked for up to it.
 */
export function repoRoot(cwd: string): string {
  for (let dir = path.resolve(cwd); ; dir = path.dirname(dir)) {
    try {
      statSync(path.join(dir, '.git'))
      return dir
    } catch {
      /* not here */
    }

    if (path.dirname(dir) === dir) return path.resolve(cwd)
  }
}
