import {existsSync} from 'node:fs'
import {readFile, stat} from 'node:fs/promises'
import path from 'node:path'

import {FabError, messageOf} from '../errors.js'
import {clip, escapeControl, show} from '../ui/text.js'
import {formatPath, type ProjectConfig, type SchemaIssue, validateProject} from './schema.js'

export const PROJECT_FILE = 'fabk8s.yaml'

/** Find fabk8s.yaml: in --project DIR if given, else in the current directory or the nearest parent. */
export function findProjectFile(projectDir?: string, cwd = process.cwd()): string {
  if (projectDir) {
    const dir = path.resolve(cwd, projectDir)
    const named = projectDir.endsWith('.yaml') || projectDir.endsWith('.yml')
    const file = named ? dir : path.join(dir, PROJECT_FILE)
    if (!existsSync(file))
      // a project file named by --project: say that file is missing, not a fabk8s.yaml beside it
      throw new FabError('PROJECT', named ? `--project: no file ${file}` : `--project: no ${PROJECT_FILE} in ${dir}`, {
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

/**
 * Expand ${VAR}, ${VAR:-default} (default when VAR is unset or empty) and ${VAR-default} (default only when VAR is
 * unset) in a string; defaults may nest (`${A:-${B:-x}}`) and are expanded only when used; `$$` is a literal `$`.
 * Values from the environment are never expanded again. Returns the variables that were needed but unset (or
 * empty), and `error` for a malformed `${`.
 */
export function expandEnv(
  s: string,
  env: NodeJS.ProcessEnv = process.env,
): {error?: string; missing: string[]; value: string} {
  const missing: string[] = []
  let i = 0
  class Syntax extends Error {}
  const parse = (nested: boolean): string => {
    let out = ''
    while (i < s.length) {
      const ch = s[i]
      if (nested && ch === '}') return out
      if (ch === '$' && s[i + 1] === '$') {
        out += '$'
        i += 2
        continue
      }

      if (ch !== '$' || s[i + 1] !== '{') {
        out += ch
        i++
        continue
      }

      const start = i
      i += 2
      const name = /^[A-Za-z_]\w*/.exec(s.slice(i))?.[0]
      if (!name) throw new Syntax(`${show(s.slice(start, start + 12))}: expected a variable name after \${`)
      i += name.length
      let op = ''
      if (s.startsWith(':-', i)) op = ':-'
      else if (s[i] === '-') op = '-'
      else if (s[i] !== '}') throw new Syntax(`${show(s.slice(start, i + 1))}: expected }, :- or - after \${${name}`)
      i += op.length
      // the default is parsed (to find its end) but its unset variables count only if it is used
      const before = missing.length
      const def = op ? parse(true) : ''
      const defMissing = missing.splice(before)
      if (s[i] !== '}') throw new Syntax(`unterminated \${${name}: a } is missing`)
      i++
      const v = env[name]
      const useDefault = op === ':-' ? v === undefined || v === '' : op === '-' ? v === undefined : false
      if (useDefault) {
        out += def
        missing.push(...defMissing)
      } else if (op === '' && (v === undefined || v === '')) missing.push(name)
      else out += v!
    }

    return out
  }

  try {
    return {missing, value: parse(false)}
  } catch (error) {
    if (error instanceof Syntax) return {error: error.message, missing: [], value: s}
    throw error
  }
}

/** A project file is small; anything bigger is not one. */
export const MAX_PROJECT_BYTES = 1024 * 1024
/** YAML aliases allowed when the file is turned into data (a guard against alias bombs). */
export const MAX_ALIASES = 100
/** Lines of errors in a message; --json's detail keeps more. */
const MAX_LINES = 20
const MAX_DETAIL = 100

function projectError(lines: string[], hint?: string): FabError {
  const shown =
    lines.length > MAX_LINES ? [...lines.slice(0, MAX_LINES), `… and ${lines.length - MAX_LINES} more`] : lines
  return new FabError('PROJECT', shown.join('\n'), {
    detail: {
      errors: lines.slice(0, MAX_DETAIL),
      ...(lines.length > MAX_DETAIL ? {more: lines.length - MAX_DETAIL} : {}),
    },
    hint,
  })
}

/** The YAML library's words for the few errors a person hits, in ours. */
function yamlMessage(e: {code: string; message: string}): string {
  if (e.code === 'MULTIPLE_DOCS') return `${PROJECT_FILE} holds several YAML documents; it must be one`
  if (e.code === 'DUPLICATE_KEY') return 'a key appears twice in the same mapping'
  return clip(escapeControl(e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')), 160)
}

/** Load, expand and validate a project file. Every problem becomes one line `file:line field: message`. */
export async function loadProject(file: string, env: NodeJS.ProcessEnv = process.env): Promise<ProjectConfig> {
  const {isMap, isScalar, isSeq, LineCounter, parseDocument, visit} = await import('yaml')
  const rel = path.relative(process.cwd(), file) || file
  let bytes: Buffer
  try {
    const st = await stat(file)
    if (st.isFile() && st.size > MAX_PROJECT_BYTES)
      throw new FabError(
        'PROJECT',
        `${rel}: ${st.size} bytes; a project file is at most ${MAX_PROJECT_BYTES / 1024 / 1024} MiB (is it the right file?)`,
      )
    bytes = await readFile(file)
  } catch (error) {
    if (error instanceof FabError) throw error
    throw new FabError('PROJECT', `${rel}: cannot read (${(error as NodeJS.ErrnoException).code ?? error})`)
  }

  let text: string
  try {
    if (bytes.includes(0)) throw new Error('NUL')
    text = new TextDecoder('utf8', {fatal: true}).decode(bytes)
  } catch {
    throw new FabError('PROJECT', `${rel}: not a text file (it holds NUL bytes or is not UTF-8)`, {
      hint: `${PROJECT_FILE} is YAML text; is it the right file?`,
    })
  }

  const lc = new LineCounter()
  const doc = parseDocument(text, {lineCounter: lc, prettyErrors: false, uniqueKeys: true})
  if (doc.errors.length > 0) {
    const lines = doc.errors.map((e) => {
      const line = e.linePos?.[0]?.line ?? lc.linePos(e.pos[0]).line
      return `${rel}:${line} ${yamlMessage(e)}`
    })
    throw projectError(lines, 'fix the YAML syntax')
  }

  // ${VAR} expansion on every string scalar, before the schema types it (so ${PORT} can fill a number); remember
  // which paths were expanded and where an unset variable was used
  const lines: string[] = []
  const expanded = new Set<string>()
  const lineOf = (node: null | undefined | {range?: [number, number, number] | null}) =>
    node?.range ? lc.linePos(node.range[0]).line : 1
  const walk = (node: unknown, p: (number | string)[]) => {
    if (isScalar(node)) {
      if (typeof node.value === 'string' && node.value.includes('$')) {
        const {error, missing, value} = expandEnv(node.value, env)
        if (error) lines.push(`${rel}:${lineOf(node)} ${formatPath(p)}: ${error}`)
        for (const m of missing)
          lines.push(`${rel}:${lineOf(node)} ${formatPath(p)}: environment variable ${m} is not set`)
        if (value !== node.value) expanded.add(formatPath(p))
        node.value = value
      }
    } else if (isMap(node)) {
      for (const pair of node.items) walk(pair.value, [...p, isScalar(pair.key) ? String(pair.key.value) : '?'])
    } else if (isSeq(node)) {
      for (const [i, item] of node.items.entries()) walk(item, [...p, i])
    }
  }

  walk(doc.contents, [])

  let data: unknown
  try {
    data = doc.toJS({maxAliasCount: MAX_ALIASES})
  } catch (error) {
    let line = 1
    visit(doc, {
      Alias(_k, node) {
        line = lineOf(node)
        return visit.BREAK
      },
    })
    const why = /alias count|resource exhaustion/i.test(String(error))
      ? `too many YAML aliases (the limit is ${MAX_ALIASES}): an anchor expanded this often is an alias bomb, not a project`
      : `cannot resolve YAML aliases: ${clip(escapeControl(messageOf(error)), 160)}`
    throw new FabError('PROJECT', `${rel}:${line} ${why}`, {hint: `write ${PROJECT_FILE} without aliases (*name)`})
  }

  const dir = path.dirname(file)
  const source = (p: (number | string)[]) => {
    const node = doc.getIn(p, true)
    if (!isScalar(node) || !node.range) return
    return text.slice(node.range[0], node.range[1])
  }

  const {config, issues} = validateProject(data, dir, {expanded, source})
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
  if (lines.length > 0 || !config) throw projectError(lines)
  return {...config, dir, file}
}

/** findProjectFile + loadProject. */
export async function openProject(projectDir?: string): Promise<ProjectConfig> {
  return loadProject(findProjectFile(projectDir))
}
