/**
 * The relay's image, made on the developer's machine without pulling anything:
 *  - on Linux (when the Docker engine runs the same architecture): `docker import` of a tiny root filesystem
 *    streamed from this machine's own `node` binary, the shared libraries it loads (ldd) and the relay program;
 *    a few tens of MB, built once and reused (the tag is a hash of its inputs);
 *  - elsewhere (macOS, Windows, a remote engine of another architecture), or when asked: `docker build` FROM a
 *    base image that has node (default node:20-alpine; --relay-base-image), adding only the relay program.
 * Either way the image runs as uid 10001 with `node /relay/relay.mjs`, and fabk8s loads it into the kind nodes
 * like any other image. With --relay-image, a ready image (e.g. pushed to the cluster's registry) is used as is.
 */
import {execFile} from 'node:child_process'
import {createHash} from 'node:crypto'
import {createReadStream, existsSync, realpathSync, statSync} from 'node:fs'
import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {Readable} from 'node:stream'
import {fileURLToPath} from 'node:url'
import {promisify} from 'node:util'

import {FabError} from '../../errors.js'

const pexec = promisify(execFile)

/** Bump when the image layout changes, so existing tags are not reused. */
const LAYOUT_VERSION = '1'
export const RELAY_REPOSITORY = 'fabk8s-relay'
export const DEFAULT_RELAY_BASE_IMAGE = 'node:20-alpine'
/** The program's path inside the image. */
export const RELAY_PROGRAM = '/relay/relay.mjs'
export const RELAY_NODE = '/usr/local/bin/node'
export const RELAY_USER = 10_001

export interface RelayImageOptions {
  /** Build FROM this image (with node on its PATH) instead of importing this machine's node. */
  baseImage?: string
  /** Use this image as it is. */
  image?: string
}

export interface RelayImage {
  /** `import` (this machine's node), `build` (FROM a base image), `given` (--relay-image). */
  how: 'build' | 'given' | 'import'
  image: string
  /** Made in this run (false: the tag existed already). */
  made: boolean
}

/** The relay program (the compiled program.js next to this module, src/ under tsx). */
export async function relayProgram(): Promise<Buffer> {
  return readFile(fileURLToPath(new URL('program.js', import.meta.url)))
}

const GOARCH: Record<string, string> = {
  arm: 'arm',
  arm64: 'arm64',
  ia32: '386',
  ppc64: 'ppc64le',
  s390x: 's390x',
  x64: 'amd64',
}

/** Why this machine's node cannot go into a Linux image for the engine, or undefined when it can. */
export function importBlocker(
  enginePlatform: string,
  platform = process.platform,
  arch = process.arch,
): string | undefined {
  if (platform !== 'linux') return `this machine runs ${platform}, not Linux`
  const want = `linux/${GOARCH[arch] ?? arch}`
  if (enginePlatform !== want) return `the Docker engine runs ${enginePlatform}, this machine's node ${want}`
  return undefined
}

/** Make (or find) the relay image. */
export async function ensureRelayImage(o: RelayImageOptions = {}): Promise<RelayImage> {
  const {docker, dockerError, ensureEngine, inspectImage} = await import('../../image/docker.js')
  if (o.image) {
    return {how: 'given', image: o.image, made: false}
  }

  const engine = await ensureEngine()
  const program = await relayProgram()
  const blocker = o.baseImage ? 'asked for a base image' : importBlocker(engine.platform)
  if (!blocker) {
    const files = await nodeFiles()
    const fingerprint = files.map((f) => {
      const st = statSync(f.source)
      return `${f.dest}<${f.source}:${st.size}:${st.mtimeMs}`
    })
    const image = `${RELAY_REPOSITORY}:${hash(['import', LAYOUT_VERSION, ...fingerprint, program.toString('base64')])}`
    if (await inspectImage(image)) return {how: 'import', image, made: false}
    const libDirs = [...new Set(files.filter((f) => f.dest !== RELAY_NODE).map((f) => path.posix.dirname(f.dest)))]
    const changes = [
      `USER ${RELAY_USER}:${RELAY_USER}`,
      `ENV LD_LIBRARY_PATH=${libDirs.join(':')}`,
      `ENTRYPOINT ["${RELAY_NODE}", "${RELAY_PROGRAM}"]`,
      'LABEL io.fabk8s.relay=1',
    ]
    const r = await docker(['import', ...changes.flatMap((c) => ['--change', c]), '-', image], {
      input: Readable.from(rootfs(files, program)),
    })
    if (r.code !== 0) throw new FabError('DOCKER', `docker import ${image}: ${dockerError(r)}`)
    // prove it starts: the loader, the libraries and node itself
    const check = await docker(['run', '--rm', '--network', 'none', '--entrypoint', RELAY_NODE, image, '--version'])
    if (check.code !== 0 || check.stdout.trim() !== process.version) {
      await docker(['rmi', '-f', image])
      throw new FabError(
        'DOCKER',
        `the relay image made from ${process.execPath} does not run: ${dockerError(check)}`,
        {
          hint: `build it from a base image instead: --relay-base-image ${DEFAULT_RELAY_BASE_IMAGE}`,
        },
      )
    }

    return {how: 'import', image, made: true}
  }

  const base = o.baseImage ?? DEFAULT_RELAY_BASE_IMAGE
  const image = `${RELAY_REPOSITORY}:${hash(['build', LAYOUT_VERSION, base, program.toString('base64')])}`
  if (await inspectImage(image)) return {how: 'build', image, made: false}
  const dir = await mkdtemp(path.join(os.tmpdir(), 'fabk8s-relay-'))
  try {
    await writeFile(path.join(dir, 'relay.mjs'), program)
    await writeFile(
      path.join(dir, 'Dockerfile'),
      [
        `FROM ${base}`,
        `COPY relay.mjs ${RELAY_PROGRAM}`,
        `USER ${RELAY_USER}:${RELAY_USER}`,
        'LABEL io.fabk8s.relay=1',
        `ENTRYPOINT ["node", "${RELAY_PROGRAM}"]`,
        '',
      ].join('\n'),
    )
    const r = await docker(['build', '-q', '-t', image, dir])
    if (r.code !== 0)
      throw new FabError('DOCKER', `building the relay image FROM ${base} (${blocker}): ${dockerError(r)}`, {
        hint: '--relay-base-image IMAGE (any image with node ≥ 18 on its PATH), or --relay-image IMAGE to use a ready one',
      })
  } finally {
    await rm(dir, {force: true, recursive: true})
  }

  return {how: 'build', image, made: true}
}

