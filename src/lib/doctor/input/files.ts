/** Read `-f` inputs: files, directories (recursive; .yaml, .yml, .json) and `-` for stdin. */
import {isAscii} from 'node:buffer'
import {promises as fs} from 'node:fs'
import path from 'node:path'

import type {InputError} from '../types.js'

import {MAX_INPUT_BYTES} from './bounds.js'

export interface Source {
  /** The name shown in reports: the path as given (relative stays relative), or `<stdin>`. */
  file: string
  json: boolean
  /** The directory argument this file was found in; absent for a file named on its own and for stdin. */
  origin?: string
  text: string
}

const EXTS = new Set(['.json', '.yaml', '.yml'])

export interface ReadOptions {
  /** Largest input read (default MAX_INPUT_BYTES); a larger one is an input error, never read in part. */
  maxBytes?: number
  /** What "-" reads (default process.stdin). */
  stdin?: NodeJS.ReadableStream
}

/** An input larger than doctor reads. */
export class TooLarge extends Error {
  constructor(
    readonly what: string,
    readonly limit: number,
  ) {
    super(`${what}: larger than ${limit} bytes, the most doctor reads from one input; split it (e.g. per namespace)`)
  }
}

/** Read a stream to its end, or stop at `limit` bytes with TooLarge (nothing beyond the limit is buffered). */
export async function readStream(
  stream: NodeJS.ReadableStream,
  what: string,
  limit = MAX_INPUT_BYTES,
): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of stream) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer)
    size += b.length
    if (size > limit) {
      ;(stream as NodeJS.ReadableStream & {destroy?: () => void}).destroy?.()
      throw new TooLarge(what, limit)
    }

    chunks.push(b)
  }

  return decode(Buffer.concat(chunks))
}

/** UTF-8 text; an ASCII one (the usual manifest) decoded as latin1, the same characters at a quarter of the cost. */
function decode(b: Buffer): string {
  return isAscii(b) ? b.toString('latin1') : b.toString('utf8')
}

/** Read a file whole, refusing one larger than `limit` (checked before reading; FIFOs and devices while reading). */
async function readFileCapped(file: string, limit: number): Promise<string> {
  const handle = await fs.open(file, 'r')
  try {
    const st = await handle.stat()
    if (st.isFile()) {
      if (st.size > limit) throw new TooLarge(file, limit)
      return decode(await handle.readFile())
    }

    return await readStream(handle.createReadStream({autoClose: false}), file, limit)
  } finally {
    await handle.close()
  }
}

/**
 * Collect .yaml/.yml/.json files under `dir`, sorted, following symlinked folders (each real folder once, so a link
 * back up does not loop). A folder that cannot be listed is an input error; its siblings are still read.
 */
async function walk(dir: string, out: string[], errors: InputError[], seen: Set<string>): Promise<void> {
  let entries
  try {
    const real = await fs.realpath(dir)
    if (seen.has(real)) return
    seen.add(real)
    entries = await fs.readdir(dir, {withFileTypes: true})
  } catch (error) {
    errors.push({file: dir, line: null, message: ioMessage(dir, error)})
    return
  }

  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  for (const e of entries) {
    const p = path.join(dir, e.name)
    let isDir = e.isDirectory()
    let isFile = e.isFile()
    if (e.isSymbolicLink()) {
      try {
        const st = await fs.stat(p)
        isDir = st.isDirectory()
        isFile = !isDir
      } catch (error) {
        // a broken link is only a problem when it names a manifest
        if (EXTS.has(path.extname(e.name).toLowerCase()))
          errors.push({file: p, line: null, message: ioMessage(p, error)})
        continue
      }
    }

    if (isDir) {
      if (e.name === 'node_modules' || e.name === '.git') continue
      await walk(p, out, errors, seen)
    } else if (isFile && EXTS.has(path.extname(e.name).toLowerCase())) out.push(p)
  }
}

function ioMessage(p: string, err: unknown): string {
  if (err instanceof TooLarge) return err.message
  const e = err as NodeJS.ErrnoException
  if (e?.code === 'ENOENT') return `${p}: no such file or directory`
  if (e?.code === 'ELOOP') return `${p}: too many levels of symbolic links`
  if (e?.code === 'EACCES') return `${p}: permission denied`
  return `${p}: cannot read (${e?.message ?? String(err)})`
}

/** Expand and read every input; unreadable ones become input errors (the others are still read). */
export async function readSources(
  inputs: string[],
  opts: ReadOptions = {},
): Promise<{errors: InputError[]; sources: Source[]}> {
  const limit = opts.maxBytes ?? MAX_INPUT_BYTES
  const sources: Source[] = []
  const errors: InputError[] = []
  let stdinRead = false
  // a file named twice (-f a.yaml -f ./a.yaml, or a file and its folder) is read once: found once, fixed once
  const read = new Set<string>()
  for (const input of inputs) {
    if (input === '-') {
      if (stdinRead) continue
      stdinRead = true
      try {
        const text = await readStream(opts.stdin ?? process.stdin, '<stdin>', limit)
        sources.push({file: '<stdin>', json: /^\s*[[{]/.test(text) && !/^\s*\{\{/.test(text), text})
      } catch (error) {
        errors.push({file: '<stdin>', line: null, message: ioMessage('<stdin>', error)})
      }

      continue
    }

    let files: string[]
    let origin: string | undefined
    try {
      const st = await fs.stat(input)
      if (st.isDirectory()) {
        origin = input
        files = []
        const before = errors.length
        await walk(input, files, errors, new Set())
        if (files.length === 0 && errors.length === before)
          errors.push({file: input, line: null, message: `${input}: directory holds no .yaml, .yml or .json file`})
      } else files = [input]
    } catch (error) {
      errors.push({file: input, line: null, message: ioMessage(input, error)})
      continue
    }

    for (const f of files) {
      const real = await fs.realpath(f).catch(() => path.resolve(f))
      if (read.has(real)) continue
      read.add(real)
      try {
        const text = await readFileCapped(f, limit)
        sources.push({file: f, json: path.extname(f).toLowerCase() === '.json', origin, text})
      } catch (error) {
        errors.push({file: f, line: null, message: ioMessage(f, error)})
      }
    }
  }

  return {errors, sources}
}
