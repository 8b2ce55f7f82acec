import {existsSync} from 'node:fs'
import {readFile} from 'node:fs/promises'
import path from 'node:path'

import {FabError} from '../errors.js'
import {formatPath, type ProjectConfig, type SchemaIssue, validateProject} from './schema.js'

export const PROJECT_FILE = 'fabk8s.yaml'

/** Find fabk8s.yaml: in --project DIR if given, else in the current directory or the nearest parent. */
export function findProjectFile(projectDir?: string, cwd = process.cwd()): string {
  if (projectDir) {
    const dir = path.resolve(cwd, projectDir)
    const file = projectDir.endsWith('.yaml') || projectDir.endsWith('.yml') ? dir : path.join(dir, PROJECT_FILE)
    if (!existsSync(file))
      throw new FabError('PROJECT', `--project: no ${PROJECT_FILE} in ${path.dirname(file)}`, {
        hint: 'run `fabk8s init` to create a project, or point --project at the folder holding fabk8s.yaml',
      })
    return file
  }

  let dir = path.resolve(cwd)
  for (;;) {
    const file = path.join(dir, PROJECT_FILE)
    if (existsSync(file)) return file
    const parent = path.dirname(dir)
    if (parent === dir) break
    dir = parent
  }

  throw new FabError('PROJECT', `no ${PROJECT_FILE} in ${cwd} or any parent folder`, {
    hint: 'run `fabk8s init` to create a project, or pass --project DIR',
  })
}

const ENV_RE = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}/g

/** Expand ${VAR} and ${VAR:-default} in a string; `$$` is a literal `$`. Returns the missing variables. */
export function expandEnv(s: string, env: NodeJS.ProcessEnv = process.env): {missing: string[]; value: string} {
  const missing: string[] = []
  const value = s.replaceAll(ENV_RE, (m, name: string | undefined, def: string | undefined) => {
    if (m === '$$') return '$'
    const v = env[name!]
    if (v !== undefined && v !== '') return v
    if (def !== undefined) return def
    missing.push(name!)
    return ''
  })
  return {missing, value}
}

/** Load, expand and validate a project file. Every problem becomes one line `file:line field: message`. */
export async function loadProject(file: string, env: NodeJS.ProcessEnv = process.env): Promise<ProjectConfig> {
  const {isMap, isScalar, isSeq, LineCounter, parseDocument} = await import('yaml')
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    throw new FabError('PROJECT', `${file}: cannot read (${(error as NodeJS.ErrnoException).code ?? error})`)
  }

  const rel = path.relative(process.cwd(), file) || file
  const lc = new LineCounter()
  const doc = parseDocument(text, {lineCounter: lc, prettyErrors: false, uniqueKeys: true})
  if (doc.errors.length > 0) {
    const lines = doc.errors.map((e) => {
      const line = e.linePos?.[0]?.line ?? lc.linePos(e.pos[0]).line
      return `${rel}:${line} ${e.message.split('\n')[0]}`
    })
    throw new FabError('PROJECT', lines.join('\n'), {detail: {errors: lines}, hint: 'fix the YAML syntax'})
  }

  // ${VAR} expansion on every string scalar, remembering where an unset variable was used
  const lines: string[] = []
  const lineOf = (node: null | undefined | {range?: [number, number, number] | null}) =>
    node?.range ? lc.linePos(node.range[0]).line : 1
  const walk = (node: unknown, p: (number | string)[]) => {
    if (isScalar(node)) {
      if (typeof node.value === 'string' && node.value.includes('$')) {
        const {missing, value} = expandEnv(node.value, env)
        for (const m of missing)
          lines.push(`${rel}:${lineOf(node)} ${formatPath(p)}: environment variable ${m} is not set`)
        node.value = value
      }
    } else if (isMap(node)) {
      for (const pair of node.items) walk(pair.value, [...p, isScalar(pair.key) ? String(pair.key.value) : '?'])
    } else if (isSeq(node)) {
      for (const [i, item] of node.items.entries()) walk(item, [...p, i])
    }
  }

  walk(doc.contents, [])

  const dir = path.dirname(file)
  const {config, issues} = validateProject(doc.toJS(), (p) => path.resolve(dir, p))
  const lineFor = (issue: SchemaIssue) => {
    // the deepest node that exists on the issue's path
    for (let n = issue.path.length; n > 0; n--) {
      const node = doc.getIn(issue.path.slice(0, n), true) as undefined | {range?: [number, number, number]}
      if (node && typeof node === 'object' && 'range' in node) return lineOf(node)
      // a missing key: point at its parent mapping
    }

    return 1
  }

  for (const issue of issues)
    lines.push(`${rel}:${lineFor(issue)} ${formatPath(issue.path) || '(top)'}: ${issue.message}`)
  if (lines.length > 0 || !config) throw new FabError('PROJECT', lines.join('\n'), {detail: {errors: lines}})
  return {...config, dir, file}
}

/** findProjectFile + loadProject. */
export async function openProject(projectDir?: string): Promise<ProjectConfig> {
  return loadProject(findProjectFile(projectDir))
}
