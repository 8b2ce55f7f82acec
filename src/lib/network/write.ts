/**
 * Writing an imported network: the `network` section spliced into fabk8s.yaml's own text (every other byte, comments
 * included, stays as it was), and the material folder swapped in whole. The yaml Document API finds where the old
 * section starts and ends; the result is parsed again and compared with the original before anything is written,
 * then written to a temporary file and renamed over fabk8s.yaml.
 */
import {randomBytes} from 'node:crypto'
import {existsSync} from 'node:fs'
import {chmod, mkdir, open, readFile, realpath, rename, rm, stat, writeFile} from 'node:fs/promises'
import path from 'node:path'
import {isDeepStrictEqual} from 'node:util'

import type {NetworkSection, PlannedFile} from './section.js'

import {FabError} from '../errors.js'

export type SpliceMode = 'appended' | 'replaced' | 'replaced-example'

/** fabk8s init writes a commented-out example `# network:` block; the import takes its place. */
const EXAMPLE_RE = /^#[ \t]*network:[ \t]*\r?\n(?:#[ \t]{2,}\S.*(?:\r?\n|$))+/m

/** The end of the line holding `pos` (after its newline), and then past indented comment lines that follow. */
function sectionEnd(text: string, pos: number): number {
  let end = text.indexOf('\n', pos)
  end = end === -1 ? text.length : end + 1
  const indentedComment = /^[ \t]+#.*(?:\r?\n|$)/
  for (;;) {
    const m = indentedComment.exec(text.slice(end))
    if (!m || m[0] === '') return end
    end += m[0].length
  }
}

export async function spliceNetwork(
  text: string,
  sectionYaml: string,
  rel: string,
): Promise<{mode: SpliceMode; text: string}> {
  const {isMap, isScalar, LineCounter, parseAllDocuments, parseDocument} = await import('yaml')
  const lc = new LineCounter()
  const all = parseAllDocuments(text, {lineCounter: lc, prettyErrors: false})
  if (!Array.isArray(all) || all.length > 1)
    throw new FabError('PROJECT', `${rel}: holds several YAML documents; fabk8s.yaml is one mapping`)
  const doc = all[0] ?? parseDocument('')
  if (doc.errors.length > 0) {
    const e = doc.errors[0]
    throw new FabError('PROJECT', `${rel}:${lc.linePos(e.pos[0]).line} ${e.message.split('\n')[0]}`, {
      hint: 'fix the YAML syntax first',
    })
  }

  const {contents} = doc
  let out: string
  let mode: SpliceMode
  if (contents === null || (isScalar(contents) && (contents.value === null || contents.value === ''))) {
    out = text + (text === '' || text.endsWith('\n') ? '' : '\n') + sectionYaml
    mode = 'appended'
  } else if (!isMap(contents) || contents.flow) {
    throw new FabError('PROJECT', `${rel}: must be a block YAML mapping (name: …, version: …)`)
  } else {
    const pair = contents.items.find((p) => isScalar(p.key) && p.key.value === 'network')
    if (pair) {
      const key = pair.key as {range: [number, number, number]}
      const value = pair.value as null | {range?: [number, number, number]}
      const start = key.range[0]
      if (start !== 0 && text[start - 1] !== '\n')
        throw new FabError('PROJECT', `${rel}:${lc.linePos(start).line} network: must start its own line`)
      const end = sectionEnd(text, value?.range ? value.range[1] - 1 : key.range[1])
      out = text.slice(0, start) + sectionYaml + text.slice(end)
      mode = 'replaced'
    } else if (EXAMPLE_RE.test(text)) {
      out = text.replace(EXAMPLE_RE, sectionYaml)
      mode = 'replaced-example'
    } else {
      const sep = text.endsWith('\n\n') ? '' : text.endsWith('\n') ? '\n' : '\n\n'
      out = text + sep + sectionYaml
      mode = 'appended'
    }
  }

  // the result must parse, hold exactly the new section, and keep every other field as it was
  const after = parseDocument(out, {prettyErrors: false})
  const before = (doc.toJS() ?? {}) as Record<string, unknown>
  const now = after.errors.length === 0 ? ((after.toJS() ?? {}) as Record<string, unknown>) : undefined
  const section = parseDocument(sectionYaml).toJS() as {network: NetworkSection}
  const rest = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([k]) => k !== 'network'))
  if (!now || !isDeepStrictEqual(rest(now), rest(before)) || !isDeepStrictEqual(now.network, section.network))
    throw new FabError(
      'FAILURE',
      `${rel}: the edited file would not keep its other fields as they are; nothing written`,
      {
        hint: 'this looks like a bug in fabk8s: please report it with the file (remove secrets first)',
      },
    )
  return {mode, text: out}
}

