/**
 * Watch a project folder for saved files: folders that are never sources left out, the events of one save (editors
 * write, rename, touch) gathered into one change after a short quiet time.
 *
 * macOS and Windows watch a tree natively (fs.watch recursive). Elsewhere (Linux) Node's recursive fs.watch watches
 * each file by its inode, so a file saved by writing a new file and renaming it over the old one (sed -i, vim's
 * default, JetBrains' safe write) is reported once and never again: there, each folder is watched on its own, which
 * reports every name that changes in it, and a folder made later is watched (and its files reported) when it appears.
 */
import {type FSWatcher, readdirSync, statSync, watch} from 'node:fs'
import path from 'node:path'

const NEVER = new Set(['.fabk8s', '.git', '.idea', '.vscode', 'coverage', 'dist', 'node_modules'])

export interface Watcher {
  close(): void
}

export function watchTree(
  dir: string,
  o: {debounceMs?: number; include: (rel: string) => boolean; onChange: (files: string[]) => void},
): Watcher {
  let pending = new Set<string>()
  let timer: NodeJS.Timeout | undefined
  const report = (rel: string) => {
    rel = rel.replaceAll('\\', '/')
    if (rel.split('/').some((part) => NEVER.has(part))) return
    if (!o.include(rel)) return
    pending.add(rel)
    if (timer) clearTimeout(timer)
    timer = setTimeout(() => {
      const files = [...pending].sort()
      pending = new Set()
      timer = undefined
      o.onChange(files)
    }, o.debounceMs ?? 80)
  }

  const stopTimer = () => {
    if (timer) clearTimeout(timer)
  }

  if (process.platform === 'darwin' || process.platform === 'win32') {
    const w: FSWatcher = watch(dir, {persistent: true, recursive: true}, (_event, name) => {
      if (name) report(name.toString())
    })
    w.on('error', () => {})
    return {
      close() {
        stopTimer()
        w.close()
      },
    }
  }

  const root = path.resolve(dir)
  const watchers = new Map<string, FSWatcher>()
  let closed = false

  const unwatch = (abs: string) => {
    for (const [d, w] of watchers)
      if (d === abs || d.startsWith(abs + path.sep)) {
        w.close()
        watchers.delete(d)
      }
  }

  /** Watch folder `abs` and the folders under it; `fresh`: it appeared after the start, so report its files. */
  const add = (abs: string, fresh: boolean) => {
    if (closed || watchers.has(abs)) return
    let w: FSWatcher
    try {
      w = watch(abs, {persistent: true}, (_event, name) => {
        if (!name || closed) return
        const p = path.join(abs, name.toString())
        const rel = path.relative(root, p)
        if (rel.split(path.sep).some((part) => NEVER.has(part))) return
        let isDir: boolean | undefined
        try {
          isDir = statSync(p).isDirectory()
        } catch {
          isDir = undefined // gone
        }

        if (isDir === undefined) unwatch(p)
        else if (isDir) add(p, true)
        report(rel)
      })
    } catch (error) {
      if (abs === root) throw error
      return // removed meanwhile, or not readable
    }

    w.on('error', () => unwatch(abs))
    watchers.set(abs, w)
    let entries
    try {
      entries = readdirSync(abs, {withFileTypes: true})
    } catch {
      return
    }

    for (const e of entries) {
      if (NEVER.has(e.name)) continue
      const p = path.join(abs, e.name)
      if (e.isDirectory()) add(p, fresh)
      else if (fresh) report(path.relative(root, p))
    }
  }

  add(root, false)
  return {
    close() {
      closed = true
      stopTimer()
      for (const w of watchers.values()) w.close()
      watchers.clear()
    },
  }
}
