/**
 * The package a command works with: built from fabk8s.yaml, or read (and checked) from a --package file; and
 * `lifecycle package` writing it to disk.
 */
import {readFile} from 'node:fs/promises'

import type {ProjectConfig} from '../project/schema.js'

import {FabError} from '../errors.js'
import {buildPackage, parsePackage} from './package.js'

export interface PackageRef {
  bytes: Buffer
  label: string
  packageId: string
}

/** The project's package, or one read from --package FILE (checked, and its label must match unless overridden). */
export async function resolvePackage(
  project: ProjectConfig,
  opts: {file?: string; label?: string} = {},
): Promise<PackageRef> {
  // an empty --package (an unset variable) is no file: building the project's package instead would hide that
  if (opts.file?.trim() === '')
    throw new FabError('USAGE', '--package: empty value', {
      hint: "give the package file, or leave the flag out to use fabk8s.yaml's package",
    })
  if (!opts.file) {
    const p = await buildPackage(project, {label: opts.label})
    return {bytes: p.bytes, label: p.label, packageId: p.packageId}
  }

  let bytes: Buffer
  try {
    bytes = await readFile(opts.file)
  } catch {
    throw new FabError('USAGE', `--package: cannot read ${opts.file}`)
  }

  const parsed = parsePackage(bytes, opts.file)
  const expected = opts.label ?? project.label
  if (parsed.label !== expected)
    throw new FabError(
      'FABRIC',
      `${opts.file}: label mismatch: the package says "${parsed.label}", ${opts.label === undefined ? 'the project expects' : '--label says'} "${expected}"`,
      {
        hint:
          opts.label === undefined
            ? 'rebuild the package with `fabk8s lifecycle package`, or pass --label to accept this one'
            : `give --label ${parsed.label} to accept this package, or --package a package labelled ${expected}`,
      },
    )
  return {bytes, label: parsed.label, packageId: parsed.packageId}
}

/**
 * Whether a `-o/--output` value names the package file itself (as `peer lifecycle chaincode package FILE` takes
 * it) rather than the folder for <label>.tar.gz: it ends in .tgz or .tar.gz, in any case. A trailing / says folder.
 */
function namesPackageFile(output: string): boolean {
  return /\.(?:tgz|tar\.gz)$/i.test(output)
}

/**
 * `lifecycle package`: write the package to `output`, a file when its name ends in .tgz or .tar.gz (unless a folder
 * already has that name: then, as before, it stays the folder), else the folder for <label>.tar.gz (default: .).
 * The file's folder is made when missing. All or nothing: a temp file in that folder, then one rename.
 */
export async function writePackage(
  project: ProjectConfig,
  opts: {label?: string; output: string},
): Promise<{file: string; label: string; packageId: string; warnings: string[]}> {
  const {promises: fs} = await import('node:fs')
  const {basename, dirname, join, resolve: resolvePath} = await import('node:path')
  const p = await buildPackage(project, {label: opts.label})
  const target = resolvePath(opts.output)
  const asFile = namesPackageFile(opts.output) && (await fs.stat(target).catch(() => null))?.isDirectory() !== true
  const dir = asFile ? dirname(target) : target
  const file = asFile ? target : join(dir, p.fileName)
  const flag = `-o/--output ${opts.output}`
  // a file where the folder (or one above it) must be: mkdir would fail with ENOTDIR or EEXIST, naming neither
  const inTheWay = await fileInTheWay(dir)
  if (inTheWay)
    throw new FabError('FILESYSTEM', `${flag}: ${inTheWay} is a file, not a folder`, {
      hint: asFile
        ? `the package file goes into ${dir}, which must be a folder (it is made when missing)`
        : 'give the folder to write <label>.tar.gz into (default: the current folder), or a file name ending in .tar.gz or .tgz',
    })
  // atomic (temp + rename, in the same folder); a package holding the mTLS client key is private from its first byte
  const tmp = join(dir, `.${basename(file)}.${process.pid}.tmp`)
  try {
    await fs.mkdir(dir, {recursive: true})
    await fs.writeFile(tmp, p.bytes, {flag: 'wx', mode: project.chaincode.tls.clientAuth ? 0o600 : 0o666})
    await fs.rename(tmp, file)
  } catch (error) {
    // the folder may be missing or not one (ENOENT, ENOTDIR): then there is no temp file either, and removing it fails too
    await fs.rm(tmp, {force: true}).catch(() => {})
    throw new FabError(
      'FILESYSTEM',
      `${flag}: cannot write ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
      {
        hint: asFile
          ? `the package file goes into ${dir}, which must be writable`
          : `the package goes into the folder ${opts.output}, which must be writable`,
      },
    )
  }

  const warnings: string[] = []
  try {
    const raw = await readFile(project.file, 'utf8')
    if (/^\s+domain\s*:/m.test(raw))
      warnings.push(
        `${project.file}: a "domain" for connection.json is dropped by the ccaas builder; the chaincode server's TLS certificate must carry a SAN matching the host in chaincode.address`,
      )
  } catch {}

  return {file, label: p.label, packageId: p.packageId, warnings}
}

/** The nearest existing path at or above `dir` when it is not a folder (so no folder can be made there). */
async function fileInTheWay(dir: string): Promise<string | undefined> {
  const {promises: fs} = await import('node:fs')
  const {dirname} = await import('node:path')
  // up one level at a time, to the first that exists
  for (let d = dir; ; d = dirname(d)) {
    const st = await fs.stat(d).catch(() => null)
    if (st) return st.isDirectory() ? undefined : d
    if (dirname(d) === d) return undefined
  }
}
