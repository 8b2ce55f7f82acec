import {createHash} from 'node:crypto'
import {lstat, readdir, readFile, readlink} from 'node:fs/promises'
import path from 'node:path'

/**
 * A folder tree as data, to compare byte for byte: every entry's type and mode, a file's sha256, a link's
 * target. Paths are relative to `dir`; `dir` itself is '.'. Folder mtimes are left out (adding and removing an
 * entry changes them even when the tree ends up the same).
 */
export async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  const walk = async (rel: string) => {
    const p = path.join(dir, rel)
    const st = await lstat(p)
    const mode = (st.mode & 0o7777).toString(8)
    if (st.isSymbolicLink()) out[rel] = `link -> ${await readlink(p)}`
    else if (st.isDirectory()) {
      out[rel] = `dir ${mode}`
      for (const e of (await readdir(p)).sort()) await walk(rel === '.' ? e : `${rel}/${e}`)
    } else if (st.isFile())
      out[rel] = `file ${mode} ${createHash('sha256')
        .update(await readFile(p))
        .digest('hex')} mtime=${st.mtimeMs}`
    else out[rel] = `other ${mode}`
  }

  await walk('.')
  return out
}
