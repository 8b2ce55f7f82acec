import type {Readable} from 'node:stream'

/**
 * Docker access through the user's own `docker` CLI: it already honours DOCKER_HOST, DOCKER_CONTEXT, the current
 * context, TLS settings and credential helpers, so fabk8s talks to exactly the engine `docker ps` shows. The quick
 * read-only questions (engine version, image inspect) go straight to the Engine API when its Unix socket is
 * unambiguous (engine.ts), and to the CLI otherwise.
 */
import {type ChildProcess, spawn} from 'node:child_process'

import {FabError} from '../errors.js'

/**
 * How long a quick question to the engine (is it there, what is this image, which containers carry this label) may
 * take before fabk8s says the engine does not answer. A healthy engine answers in milliseconds, a busy one in well
 * under a second; one that takes the connection and never answers (a frozen Docker Desktop, a VM that stopped behind
 * its socket) would otherwise keep every command waiting, and the docker CLI has no timeout of its own.
 */
export const ENGINE_TIMEOUT_MS = 10_000

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
  /**
   * For quick questions to the engine only: docker is stopped (SIGTERM) and the call rejects with the "engine did not
   * answer" error when it has not finished by then. Also stopped when fabk8s exits first (an error elsewhere).
   */
  timeoutMs?: number
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

/** The docker processes started with a timeout that are still running: none of them may outlive fabk8s. */
const timed = new Set<ChildProcess>()
let stopTimedOnExit = false

/**
 * Run docker to completion; never throws for a non-zero exit (callers map it), only when docker is missing, when
 * `signal` aborts, or when it outlasts `timeoutMs`.
 */
export function docker(args: string[], opts: DockerOptions = {}): Promise<DockerResult> {
  return new Promise((resolve, reject) => {
    const deadline = opts.timeoutMs === undefined ? undefined : AbortSignal.timeout(opts.timeoutMs)
    const signal = deadline && opts.signal ? AbortSignal.any([opts.signal, deadline]) : (deadline ?? opts.signal)
    const child = spawnDocker(args, {env: opts.env, signal})
    if (deadline) {
      timed.add(child)
      child.on('exit', () => timed.delete(child))
      if (!stopTimedOnExit) {
        stopTimedOnExit = true
        process.once('exit', () => {
          for (const c of timed) c.kill()
        })
      }
    }

    let stdout = ''
    let stderr = ''
    let timedOut = false
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
      else if (err.name === 'AbortError' && deadline?.aborted && !opts.signal?.aborted) {
        timedOut = true // docker's own exit code (143) comes next, before the error below is made: not the result
        engineNotAnswering(opts.timeoutMs!).then(reject, reject)
      } else if (err.name === 'AbortError') reject(new FabError('ABORTED', 'interrupted'))
      else reject(err)
    })
    child.on('close', (code) => {
      if (timedOut) return
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
    docker(['buildx', 'version'], {timeoutMs: ENGINE_TIMEOUT_MS}).catch(() => ({code: 1, stderr: '', stdout: ''})),
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

/**
 * Where the engine is, for messages ("at ADDRESS"): the API socket or DOCKER_HOST, else the endpoint of the current
 * docker context (asked of the CLI: a file it reads, no engine involved), else the context's name.
 */
async function engineWhere(): Promise<{address?: string; where: string}> {
  const {engineSocket} = await import('./engine.js')
  const socket = engineSocket()
  let address = socket ? `unix://${socket}` : process.env.DOCKER_HOST
  if (!address) {
    const r = await docker(['context', 'inspect', '--format', '{{.Endpoints.docker.Host}}'], {
      signal: AbortSignal.timeout(2000),
    }).catch(() => {})
    address = (r?.code === 0 && r.stdout.trim()) || undefined
  }

  if (address) return {address, where: `at ${address}`}
  const context = process.env.DOCKER_CONTEXT
  return {where: context ? `of docker context "${context}"` : 'of the current docker context'}
}

/** The error for an engine that gave no answer within `ms`: which engine, how long, and what to do. */
export async function engineNotAnswering(ms: number): Promise<FabError> {
  const {address, where} = await engineWhere()
  return new FabError('DOCKER', `the Docker engine ${where} did not answer within ${ms / 1000}s`, {
    detail: {dockerHost: process.env.DOCKER_HOST, engine: address, timeoutSeconds: ms / 1000},
    hint: 'is Docker frozen or still starting? Restart it (Docker Desktop: Restart; `sudo systemctl restart docker`; `colima restart`), or check that DOCKER_HOST / `docker context use` point at a running engine',
  })
}

async function probeServer(): Promise<ServerInfo> {
  const api = await viaApi('GET', '/version')
  if (api?.status === 200) {
    const j = JSON.parse(api.body.toString('utf8')) as {Arch?: string; Os?: string; Version?: string}
    if (j.Version) return {platform: `${j.Os ?? 'linux'}/${j.Arch ?? 'amd64'}`, serverVersion: j.Version}
  }

  const v = await docker(['version', '--format', '{{.Server.Version}} {{.Server.Os}}/{{.Server.Arch}}'], {
    timeoutMs: ENGINE_TIMEOUT_MS,
  })
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
 * CLI instead, which also covers every way the socket can fail (the CLI then says why in its own words). An engine
 * that takes the request and gives no answer within ENGINE_TIMEOUT_MS is the "engine did not answer" error at once:
 * the CLI would wait on the same socket.
 */
export async function viaApi(
  method: 'GET' | 'POST',
  urlPath: string,
): Promise<undefined | {body: Buffer; status: number}> {
  const {engineRequest, engineSocket, EngineTimeout} = await import('./engine.js')
  const socket = engineSocket()
  if (!socket) return undefined
  try {
    return await engineRequest(socket, method, urlPath, undefined, ENGINE_TIMEOUT_MS)
  } catch (error) {
    if (error instanceof EngineTimeout) throw await engineNotAnswering(error.ms)
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
  const r = await docker(['image', 'inspect', '--format', '{{json .}}', ref], {timeoutMs: ENGINE_TIMEOUT_MS})
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