/** Write `text` to `file` through a temporary file in the same folder and a rename; keeps the file's mode. */
export async function atomicWrite(target: string, text: string): Promise<void> {
  // a symlinked fabk8s.yaml stays a symlink: write the file it points to
  let file = target
  try {
    file = await realpath(target)
  } catch {}

  let mode = 0o644
  try {
    mode = (await stat(file)).mode & 0o777
  } catch {}

  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(4).toString('hex')}.tmp`)
  try {
    const fh = await open(tmp, 'wx', mode)
    try {
      await fh.writeFile(text)
      await fh.sync()
    } finally {
      await fh.close()
    }

    await chmod(tmp, mode)
    await rename(tmp, file)
  } catch (error) {
    await rm(tmp, {force: true})
    throw new FabError('FILESYSTEM', `${file}: cannot write (${(error as NodeJS.ErrnoException).code ?? error})`)
  }
}

export interface StagedMaterial {
  /** Remove what the swap replaced. */
  commit(): Promise<void>
  /** Put the previous folder back. */
  rollback(): Promise<void>
}

/**
 * Write the planned files into a fresh folder next to `dir` and swap it in for `dir` (folders 0700, files with their
 * mode; a .gitignore of `*` so the keys stay out of git). With no files, the swap removes a previous `dir`.
 */
export async function stageMaterial(dir: string, files: PlannedFile[]): Promise<StagedMaterial> {
  const parent = path.dirname(dir)
  const tag = randomBytes(4).toString('hex')
  const staging = `${dir}.new-${tag}`
  const old = `${dir}.old-${tag}`
  const fail = (error: unknown): never => {
    throw new FabError('FILESYSTEM', `${dir}: cannot write (${(error as NodeJS.ErrnoException).code ?? error})`)
  }

  try {
    if (files.length > 0) {
      await mkdir(parent, {mode: 0o700, recursive: true})
      await mkdir(staging, {mode: 0o700})
      const gitignore = path.join(staging, '.gitignore')
      await writeFile(gitignore, '# written by fabk8s network import: keys stay out of git\n*\n')
      await chmod(gitignore, 0o644)
      for (const f of files) {
        const target = path.join(staging, ...f.rel.split('/'))
        await mkdir(path.dirname(target), {mode: 0o700, recursive: true})
        await writeFile(target, f.content, {flag: 'wx', mode: f.mode})
        await chmod(target, f.mode)
      }

      // mkdir's mode is filtered by the umask; the folders holding keys must be 0700 whatever it is
      for (const f of files) {
        let d = path.dirname(path.join(staging, ...f.rel.split('/')))
        while (d.length >= staging.length) {
          await chmod(d, 0o700)
          d = path.dirname(d)
        }
      }
    }

    const hadOld = existsSync(dir)
    if (hadOld) await rename(dir, old)
    if (files.length > 0) await rename(staging, dir)
    return {
      async commit() {
        if (hadOld) await rm(old, {force: true, recursive: true})
      },
      async rollback() {
        await rm(dir, {force: true, recursive: true})
        if (hadOld) await rename(old, dir)
      },
    }
  } catch (error) {
    await rm(staging, {force: true, recursive: true})
    return fail(error)
  }
}

/**
 * Docker sends the whole project folder as the build context (and the Go Dockerfile copies it): make sure
 * .dockerignore keeps `.fabk8s` out. Returns what it did.
 */
export async function ensureDockerignore(projectDir: string): Promise<'added' | 'created' | 'present'> {
  const file = path.join(projectDir, '.dockerignore')
  let text: string | undefined
  try {
    text = await readFile(file, 'utf8')
  } catch {}

  if (text !== undefined && text.split(/\r?\n/).some((l) => /^\/?\.fabk8s\/?(\*\*)?$/.test(l.trim()))) return 'present'
  const line = '# fabk8s network import: imported keys and certificates\n.fabk8s\n'
  await atomicWrite(file, text === undefined ? line : text + (text.endsWith('\n') || text === '' ? '' : '\n') + line)
  return text === undefined ? 'created' : 'added'
}
