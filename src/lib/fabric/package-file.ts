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
      `${opts.file}: label mismatch: the package says "${parsed.label}", the project expects "${expected}"`,
      {
        hint: 'rebuild the package with `fabk8s lifecycle package`, or pass --label to accept this one',
      },
    )
  return {bytes, label: parsed.label, packageId: parsed.packageId}
}

/** `lifecycle package`: write <label>.tar.gz into outDir. */
export async function writePackage(
  project: ProjectConfig,
  opts: {label?: string; outDir: string},
): Promise<{file: string; label: string; packageId: string; warnings: string[]}> {
  const {mkdir, rename, rm, stat, writeFile} = await import('node:fs/promises')
  const {join, resolve: resolvePath} = await import('node:path')
  const p = await buildPackage(project, {label: opts.label})
  const dir = resolvePath(opts.outDir)
  const file = join(dir, p.fileName)
  // atomic (temp + rename); a package holding the mTLS client key is private from its first byte
  const tmp = join(dir, `.${p.fileName}.${process.pid}.tmp`)
  if ((await stat(dir).catch(() => null))?.isDirectory() === false)
    throw new FabError('FILESYSTEM', `-o/--output ${opts.outDir}: ${dir} is a file, not a folder`, {
      hint: 'give the folder to write the package into (default: the current folder)',
    })
  try {
    await mkdir(dir, {recursive: true})
    await writeFile(tmp, p.bytes, {flag: 'wx', mode: project.chaincode.tls.clientAuth ? 0o600 : 0o666})
    await rename(tmp, file)
  } catch (error) {
    // the folder may not be one (ENOTDIR): then there is no temp file either, and removing it fails too
    await rm(tmp, {force: true}).catch(() => {})
    throw new FabError(
      'FILESYSTEM',
      `cannot write ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
      {hint: `the package goes into the folder ${opts.outDir} (-o/--output), which must be writable`},
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
