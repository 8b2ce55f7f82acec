/**
 * Writing an imported network: the `network` section spliced into fabk8s.yaml's own text (every other byte, comments
 * included, stays as it was), and the material folder swapped in whole. The yaml Document API finds where the old
 * section starts and ends; the result is parsed again and compared with the original before anything is written.
 *
 * writeImport writes everything all or nothing, as far as the filesystem allows: it checks that every file and folder
 * can be written, stages each (the material folder, .dockerignore, fabk8s.yaml) beside its destination, then renames
 * them into place, fabk8s.yaml last; a failed rename undoes the ones before it.
 */
import {randomBytes} from 'node:crypto'
import {promises as fs, constants as fsConstants, type Stats} from 'node:fs'
import path from 'node:path'
import {isDeepStrictEqual} from 'node:util'

import type {NetworkSection, PlannedFile} from './section.js'

import {FabError, messageOf} from '../errors.js'

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

/**
 * The text up to a document-end marker (`...`) after the mapping, and the marker on: the section goes before it, else
 * it would start a new document.
 */
function splitDocumentEnd(text: string, contentsEnd: number): {body: string; trailer: string} {
  const marker = /^\.\.\.(?=[ \t]*(?:#.*)?(?:\r?\n|$))/m.exec(text.slice(contentsEnd))
  const at = marker ? contentsEnd + marker.index : text.length
  return {body: text.slice(0, at), trailer: text.slice(at)}
}

/** Where the line of a key at `at` starts, when it holds nothing before the key but `indent` spaces or tabs. */
function ownLineStart(text: string, at: number, indent: number): number | undefined {
  const start = at - indent
  return text.lastIndexOf('\n', at - 1) + 1 === start && /^[ \t]*$/.test(text.slice(start, at)) ? start : undefined
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
  const {body, trailer} = splitDocumentEnd(text, contents?.range?.[2] ?? 0)
  let out: string
  let mode: SpliceMode
  if (contents === null || (isScalar(contents) && (contents.value === null || contents.value === ''))) {
    out = body + (body === '' || body.endsWith('\n') ? '' : '\n') + sectionYaml + trailer
    mode = 'appended'
  } else if (!isMap(contents) || contents.flow) {
    throw new FabError('PROJECT', `${rel}: must be a block YAML mapping (name: …, version: …)`)
  } else {
    // the section goes in at the mapping's own indentation (a file whose keys are all indented is valid YAML)
    const indent = lc.linePos(contents.range![0]).col - 1
    const section = sectionYaml.replaceAll(/^(?=.)/gm, ' '.repeat(indent))
    const pair = contents.items.find((p) => isScalar(p.key) && p.key.value === 'network')
    if (pair) {
      const key = pair.key as {range: [number, number, number]}
      const value = pair.value as null | {range?: [number, number, number]}
      const start = ownLineStart(text, key.range[0], indent)
      if (start === undefined)
        throw new FabError('PROJECT', `${rel}:${lc.linePos(key.range[0]).line} network: must start its own line`)
      const end = sectionEnd(text, value?.range ? value.range[1] - 1 : key.range[1])
      out = text.slice(0, start) + section + text.slice(end)
      mode = 'replaced'
    } else if (EXAMPLE_RE.test(body)) {
      out = body.replace(EXAMPLE_RE, section) + trailer
      mode = 'replaced-example'
    } else {
      const sep = body.endsWith('\n\n') ? '' : body.endsWith('\n') ? '\n' : '\n\n'
      out = body + sep + section + trailer
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

const codeOf = (error: unknown) => (error as NodeJS.ErrnoException).code ?? messageOf(error)

/** How a path is named in messages: relative to the current folder when inside it. */
const shown = (p: string) => {
  const rel = path.relative(process.cwd(), p)
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : p
}

async function lstatOrNone(p: string): Promise<Stats | undefined> {
  try {
    return await fs.lstat(p)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
}

/** A destination that cannot be written, found before anything was. */
function cannotWrite(p: string, why: string, hint: string): never {
  throw new FabError('FILESYSTEM', `${shown(p)}: cannot write (${why}); nothing was changed`, {hint})
}

/** The file a path names, through a symlink (a symlinked fabk8s.yaml stays a symlink); the path itself when missing. */
async function resolved(target: string): Promise<string> {
  try {
    return await fs.realpath(target)
  } catch {
    return target
  }
}

const tempPath = (file: string, what: string) =>
  path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(4).toString('hex')}.${what}`)

/** Write `text` to a new temporary file beside `file` (fsync), with `file`'s mode (0644 for a new file). */
async function stageFile(file: string, text: string): Promise<string> {
  let mode = 0o644
  try {
    mode = (await fs.stat(file)).mode & 0o777
  } catch {}

  const tmp = tempPath(file, 'tmp')
  try {
    const fh = await fs.open(tmp, 'wx', mode)
    try {
      await fh.writeFile(text)
      await fh.sync()
    } finally {
      await fh.close()
    }

    await fs.chmod(tmp, mode)
    return tmp
  } catch (error) {
    await fs.rm(tmp, {force: true}).catch(() => {})
    throw error
  }
}

export interface StagedMaterial {
  /** Remove what the swap replaced. */
  commit(): Promise<void>
  /** Where the replaced folder waits until commit (none when there was none). */
  previous?: string
  /** Put the previous folder back. */
  rollback(): Promise<void>
}

/** The material written into a folder beside its destination, not yet swapped in. */
interface PreparedMaterial {
  /** Remove the staged folder (and the parent folder when it was made for it). */
  discard(): Promise<void>
  /** Swap the staged folder in for `dir`. */
  swap(): Promise<StagedMaterial>
}

/**
 * Write the planned files into a fresh folder next to `dir` (folders 0700, files with their mode; a .gitignore of `*`
 * so the keys stay out of git), to be swapped in for `dir`. With no files, the swap removes a previous `dir`.
 */
async function prepareMaterial(dir: string, files: PlannedFile[]): Promise<PreparedMaterial> {
  const parent = path.dirname(dir)
  const tag = randomBytes(4).toString('hex')
  const staging = `${dir}.new-${tag}`
  const old = `${dir}.old-${tag}`
  const madeParent = files.length > 0 && !(await lstatOrNone(parent))
  const discard = async () => {
    await fs.rm(staging, {force: true, recursive: true})
    if (madeParent) await fs.rmdir(parent).catch(() => {})
  }

  try {
    if (files.length > 0) {
      await fs.mkdir(parent, {mode: 0o700, recursive: true})
      await fs.mkdir(staging, {mode: 0o700})
      const gitignore = path.join(staging, '.gitignore')
      await fs.writeFile(gitignore, '# written by fabk8s network import: keys stay out of git\n*\n')
      await fs.chmod(gitignore, 0o644)
      for (const f of files) {
        const target = path.join(staging, ...f.rel.split('/'))
        await fs.mkdir(path.dirname(target), {mode: 0o700, recursive: true})
        await fs.writeFile(target, f.content, {flag: 'wx', mode: f.mode})
        await fs.chmod(target, f.mode)
      }

      // mkdir's mode is filtered by the umask; the folders holding keys must be 0700 whatever it is
      for (const f of files) {
        let d = path.dirname(path.join(staging, ...f.rel.split('/')))
        while (d.length >= staging.length) {
          await fs.chmod(d, 0o700)
          d = path.dirname(d)
        }
      }
    }
  } catch (error) {
    await discard().catch(() => {})
    throw error
  }

  return {
    discard,
    async swap() {
      const hadOld = Boolean(await lstatOrNone(dir))
      if (hadOld) await fs.rename(dir, old)
      if (files.length > 0)
        try {
          await fs.rename(staging, dir)
        } catch (error) {
          if (hadOld) await fs.rename(old, dir).catch(() => {})
          throw error
        }

      return {
        async commit() {
          if (hadOld) await fs.rm(old, {force: true, recursive: true})
        },
        ...(hadOld ? {previous: old} : {}),
        async rollback() {
          if (files.length > 0) await fs.rm(dir, {force: true, recursive: true})
          if (hadOld) await fs.rename(old, dir)
          if (madeParent) await fs.rmdir(parent).catch(() => {})
        },
      }
    },
  }
}

/**
 * Write the planned files into a fresh folder next to `dir` and swap it in for `dir` (folders 0700, files with their
 * mode; a .gitignore of `*` so the keys stay out of git). With no files, the swap removes a previous `dir`.
 */
export async function stageMaterial(dir: string, files: PlannedFile[]): Promise<StagedMaterial> {
  let prepared: PreparedMaterial | undefined
  try {
    prepared = await prepareMaterial(dir, files)
    return await prepared.swap()
  } catch (error) {
    await prepared?.discard().catch(() => {})
    throw new FabError('FILESYSTEM', `${dir}: cannot write (${codeOf(error)})`)
  }
}

export interface DockerignorePlan {
  file: string
  /** `.fabk8s` added, file created, or already there (nothing to write). */
  status: 'added' | 'created' | 'present'
  /** The new text, unless present. */
  text?: string
}

/**
 * Docker sends the whole project folder as the build context (and the Go Dockerfile copies it): .dockerignore must
 * keep `.fabk8s` out. What to write there, if anything; a .dockerignore that is a folder or cannot be read is an error
 * naming it.
 */
export async function planDockerignore(projectDir: string): Promise<DockerignorePlan> {
  const file = path.join(projectDir, '.dockerignore')
  const fail = (why: string, hint: string) => cannotWrite(file, why, hint)

  let text: string | undefined
  try {
    text = await fs.readFile(file, 'utf8')
  } catch (error) {
    const {code} = error as NodeJS.ErrnoException
    if (code === 'EISDIR') fail('EISDIR: a folder has that name', 'move the folder out of the way')
    if (code !== 'ENOENT') fail(codeOf(error), 'check its permissions')
  }

  if (text !== undefined && text.split(/\r?\n/).some((l) => /^\/?\.fabk8s\/?(\*\*)?$/.test(l.trim())))
    return {file, status: 'present'}
  const line = '# fabk8s network import: imported keys and certificates\n.fabk8s\n'
  if (text === undefined) return {file, status: 'created', text: line}
  return {file, status: 'added', text: text + (text.endsWith('\n') || text === '' ? '' : '\n') + line}
}

export interface ImportWrite {
  /** .dockerignore's new text, when it changes. */
  dockerignore?: {file: string; text: string}
  /** fabk8s.yaml and its new text. */
  file: string
  /** The material folder (.fabk8s/network) and what goes in it: none removes a previous folder. */
  material: {dir: string; files: PlannedFile[]}
  text: string
}

/** `p` is to be written in `dir`: the folder must let us create and rename files. */
async function writableIn(p: string, dir: string): Promise<void> {
  try {
    await fs.access(dir, fsConstants.W_OK | fsConstants.X_OK)
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT'
    cannotWrite(
      p,
      `${codeOf(error)}: its folder ${missing ? 'does not exist' : 'is not writable'}`,
      missing ? `create ${shown(dir)}` : `make ${shown(dir)} writable`,
    )
  }
}

/** `p` is to be a file (through a symlink, the file it points to): not a folder, in a folder we can write. */
async function checkFile(p: string): Promise<void> {
  const real = await resolved(p)
  const st = await lstatOrNone(real).catch((error) => cannotWrite(p, codeOf(error), 'check its permissions'))
  if (st?.isDirectory()) cannotWrite(p, 'EISDIR: a folder has that name', 'move the folder out of the way')
  await writableIn(p, path.dirname(real))
}

/** `p` is to be a folder: a folder (true) or missing (false), never a file. */
async function checkFolder(p: string): Promise<boolean> {
  const st = await fs.stat(p).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') cannotWrite(p, codeOf(error), 'check its permissions')
  })
  if (st && !st.isDirectory())
    cannotWrite(p, 'ENOTDIR: a file has that name', 'move the file out of the way; fabk8s keeps imported keys there')
  return Boolean(st)
}

/**
 * Check that every destination can be written: fabk8s.yaml and .dockerignore are (or may become) files in folders
 * it can write; .fabk8s and .fabk8s/network are folders (or missing) it can write into.
 */
async function checkDestinations(w: ImportWrite): Promise<void> {
  const {dir, files} = w.material
  const parent = path.dirname(dir)
  if (files.length > 0 || (await lstatOrNone(dir))) {
    if (await checkFolder(parent)) {
      await checkFolder(dir)
      await writableIn(dir, parent)
    } else await writableIn(parent, path.dirname(parent))
  }

  if (w.dockerignore) await checkFile(w.dockerignore.file)
  await checkFile(w.file)
}

/**
 * Write an import all or nothing, as far as the filesystem allows. 1. Check every destination. 2. Stage the material
 * folder, .dockerignore and fabk8s.yaml beside their destinations. 3. Swap the material folder in, rename
 * .dockerignore into place (the previous one kept as a hard link), and fabk8s.yaml last. A failure in 2 removes what
 * was staged; in 3, the steps done are undone too. The error names the file and says that nothing was changed, or,
 * when undoing failed too, exactly what was written and what not. Returns notes on leftovers it could not remove.
 */
export async function writeImport(w: ImportWrite): Promise<{notes: string[]}> {
  await checkDestinations(w)

  // 2. stage
  const {dir, files} = w.material
  const yaml = await resolved(w.file)
  const ignore = w.dockerignore && {...w.dockerignore, real: await resolved(w.dockerignore.file)}
  let material: PreparedMaterial | undefined
  let ignoreTmp: string | undefined
  let ignoreBackup: string | undefined
  let yamlTmp: string | undefined
  let step = dir
  const discard = async () => {
    await material?.discard().catch(() => {})
    for (const p of [ignoreTmp, ignoreBackup, yamlTmp]) if (p) await fs.rm(p, {force: true}).catch(() => {})
  }

  try {
    material = await prepareMaterial(dir, files)
    if (ignore) {
      step = ignore.file
      ignoreTmp = await stageFile(ignore.real, ignore.text)
      // the previous .dockerignore stays reachable until fabk8s.yaml is in: a hard link, or a copy
      if (await lstatOrNone(ignore.real)) {
        ignoreBackup = tempPath(ignore.real, 'orig')
        await fs
          .link(ignore.real, ignoreBackup)
          .catch(() => fs.copyFile(ignore.real, ignoreBackup!, fsConstants.COPYFILE_EXCL))
      }
    }

    step = w.file
    yamlTmp = await stageFile(yaml, w.text)
  } catch (error) {
    await discard()
    throw new FabError('FILESYSTEM', `${shown(step)}: cannot write (${codeOf(error)}); nothing was changed`, {
      hint: 'check that the folder is writable and has space',
    })
  }

  // 3. rename into place, fabk8s.yaml last
  const done: {name: string; undo: () => Promise<void>; where?: string}[] = []
  let swapped: StagedMaterial | undefined
  try {
    step = dir
    swapped = await material.swap()
    done.push({name: dir, undo: () => swapped!.rollback(), where: swapped.previous})
    if (ignore) {
      step = ignore.file
      await fs.rename(ignoreTmp!, ignore.real)
      ignoreTmp = undefined
      const backup = ignoreBackup
      done.push({
        name: ignore.file,
        undo: () => (backup ? fs.rename(backup, ignore.real) : fs.unlink(ignore.real)),
        where: backup,
      })
    }

    step = w.file
    await fs.rename(yamlTmp, yaml)
  } catch (error) {
    const problems: string[] = []
    const written: string[] = []
    for (const d of [...done].reverse()) {
      try {
        await d.undo()
        if (d.name === ignore?.file) ignoreBackup = undefined // renamed back into place
      } catch (error_) {
        written.push(shown(d.name))
        if (d.name === ignore?.file) ignoreBackup = undefined // still holds the previous file: keep it
        problems.push(
          `could not undo ${shown(d.name)} (${codeOf(error_)})${d.where ? `: the previous one is at ${shown(d.where)}` : ''}`,
        )
      }
    }

    await discard()
    const why = `${shown(step)}: cannot write (${codeOf(error)})`
    if (problems.length === 0)
      throw new FabError('FILESYSTEM', `${why}; nothing was changed`, {
        hint: 'check that the folder is writable and has space',
      })
    const notWritten = [dir, ...(ignore ? [ignore.file] : []), w.file]
      .map((p) => shown(p))
      .filter((p) => !written.includes(p))
    throw new FabError('FILESYSTEM', `${why}; written: ${written.join(', ')}; not written: ${notWritten.join(', ')}`, {
      detail: {notWritten, problems, written},
      hint: problems.join('; '),
    })
  }

  // 4. drop what was replaced
  const notes: string[] = []
  try {
    await swapped.commit()
  } catch (error) {
    notes.push(`could not remove the previous ${shown(dir)} (${codeOf(error)}): remove ${shown(swapped.previous!)}`)
  }

  if (ignoreBackup) await fs.rm(ignoreBackup, {force: true}).catch(() => {})
  return {notes}
}
