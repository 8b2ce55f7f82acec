/** Read `-f` inputs: files, directories (recursive; .yaml, .yml, .json) and `-` for stdin. */
import {promises as fs} from 'node:fs'
import path from 'node:path'

import type {InputError} from '../types.js'

export interface Source {
  /** The name shown in reports: the path as given (relative stays relative), or `<stdin>`. */
  file: string
  json: boolean
  text: string
}

const EXTS = new Set(['.json', '.yaml', '.yml'])

export async function readStdin(stream: NodeJS.ReadableStream = process.stdin): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer))
  return Buffer.concat(chunks).toString('utf8')
}

async function walk(dir: string, out: string[]): Promise<void> {
  const entries = await fs.readdir(dir, {withFileTypes: true})
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  for (const e of entries) {
    const p = path.join(dir, e.name)
    if (e.isDirectory()) {
      if (e.name === 'node_modules' || e.name === '.git') continue
      await walk(p, out)
    } else if ((e.isFile() || e.isSymbolicLink()) && EXTS.has(path.extname(e.name).toLowerCase())) out.push(p)
  }
}

function ioMessage(p: string, err: unknown): string {
  const e = err as NodeJS.ErrnoException
  if (e?.code === 'ENOENT') return `${p}: no such file or directory`
  if (e?.code === 'EACCES') return `${p}: permission denied`
  return `${p}: cannot read (${e?.message ?? String(err)})`
}

/** Expand and read every input; unreadable ones become input errors (the others are still read). */
export async function readSources(
  inputs: string[],
  stdin?: () => Promise<string>,
): Promise<{errors: InputError[]; sources: Source[]}> {
  const sources: Source[] = []
  const errors: InputError[] = []
  let stdinRead = false
  for (const input of inputs) {
    if (input === '-') {
      if (stdinRead) continue
      stdinRead = true
      try {
        const text = await (stdin ?? (() => readStdin()))()
        sources.push({file: '<stdin>', json: /^\s*[[{]/.test(text) && !/^\s*\{\{/.test(text), text})
      } catch (error) {
        errors.push({file: '<stdin>', line: null, message: ioMessage('<stdin>', error)})
      }

      continue
    }

    let files: string[]
    try {
      const st = await fs.stat(input)
      if (st.isDirectory()) {
        files = []
        await walk(input, files)
        if (files.length === 0)
          errors.push({file: input, line: null, message: `${input}: directory holds no .yaml, .yml or .json file`})
      } else files = [input]
    } catch (error) {
      errors.push({file: input, line: null, message: ioMessage(input, error)})
      continue
    }

    for (const f of files) {
      try {
        const text = await fs.readFile(f, 'utf8')
        sources.push({file: f, json: path.extname(f).toLowerCase() === '.json', text})
      } catch (error) {
        errors.push({file: f, line: null, message: ioMessage(f, error)})
      }
    }
  }

  return {errors, sources}
}
