/**
 * Where a Go chaincode starts, read from its sources (no toolchain needed): the main package that makes the
 * chaincode (`contractapi.NewChaincode(...)` then `cc.Start()`, or `shim.Start(cc)`), and whether its contracts
 * live in another package (then a new main package beside the code can make the same chaincode) or in package
 * main itself (then main has to change one line: the Start call becomes fabk8sStart).
 */
import {readdir, readFile} from 'node:fs/promises'
import path from 'node:path'

import {FabError} from '../errors.js'

export interface GoFile {
  /** Effective import name → import path. */
  imports: Map<string, string>
  /** Blank or dot imports are irrelevant here; kept for completeness. */
  pkg: string
  /** Relative path, with '/'. */
  rel: string
  /** The source as read. */
  text: string
}

/** A one-line change to an existing file. */
export interface LineChange {
  after: string
  before: string
  file: string
  /** 1-based. */
  line: number
}

export type GoStart =
  | {
      /** NewChaincode(...) arguments, as written. */
      args: string
      /** The contractapi import name in that file. */
      contractapi: string
      /** The import lines the arguments need (alias and path), for a new main package. */
      imports: {alias?: string; path: string}[]
      /** The main package folder (relative, '' for the module root). */
      mainDir: string
      mode: 'subpackage'
      sourceMain: string
    }
  | {change: LineChange; mainDir: string; mode: 'main'}
  | {mainDir: string; mode: 'main-done'}

const SKIP_DIRS = new Set(['node_modules', 'testdata', 'vendor'])

/** Replace comments by spaces (newlines kept, so offsets and line numbers hold); strings are left alone. */
export function stripComments(src: string): string {
  let out = ''
  let i = 0
  while (i < src.length) {
    const c = src[i]
    const n = src[i + 1]
    if (c === '/' && n === '/') {
      while (i < src.length && src[i] !== '\n') {
        out += ' '
        i++
      }
    } else if (c === '/' && n === '*') {
      const end = src.indexOf('*/', i + 2)
      const stop = end === -1 ? src.length : end + 2
      out += src.slice(i, stop).replaceAll(/[^\n]/g, ' ')
      i = stop
    } else if (c === '"' || c === "'" || c === '`') {
      let j = i + 1
      while (j < src.length && src[j] !== c) {
        if (src[j] === '\\' && c !== '`') j++
        j++
      }

      out += src.slice(i, j + 1)
      i = j + 1
    } else {
      out += c
      i++
    }
  }

  return out
}

/** The name a package is referred to by when imported without an alias: its last path element (not /vN, not .vN). */
export function defaultImportName(importPath: string): string {
  const parts = importPath.split('/')
  let last = parts.at(-1) ?? importPath
  if (/^v\d+$/.test(last) && parts.length > 1) last = parts.at(-2)!
  return last
    .replace(/\.v\d+$/, '')
    .replace(/^go-/, '')
    .replaceAll(/[^A-Za-z0-9_]/g, '_')
}

export function parseGoFile(rel: string, text: string, pkgNames: Map<string, string> = new Map()): GoFile {
  const code = stripComments(text)
  const pkg = /^\s*package\s+(\w+)/m.exec(code)?.[1] ?? ''
  const imports = new Map<string, string>()
  const add = (alias: string | undefined, p: string) => {
    if (alias === '_' || alias === '.') return
    imports.set(alias ?? pkgNames.get(p) ?? defaultImportName(p), p)
  }

  for (const m of code.matchAll(/^\s*import\s*\(([\s\S]*?)\)/gm))
    for (const l of m[1].matchAll(/^\s*(?:([\w.]+)\s+)?"([^"]+)"/gm)) add(l[1], l[2])
  for (const m of code.matchAll(/^\s*import\s+(?:([\w.]+)\s+)?"([^"]+)"/gm)) add(m[1], m[2])
  return {imports, pkg, rel, text}
}

