import {existsSync} from 'node:fs'
import {readdir, readFile} from 'node:fs/promises'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

/** The package root (holds package.json and templates/), found from this file: works from src/ (tsx), dist/ and a global install. */
export function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url))
  for (;;) {
    if (existsSync(path.join(dir, 'templates')) && existsSync(path.join(dir, 'package.json'))) return dir
    const parent = path.dirname(dir)
    if (parent === dir) throw new Error(`fabk8s templates/ not found above ${fileURLToPath(import.meta.url)}`)
    dir = parent
  }
}

export function templatesDir(): string {
  return path.join(packageRoot(), 'templates')
}

export type TemplateVars = Record<string, boolean | number | string>

/**
 * A deliberately small template language: `{{name}}` is replaced by a variable (identifiers only, so text such as
 * the ccaas builder's `{{.peername}}` passes through); `{{#flag}}…{{/flag}}` keeps its body when flag is truthy,
 * `{{^flag}}…{{/flag}}` when it is falsy. Section tags alone on a line vanish with their line; a section inside one
 * line (`text{{#flag}} more{{/flag}}.`) keeps or drops just its body. A section tag left over (unclosed, or closing
 * another section) is an error, never text in the output.
 */
export function render(text: string, vars: TemplateVars): string {
  const keep = (kind: string, key: string, body: string) => {
    if (!(key in vars)) throw new Error(`template: unknown section ${key}`)
    return Boolean(vars[key]) === (kind === '#') ? body : ''
  }

  const sections = /^[ \t]*\{\{([#^])(\w+)\}\}[ \t]*\n([\s\S]*?)^[ \t]*\{\{\/\2\}\}[ \t]*\n/gm
  const inline = /\{\{([#^])(\w+)\}\}(.*?)\{\{\/\2\}\}/g
  const out = text
    .replaceAll(sections, (_m, kind: string, key: string, body: string) => keep(kind, key, body))
    .replaceAll(inline, (_m, kind: string, key: string, body: string) => keep(kind, key, body))
  const stray = /\{\{[#^/]\w+\}\}/.exec(out)
  if (stray) throw new Error(`template: section tag ${stray[0]} is not closed on its line or opened before it`)
  return out.replaceAll(/\{\{(\w+)\}\}/g, (m, key: string) => {
    if (!(key in vars)) throw new Error(`template: unknown variable ${key}`)
    return String(vars[key])
  })
}

/** Template file names: a leading `_` stands for `.` (npm drops dot-files such as .gitignore from packages). */
export function outputName(rel: string): string {
  return rel
    .split('/')
    .map((part) => (part.startsWith('_') ? `.${part.slice(1)}` : part))
    .join('/')
}

/** Every file below a template folder, relative paths with '/', sorted. */
export async function listTemplateFiles(dir: string, rel = ''): Promise<string[]> {
  const out: string[] = []
  const entries = await readdir(path.join(dir, rel), {withFileTypes: true})
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const p = rel ? `${rel}/${e.name}` : e.name
    if (e.isDirectory()) out.push(...(await listTemplateFiles(dir, p)))
    else out.push(p)
  }

  return out
}

/** Render a template folder into {path: content}. Files ending in .sum are copied verbatim. */
export async function renderTree(dir: string, vars: TemplateVars): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>()
  for (const rel of await listTemplateFiles(dir)) {
    const raw = await readFile(path.join(dir, rel))
    files.set(outputName(rel), rel.endsWith('.sum') ? raw : Buffer.from(render(raw.toString('utf8'), vars)))
  }

  return files
}
