import type {Readable} from 'node:stream'

/**
 * Docker access through the user's own `docker` CLI: it already honours DOCKER_HOST, DOCKER_CONTEXT, the current
 * context, TLS settings and credential helpers, so fabk8s talks to exactly the engine `docker ps` shows. The quick
 * read-only questions (engine version, image inspect) go straight to the Engine API when its Unix socket is
 * unambiguous (engine.ts), and to the CLI otherwise.
 */
import {type ChildProcess, spawn} from 'node:child_process'

import {FabError} from '../errors.js'

export interface DockerResult {
  code: number
  stderr: string
  stdout: string
}

export interface DockerOptions {
  env?: NodeJS.ProcessEnv
  /** Bytes to write to stdin, or a stream to pipe in. */
  input?: Readable | string
  /** Called with each complete output line (stdout and stderr), e.g. for progress. */
  onLine?: (line: string, stream: 'stderr' | 'stdout') => void
  signal?: AbortSignal
}

/** The docker binary; FABK8S_DOCKER overrides it (tests, podman-docker shims). */
export function dockerBin(): string {
  return process.env.FABK8S_DOCKER || 'docker'
}

function notFound(): FabError {
  return new FabError('DOCKER', `the docker CLI was not found on PATH (${dockerBin()})`, {
    hint: 'install Docker (https://docs.docker.com/get-docker/) or set FABK8S_DOCKER to the docker binary',
  })
}

/** Spawn docker with stdio pipes; callers wire streams themselves (see load.ts). */
export function spawnDocker(args: string[], opts: {env?: NodeJS.ProcessEnv; signal?: AbortSignal} = {}): ChildProcess {
  return spawn(dockerBin(), args, {
    env: {...process.env, ...opts.env},
    signal: opts.signal,
    stdio: ['pipe', 'pipe', 'pipe'],
  })
}

/** Run docker to completion; never throws for a non-zero exit (callers map it), only when docker is missing. */
export function docker(args: string[], opts: DockerOptions = {}): Promise<DockerResult> {
  return new Promise((resolve, reject) => {
    const child = spawnDocker(args, opts)
    let stdout = ''
    let stderr = ''
    const partial = {stderr: '', stdout: ''}
    const feed = (stream: 'stderr' | 'stdout', chunk: string) => {
      if (stream === 'stdout') stdout += chunk
      else stderr += chunk
      if (!opts.onLine) return
      const text = partial[stream] + chunk
      const lines = text.split(/\r?\n|\r/)
      partial[stream] = lines.pop() ?? ''
      for (const l of lines) opts.onLine(l, stream)
    }

    child.stdout!.setEncoding('utf8').on('data', (d: string) => feed('stdout', d))
    child.stderr!.setEncoding('utf8').on('data', (d: string) => feed('stderr', d))
    child.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') reject(notFound())
      else if (err.name === 'AbortError') reject(new FabError('ABORTED', 'interrupted'))
      else reject(err)
    })
    child.on('close', (code) => {
      if (opts.onLine) for (const s of ['stdout', 'stderr'] as const) if (partial[s]) opts.onLine(partial[s], s)
      resolve({code: code ?? -1, stderr, stdout})
    })
    child.stdin!.on('error', () => {}) // EPIPE when docker exits early; its exit code tells the story
    if (opts.input === undefined) child.stdin!.end()
    else if (typeof opts.input === 'string') child.stdin!.end(opts.input)
    else opts.input.pipe(child.stdin!)
  })
}

/** The first non-empty line of docker's stderr (its error), without the "Error response from daemon:" noise. */
export function dockerError(r: DockerResult): string {
  const line =
    r.stderr
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l !== '') ?? `exit ${r.code}`
  return line.replace(/^Error response from daemon:\s*/, '').replace(/^Error:\s*/, '')
}

export interface EngineInfo {
  /** Whether `docker buildx` is available (BuildKit builds). */
  buildx: boolean
  /** The server's OS/arch, e.g. linux/amd64. */
  platform: string
  serverVersion: string
}

export interface ServerInfo {
  /** The server's OS/arch, e.g. linux/amd64. */
  platform: string
  serverVersion: string
}

let engineCache: Promise<EngineInfo> | undefined
let serverCache: Promise<ServerInfo> | undefined

