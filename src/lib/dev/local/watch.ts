/**
 * Watch a project folder for saved files: recursive fs.watch, folders that are never sources left out, the events
 * of one save (editors write, rename, touch) gathered into one change after a short quiet time.
 */
import {type FSWatcher, watch} from 'node:fs'

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
  const w: FSWatcher = watch(dir, {persistent: true, recursive: true}, (_event, name) => {
    if (!name) return
    const rel = name.toString().replaceAll('\\', '/')
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
  })
  w.on('error', () => {})
  return {
    close() {
      if (timer) clearTimeout(timer)
      w.close()
    },
  }
}
