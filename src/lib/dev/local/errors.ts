/** Compiler and syntax-check output → errors with file and line (files relative to the project folder). */
import path from 'node:path'

import type {BuildError} from './events.js'

const rel = (dir: string, file: string) => {
  const abs = path.resolve(dir, file)
  const r = path.relative(dir, abs)
  return r.startsWith('..') ? abs : r
}

/** `tsc --pretty false`: `src/asset.ts(12,5): error TS2322: Type … is not assignable …`. */
export function parseTscErrors(output: string, dir: string): BuildError[] {
  const out: BuildError[] = []
  for (const line of output.split('\n')) {
    const m = /^(.+?)\((\d+),(\d+)\): error (TS\d+): (.*)$/.exec(line.trim())
    if (m) out.push({column: Number(m[3]), file: rel(dir, m[1]), line: Number(m[2]), message: `${m[4]}: ${m[5]}`})
  }

  return out
}

/** `go build` / `go vet`: `./chaincode/asset.go:12:5: undefined: foo` (column optional). */
export function parseGoErrors(output: string, dir: string): BuildError[] {
  const out: BuildError[] = []
  for (const line of output.split('\n')) {
    const m = /^(\S+?\.go):(\d+)(?::(\d+))?: (.*)$/.exec(line.trim())
    if (m)
      out.push({
        column: m[3] ? Number(m[3]) : undefined,
        file: rel(dir, m[1]),
        line: Number(m[2]),
        message: m[4],
      })
  }

  return out
}

/**
 * `node --check FILE` on a syntax error prints `FILE:LINE`, the source line, a caret line, a blank line, then
 * `SyntaxError: message`.
 */
export function parseNodeCheck(output: string, dir: string): BuildError[] {
  const ls = output.split('\n')
  const at = ls.findIndex((l) => /^\S.*:\d+$/.test(l.trim()))
  const msg = ls.find((l) => /^\w*Error: /.test(l.trim()))
  if (at === -1 || !msg) return []
  const m = /^(.*):(\d+)$/.exec(ls[at].trim())!
  const caret = ls[at + 2]?.indexOf('^')
  return [
    {
      column: caret !== undefined && caret >= 0 ? caret + 1 : undefined,
      file: rel(dir, m[1]),
      line: Number(m[2]),
      message: msg.trim(),
    },
  ]
}

/**
 * Maven's compiler output: `[ERROR] /abs/src/main/java/chaincode/AssetContract.java:[42,17] cannot find symbol`,
 * followed by detail lines such as `  symbol:   variable x`, which join the message.
 */
export function parseJavaErrors(output: string, dir: string): BuildError[] {
  const out: BuildError[] = []
  const seen = new Set<string>()
  // eslint-disable-next-line no-control-regex
  const ls = output.replaceAll(/\u001B\[[\d;]*m/g, '').split('\n')
  for (const [i, raw] of ls.entries()) {
    const m = /^\[ERROR\]\s+(\S+\.java):\[(\d+),(\d+)\]\s+(.*)$/.exec(raw.trim())
    if (!m) continue
    const detail = /^(?:\[ERROR\])?\s+symbol:\s+(.*)$/.exec(ls[i + 1] ?? '')
    const e = {
      column: Number(m[3]),
      file: rel(dir, m[1]),
      line: Number(m[2]),
      message: detail ? `${m[4]}: ${detail[1].trim()}` : m[4],
    }
    // Maven prints each error twice (as it happens, and in the summary)
    const key = `${e.file}:${e.line}:${e.column}`
    if (!seen.has(key)) out.push(e)
    seen.add(key)
  }

  return out
}