/** Every non-test .go file below dir (skipping vendor, testdata, hidden and _ folders), relative paths. */
async function goFiles(dir: string, rel = ''): Promise<string[]> {
  const out: string[] = []
  for (const e of await readdir(path.join(dir, rel), {withFileTypes: true})) {
    const p = rel ? `${rel}/${e.name}` : e.name
    if (e.isDirectory()) {
      if (!SKIP_DIRS.has(e.name) && !/^[._]/.test(e.name)) out.push(...(await goFiles(dir, p)))
    } else if (e.name.endsWith('.go') && !e.name.endsWith('_test.go')) out.push(p)
  }

  return out.sort()
}

/** The text between the parenthesis at `open` and its match (strings respected); undefined when unbalanced. */
function balanced(code: string, open: number): string | undefined {
  let depth = 0
  for (let i = open; i < code.length; i++) {
    const c = code[i]
    if (c === '"' || c === '`' || c === "'") {
      let j = i + 1
      while (j < code.length && code[j] !== c) {
        if (code[j] === '\\' && c !== '`') j++
        j++
      }

      i = j
    } else if (c === '(') depth++
    else if (c === ')' && --depth === 0) return code.slice(open + 1, i)
  }

  return undefined
}

/** How the main.go that adopt adds for contracts in a sub-package begins (templates/adopt/go/main.go). */
const ADOPTED_MAIN_MARK = '// Command fabk8s-server, added by `fabk8s adopt`'

const lineAt = (text: string, offset: number) => text.slice(0, offset).split('\n').length

const GO_IDENTS = new Set(['false', 'make', 'new', 'nil', 'true'])

/**
 * Find how the chaincode starts. `module` is the go.mod module path; `contractApi` its fabric-contract-api-go
 * module (if any), `shimImport` the fabric-chaincode-go shim package.
 */