/** Check that a Docker engine answers, and whether buildx is there (for builds); one clear error if not. Cached. */
export function ensureEngine(): Promise<EngineInfo> {
  engineCache ??= Promise.all([
    engineAnswers(),
    docker(['buildx', 'version']).catch(() => ({code: 1, stderr: '', stdout: ''})),
  ]).then(
    ([server, bx]) => ({...server, buildx: bx.code === 0}),
    (error) => {
      engineCache = undefined
      throw error
    },
  )
  return engineCache
}

/** Check that a Docker engine answers (the server only: what a change check needs). Cached per process. */
export function engineAnswers(): Promise<ServerInfo> {
  serverCache ??= probeServer().catch((error) => {
    serverCache = undefined
    throw error
  })
  return serverCache
}

const START_HINT =
  'start Docker (Docker Desktop, `sudo systemctl start docker`, `colima start`), or point DOCKER_HOST / `docker context use` at a running engine'

async function probeServer(): Promise<ServerInfo> {
  const api = await viaApi('GET', '/version')
  if (api?.status === 200) {
    const j = JSON.parse(api.body.toString('utf8')) as {Arch?: string; Os?: string; Version?: string}
    if (j.Version) return {platform: `${j.Os ?? 'linux'}/${j.Arch ?? 'amd64'}`, serverVersion: j.Version}
  }

  const v = await docker(['version', '--format', '{{.Server.Version}} {{.Server.Os}}/{{.Server.Arch}}'])
  const [serverVersion, platform] = v.stdout.trim().split(' ')
  if (v.code !== 0 || !serverVersion) {
    const why = dockerError(v)
    const denied = /permission denied/i.test(v.stderr)
    throw new FabError('DOCKER', `no Docker engine reachable: ${why}`, {
      detail: {dockerHost: process.env.DOCKER_HOST, stderr: v.stderr.trim()},
      hint: denied
        ? 'add your user to the docker group (`sudo usermod -aG docker $USER`, then log in again) or use rootless Docker'
        : START_HINT,
    })
  }

  return {platform: platform ?? 'linux/amd64', serverVersion}
}

/**
 * A request through the Engine API when its socket is unambiguous (engine.ts), else undefined: the caller asks the
 * CLI instead, which also covers every way the socket can fail (the CLI then says why in its own words).
 */
export async function viaApi(
  method: 'GET' | 'POST',
  urlPath: string,
): Promise<undefined | {body: Buffer; status: number}> {
  const {engineRequest, engineSocket} = await import('./engine.js')
  const socket = engineSocket()
  if (!socket) return undefined
  try {
    return await engineRequest(socket, method, urlPath)
  } catch {
    return undefined
  }
}

/** For tests: forget the cached engine probe. */
export function resetEngineCache(): void {
  engineCache = undefined
  serverCache = undefined
}

export interface ImageInfo {
  /** The image ID as docker shows it (`sha256:…`: the config digest, or the manifest/index digest with the containerd image store). */
  id: string
  /** Image labels (Config.Labels). */
  labels: Record<string, string>
  repoDigests: string[]
  repoTags: string[]
  size: number
}

/** `docker image inspect`; undefined when the image does not exist. */
export async function inspectImage(ref: string): Promise<ImageInfo | undefined> {
  const api = await viaApi('GET', `/images/${encodeURI(ref)}/json`)
  if (api?.status === 404) return undefined
  if (api?.status === 200) return imageInfo(api.body.toString('utf8'))
  const r = await docker(['image', 'inspect', '--format', '{{json .}}', ref])
  if (r.code !== 0) {
    if (/no such image|not found/i.test(r.stderr)) return undefined
    throw new FabError('DOCKER', `docker image inspect ${ref}: ${dockerError(r)}`)
  }

  return imageInfo(r.stdout)
}

function imageInfo(text: string): ImageInfo {
  const j = JSON.parse(text) as {
    Config?: {Labels?: null | Record<string, string>}
    Id: string
    RepoDigests?: null | string[]
    RepoTags?: null | string[]
    Size?: number
  }
  return {
    id: j.Id,
    labels: j.Config?.Labels ?? {},
    repoDigests: j.RepoDigests ?? [],
    repoTags: j.RepoTags ?? [],
    size: j.Size ?? 0,
  }
}
