/**
 * A YAML or JSON file read with the `yaml` package (JSON is YAML), keeping line numbers, so that every problem in
 * an input file is one line: `file:line field: message`, exit 2. Parse errors quote no source text (a profile can
 * hold private keys).
 */
import type {Document, LineCounter} from 'yaml'

import {readFile} from 'node:fs/promises'
import path from 'node:path'

import {FabError} from '../../errors.js'
import {fieldPath, type PemSource} from '../model.js'
import {certProblem, keyProblem, pemText} from '../pem.js'

export type Obj = Record<string, unknown>
export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v)

export class LocatedFile {
  readonly data: unknown
  readonly dir: string

  private constructor(
    readonly file: string,
    readonly rel: string,
    private readonly doc: Document,
    private readonly lc: LineCounter,
    private readonly yaml: typeof import('yaml'),
  ) {
    this.data = doc.toJS()
    this.dir = path.dirname(file)
  }

  static async open(file: string, what: string): Promise<LocatedFile> {
    const rel = path.relative(process.cwd(), file) || file
    let text: string
    try {
      text = await readFile(file, 'utf8')
    } catch (error) {
      throw new FabError('USAGE', `${rel}: cannot read the ${what} (${(error as NodeJS.ErrnoException).code})`)
    }

    const yaml = await import('yaml')
    const {LineCounter, parseDocument} = yaml
    const lc = new LineCounter()
    const doc = parseDocument(text, {lineCounter: lc, prettyErrors: false, uniqueKeys: false})
    if (doc.errors.length > 0) {
      const e = doc.errors[0]
      throw new FabError('USAGE', `${rel}:${lc.linePos(e.pos[0]).line} not valid JSON or YAML: ${e.message}`, {
        hint: `is ${path.basename(file)} a Fabric connection profile (JSON or YAML)?`,
      })
    }

    if (text.trim() === '')
      throw new FabError('USAGE', `${rel}: empty file, expected a ${what}`, {
        hint: 'a connection profile has organizations, peers and (optionally) orderers',
      })
    return new LocatedFile(file, rel, doc, lc, yaml)
  }

  /** A USAGE error at the deepest node of `at` that exists. */
  fail(at: (number | string)[], message: string, hint?: string): FabError {
    return new FabError('USAGE', `${this.rel}:${this.line(at)} ${fieldPath(at) || '(top)'}: ${message}`, {hint})
  }

  get(at: (number | string)[]): unknown {
    let v: unknown = this.data
    for (const k of at) {
      if (typeof k === 'number') v = Array.isArray(v) ? v[k] : undefined
      else v = isObj(v) ? v[k] : undefined
    }

    return v
  }

  /** The line of the key (or list item) at `at`, or of the deepest part of `at` that exists. */
  line(at: (number | string)[]): number {
    const {isMap, isScalar, isSeq} = this.yaml
    for (let n = at.length; n > 0; n--) {
      const parent = n === 1 ? this.doc.contents : this.doc.getIn(at.slice(0, n - 1), true)
      const last = at[n - 1]
      if (isMap(parent)) {
        const pair = parent.items.find((p) => isScalar(p.key) && String(p.key.value) === String(last))
        const range = (pair?.key as undefined | {range?: [number, number, number]})?.range
        if (range) return this.lc.linePos(range[0]).line
      } else if (isSeq(parent) && typeof last === 'number') {
        const range = (parent.items[last] as undefined | {range?: [number, number, number]})?.range
        if (range) return this.lc.linePos(range[0]).line
      }
    }

    const range = (this.doc.contents as null | {range?: [number, number, number]})?.range
    return range ? this.lc.linePos(range[0]).line : 1
  }

  /** A mapping at `at`; undefined when absent (or an empty list, as some generators write `orderers: []`). */
  mapping(at: (number | string)[], required = false): Obj | undefined {
    const v = this.get(at)
    if (v === undefined || v === null || (Array.isArray(v) && v.length === 0)) {
      if (required) throw this.fail(at, 'required')
      return undefined
    }

    if (!isObj(v)) throw this.fail(at, `must be a mapping, got ${Array.isArray(v) ? 'a list' : typeof v}`)
    return v
  }

  /** A PEM certificate or key given as `{pem}` (text or list of texts) or `{path}` (relative to this file). */
  async pem(at: (number | string)[], kind: 'cert' | 'key'): Promise<PemSource> {
    const v = this.get(at)
    if (typeof v === 'string') return this.pemFrom([...at], {pem: v}, kind)
    if (!isObj(v)) throw this.fail(at, v === undefined ? 'required: {pem: …} or {path: …}' : 'must be {pem} or {path}')
    if (v.pem !== undefined) {
      const pem = Array.isArray(v.pem) ? v.pem.join('\n') : v.pem
      if (typeof pem !== 'string' || pem.trim() === '') throw this.fail([...at, 'pem'], 'must be PEM text')
      return this.pemFrom([...at, 'pem'], {pem}, kind)
    }

    if (typeof v.path === 'string' && v.path !== '')
      return this.pemFrom([...at, 'path'], {file: path.resolve(this.dir, v.path)}, kind)
    throw this.fail(at, 'required: pem or path')
  }

  str(at: (number | string)[], required = false): string | undefined {
    const v = this.get(at)
    if (v === undefined || v === null || v === '') {
      if (required) throw this.fail(at, 'required')
      return undefined
    }

    if (typeof v !== 'string' && typeof v !== 'number') throw this.fail(at, 'must be a string')
    return String(v)
  }

  private async pemFrom(at: (number | string)[], src: PemSource, kind: 'cert' | 'key'): Promise<PemSource> {
    let text: string
    try {
      text = await pemText(src)
    } catch (error) {
      throw this.fail(at, (error as Error).message)
    }

    const problem = kind === 'cert' ? certProblem(text) : keyProblem(text)
    if (problem) throw this.fail(at, 'file' in src ? `${src.file}: ${problem}` : problem)
    return src
  }
}