export async function analyseGo(
  dir: string,
  opts: {contractApi?: string; module: string; shimImport: string},
): Promise<GoStart> {
  const rels = await goFiles(dir)
  // package names by import path, for imports without an alias
  const pkgNames = new Map<string, string>()
  const byDir = new Map<string, string[]>()
  for (const rel of rels) {
    const d = path.posix.dirname(rel) === '.' ? '' : path.posix.dirname(rel)
    byDir.set(d, [...(byDir.get(d) ?? []), rel])
  }

  const files: GoFile[] = []
  for (const rel of rels) {
    const text = await readFile(path.join(dir, rel), 'utf8')
    const f = parseGoFile(rel, text)
    files.push(f)
    const d = path.posix.dirname(rel) === '.' ? '' : path.posix.dirname(rel)
    if (f.pkg && f.pkg !== 'main') pkgNames.set(d ? `${opts.module}/${d}` : opts.module, f.pkg)
  }

  const parsed = files.map((f) => parseGoFile(f.rel, f.text, pkgNames))
  const contractPkg = opts.contractApi ? `${opts.contractApi}/contractapi` : undefined
  // the main package an earlier `fabk8s adopt` added (templates/adopt/go/main.go): not the project's own start
  const adopted = new Set(
    parsed
      .filter((f) => f.pkg === 'main' && f.text.startsWith(ADOPTED_MAIN_MARK))
      .map((f) => path.posix.dirname(f.rel)),
  )
  const starts: GoStart[] = []
  for (const f of parsed) {
    if (f.pkg !== 'main' || adopted.has(path.posix.dirname(f.rel))) continue
    const code = stripComments(f.text)
    const mainDir = path.posix.dirname(f.rel) === '.' ? '' : path.posix.dirname(f.rel)
    const alias = (p?: string) => [...f.imports].find(([, ip]) => ip === p)?.[0]
    if (/\bfabk8sStart\(/.test(code)) {
      starts.push({mainDir, mode: 'main-done'})
      continue
    }

    const capi = alias(contractPkg)
    const shim = alias(opts.shimImport)
    const nc = capi ? new RegExp(`\\b${capi}\\.NewChaincode\\s*\\(`).exec(code) : null
    if (nc && capi) {
      const args = balanced(code, nc.index + nc[0].length - 1)
      if (args === undefined) continue
      const assigned = /(\w+)\s*,\s*\w+\s*:?=\s*$/.exec(code.slice(0, nc.index))?.[1]
      const qualifiers = new Set([...args.matchAll(/(?<![.\w])([A-Za-z_]\w*)\s*\./g)].map((m) => m[1]))
      const bare = [
        ...args.replaceAll(/"(?:[^"\\]|\\.)*"|`[^`]*`/g, '').matchAll(/(?<![.\w])([A-Za-z_]\w*)\b(?!\s*\.)/g),
      ]
        .map((m) => m[1])
        .filter((id) => !GO_IDENTS.has(id) && !qualifiers.has(id))
      const local = bare.length > 0 || [...qualifiers].some((q) => !f.imports.has(q))
      if (!local) {
        starts.push({
          args: args.trim(),
          contractapi: capi,
          imports: [...qualifiers].map((q) => {
            const p = f.imports.get(q)!
            return {alias: q === (pkgNames.get(p) ?? defaultImportName(p)) ? undefined : q, path: p}
          }),
          mainDir,
          mode: 'subpackage',
          sourceMain: f.rel,
        })
        continue
      }

      // contracts in package main: main's Start call changes
      if (!assigned)
        throw new FabError(
          'USAGE',
          `${f.rel}:${lineAt(code, nc.index)}: cannot tell which variable holds the chaincode`,
          {
            hint: 'assign it (cc, err := contractapi.NewChaincode(...)) and start it with cc.Start(), then run fabk8s adopt again',
          },
        )
      const start = new RegExp(`\\b${assigned}\\.Start\\(\\)`, 'g')
      const hits = [...code.matchAll(start)]
      if (hits.length !== 1)
        throw new FabError('USAGE', `${f.rel}: expected one ${assigned}.Start() call, found ${hits.length}`, {
          hint: `call fabk8sStart(${assigned}) where the chaincode should start (fabk8s adopt adds fabk8s_server.go beside ${f.rel}), then run fabk8s adopt again`,
        })
      starts.push({change: change(f, hits[0].index, hits[0][0], `fabk8sStart(${assigned})`), mainDir, mode: 'main'})
      continue
    }

    const ss = shim ? new RegExp(`\\b${shim}\\.Start\\(`, 'g') : undefined
    const hits = ss ? [...code.matchAll(ss)] : []
    if (hits.length === 1)
      starts.push({change: change(f, hits[0].index, hits[0][0], 'fabk8sStart('), mainDir, mode: 'main'})
  }

  const dirs = [...new Set(starts.map((s) => s.mainDir || '.'))]
  if (starts.length === 0)
    throw new FabError('USAGE', `no main package starts the chaincode in ${dir}`, {
      hint: 'looked for contractapi.NewChaincode(...) with .Start(), or shim.Start(...), in the package main files (vendor, testdata and test files aside)',
    })
  if (dirs.length > 1)
    throw new FabError('USAGE', `several main packages start a chaincode: ${dirs.join(', ')}`, {
      hint: 'adopt one at a time: move the others out of the module or into a folder starting with _',
    })
  // one main package (perhaps over several files): a change or done wins over a plain NewChaincode call
  return starts.find((s) => s.mode !== 'subpackage') ?? starts[0]
}

function change(f: GoFile, offset: number, matched: string, replacement: string): LineChange {
  const lines = f.text.split('\n')
  const line = lineAt(f.text, offset)
  const before = lines[line - 1]
  const col =
    offset -
    f.text
      .split('\n')
      .slice(0, line - 1)
      .join('\n').length -
    (line > 1 ? 1 : 0)
  const after = before.slice(0, col) + replacement + before.slice(col + matched.length)
  return {after, before, file: f.rel, line}
}
