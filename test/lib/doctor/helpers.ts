import {existsSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import type {Finding} from '../../../src/lib/doctor/types.js'

import {type ParseResult, parseSource} from '../../../src/lib/doctor/input/parse.js'
import {checkObjects} from '../../../src/lib/doctor/run.js'

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
/**
 * The shared corpus sits beside the repo in CI (`../shared/doctor-corpus/public`); a git worktree one level deeper
 * (`../../shared`) finds the same folder; FABK8S_DOCTOR_CORPUS names it explicitly.
 */
export const CORPUS = findCorpus()

function findCorpus(): string {
  if (process.env.FABK8S_DOCTOR_CORPUS) return path.resolve(process.env.FABK8S_DOCTOR_CORPUS)
  const candidates = [
    path.resolve(ROOT, '..', 'shared', 'doctor-corpus', 'public'),
    path.resolve(ROOT, '..', '..', 'shared', 'doctor-corpus', 'public'),
  ]
  return candidates.find((c) => existsSync(path.join(c, 'EXPECTED.md'))) ?? candidates[0]
}

export const RENDERED = path.join(ROOT, 'test', 'fixtures', 'doctor', 'rendered')

export function corpusMissing(): null | string {
  return existsSync(path.join(CORPUS, 'EXPECTED.md'))
    ? null
    : `doctor corpus not found at ${CORPUS} (expected ../shared/doctor-corpus/public beside the repo, or set FABK8S_DOCTOR_CORPUS)`
}

/** Parse YAML text and run every rule (no ignore file). */
export async function check(
  text: string,
  file = 'test.yaml',
): Promise<{findings: Finding[]; parsed: ParseResult; suppressed: number}> {
  const parsed: ParseResult = {count: 0, documents: 0, errors: [], objects: [], sources: []}
  await parseSource({file, json: file.endsWith('.json'), text}, parsed)
  const r = checkObjects(parsed.objects)
  return {findings: r.findings, parsed, suppressed: r.suppressed}
}

export function ids(fs: Finding[], rule?: string): string[] {
  return fs
    .filter((f) => !rule || f.rule === rule)
    .map((f) => `${f.rule}@${f.container ?? '-'}`)
    .sort()
}

export function only(fs: Finding[], rule: string): Finding[] {
  return fs.filter((f) => f.rule === rule)
}

/** The classic "billion laughs": 9 levels of 9 aliases, a few hundred bytes that expand to 9^9 values. */
export function aliasBomb(indent = ''): string {
  const lines = [`${indent}a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]`]
  for (let i = 1; i < 9; i++) {
    const me = String.fromCodePoint(97 + i)
    const prev = String.fromCodePoint(96 + i)
    lines.push(`${indent}${me}: &${me} [${Array.from({length: 9}, () => '*' + prev).join(',')}]`)
  }

  return lines.join('\n') + '\n'
}
