import {createHash} from 'node:crypto'
import {readdir, readFile, stat} from 'node:fs/promises'
import path from 'node:path'

/**
 * A hash of what `docker build` would send and use: every file of the build context that .dockerignore does not
 * exclude (path, mode bit for executables, content), the Dockerfile, and the build settings. The same hash means
 * the same build inputs, so `fabk8s up` can keep the image it built before without asking Docker to rebuild.
 *
 * The .dockerignore reading is conservative: a pattern we do not understand excludes nothing, so at worst a
 * change we could have ignored triggers a rebuild, never the other way round.
 */
export async function contextHash(dir: string, settings: Record<string, string | undefined>): Promise<string> {
  const h = createHash('sha256')
  for (const [k, v] of Object.entries(settings).sort(([a], [b]) => (a < b ? -1 : 1)))
    h.update(`setting ${k}=${v ?? ''}\n`)
  const ignore = await readIgnore(dir)
  const walk = async (rel: string): Promise<void> => {
    const entries = await readdir(path.join(dir, rel), {withFileTypes: true})
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    for (const e of entries) {
      const p = rel ? `${rel}/${e.name}` : e.name
      if (ignore(p)) continue
      if (e.isDirectory()) await walk(p)
      else if (e.isFile()) {
        const full = path.join(dir, p)
        const st = await stat(full)
        h.update(`file ${p} ${st.mode & 0o111 ? 'x' : '-'} ${st.size}\n`)
        h.update(await readFile(full))
      } else if (e.isSymbolicLink()) h.update(`link ${p}\n`)
    }
  }

  await walk('')
  return h.digest('hex')
}

type Rule = {negate: boolean; re: RegExp}

/** .dockerignore → predicate on a context-relative path ('/'-separated). Last matching rule wins, as in Docker. */
async function readIgnore(dir: string): Promise<(p: string) => boolean> {
  let text = ''
  try {
    text = await readFile(path.join(dir, '.dockerignore'), 'utf8')
  } catch {
    return () => false
  }

  const rules: Rule[] = []
  for (let line of text.split('\n')) {
    line = line.trim()
    if (!line || line.startsWith('#')) continue
    const negate = line.startsWith('!')
    if (negate) line = line.slice(1).trim()
    line = line.replace(/^\/+/, '').replace(/\/+$/, '')
    const re = globToRegExp(line)
    if (re) rules.push({negate, re})
  }

  return (p: string) => {
    let ignored = false
    for (const r of rules) {
      // a pattern matching a parent folder excludes everything below it
      const parts = p.split('/')
      for (let i = 1; i <= parts.length; i++)
        if (r.re.test(parts.slice(0, i).join('/'))) {
          ignored = !r.negate
          break
        }
    }

    return ignored
  }
}

/** Docker's pattern syntax (filepath.Match plus **); undefined for what we do not handle ([…] classes, escapes). */
export function globToRegExp(pattern: string): RegExp | undefined {
  if (/[[\]\\]/.test(pattern)) return undefined
  let re = ''
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]
    if (ch === '*' && pattern[i + 1] === '*') {
      i++
      if (pattern[i + 1] === '/') {
        re += '(?:.*/)?'
        i++
      } else re += '.*'
    } else if (ch === '*') re += '[^/]*'
    else if (ch === '?') re += '[^/]'
    else re += ch.replaceAll(/[.+^${}()|]/g, String.raw`\$&`)
  }

  return new RegExp(`^${re}$`)
}