function hash(parts: string[]): string {
  return createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, 16)
}

interface FileEntry {
  /** Absolute path in the image. */
  dest: string
  mode: number
  /** Real path on this machine. */
  source: string
}

/** node and every shared library it loads (ldd), at the paths the loader and ldd name. */
async function nodeFiles(): Promise<FileEntry[]> {
  const node = realpathSync(process.execPath)
  const files: FileEntry[] = [{dest: RELAY_NODE, mode: 0o755, source: node}]
  let out: string
  try {
    out = (await pexec('ldd', [node])).stdout
  } catch (error) {
    const e = error as {code?: string; stderr?: string; stdout?: string}
    // a static binary: ldd says so and exits 1
    if (/not a dynamic executable|statically linked/.test(`${e.stdout}${e.stderr}`)) return files
    throw new FabError('DOCKER', `cannot list the libraries of ${node} (ldd: ${e.code ?? e.stderr ?? 'failed'})`, {
      hint: `build the relay from a base image instead: --relay-base-image ${DEFAULT_RELAY_BASE_IMAGE}`,
    })
  }

  for (const line of out.split('\n')) {
    const m = /=>\s*(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line)
    if (m && existsSync(m[1])) files.push({dest: m[1], mode: 0o755, source: realpathSync(m[1])})
  }

  return files
}

const BLOCK = 512

function octal(n: number, width: number): string {
  return n.toString(8).padStart(width - 1, '0') + '\0'
}

/** A ustar header: regular file ('0') or directory ('5'); names up to 100 bytes (ours are short). */
function header(name: string, size: number, mode: number, type: '0' | '5'): Buffer {
  if (Buffer.byteLength(name) > 100) throw new Error(`tar: path too long: ${name}`)
  const h = Buffer.alloc(BLOCK, 0)
  h.write(name, 0, 100, 'utf8')
  h.write(octal(mode, 8), 100, 'ascii')
  h.write(octal(0, 8), 108, 'ascii')
  h.write(octal(0, 8), 116, 'ascii')
  h.write(octal(size, 12), 124, 'ascii')
  h.write(octal(0, 12), 136, 'ascii')
  h.write('        ', 148, 'ascii')
  h.write(type, 156, 'ascii')
  h.write('ustar\0', 257, 'ascii')
  h.write('00', 263, 'ascii')
  let sum = 0
  for (const b of h) sum += b
  h.write(octal(sum, 7) + ' ', 148, 'ascii')
  return h
}

/** The image's root filesystem as a tar stream: directories, node and its libraries, the program, /tmp. */
async function* rootfs(files: FileEntry[], program: Buffer): AsyncGenerator<Buffer> {
  const dirs = new Set<string>(['relay', 'tmp'])
  for (const f of files) {
    let d = path.posix.dirname(f.dest.slice(1))
    while (d !== '.') {
      dirs.add(d)
      d = path.posix.dirname(d)
    }
  }

  for (const d of [...dirs].sort()) yield header(`${d}/`, 0, d === 'tmp' ? 0o1777 : 0o755, '5')
  const pad = (n: number) => Buffer.alloc((BLOCK - (n % BLOCK)) % BLOCK, 0)
  for (const f of files) {
    const {size} = statSync(f.source)
    yield header(f.dest.slice(1), size, f.mode, '0')
    let sent = 0
    for await (const chunk of createReadStream(f.source)) {
      sent += (chunk as Buffer).length
      yield chunk as Buffer
    }

    if (sent !== size) throw new Error(`${f.source} changed while it was read`)
    yield pad(size)
  }

  yield header(RELAY_PROGRAM.slice(1), program.length, 0o644, '0')
  yield program
  yield pad(program.length)
  yield Buffer.alloc(BLOCK * 2, 0)
}
