/**
 * The Docker Engine API over its Unix socket, for the quick read-only questions `up`'s change checks ask many times
 * (is the engine there, what is this image, which containers carry this label, what does `ctr` in this node say).
 * Each answer costs a few milliseconds where a `docker` CLI process costs tens. Used only when the engine is
 * unambiguous: DOCKER_HOST=unix://… or, with no DOCKER_HOST and no docker context chosen, /var/run/docker.sock.
 * Everything else (tcp, ssh, TLS, named contexts) goes through the CLI (docker.ts), which knows those settings.
 */
import {existsSync, readFileSync} from 'node:fs'
import http from 'node:http'
import {homedir} from 'node:os'
import path from 'node:path'

const DEFAULT_SOCKET = '/var/run/docker.sock'

/** The engine's socket path when the API can be used directly, else undefined (use the CLI). */
export function engineSocket(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.FABK8S_DOCKER_API === '0' || env.FABK8S_DOCKER) return undefined
  const host = env.DOCKER_HOST
  if (host) return host.startsWith('unix://') ? host.slice('unix://'.length) : undefined
  if (env.DOCKER_CONTEXT && env.DOCKER_CONTEXT !== 'default') return undefined
  const config = path.join(env.DOCKER_CONFIG || path.join(homedir(), '.docker'), 'config.json')
  if (existsSync(config)) {
    try {
      const current = (JSON.parse(readFileSync(config, 'utf8')) as {currentContext?: string}).currentContext
      if (current && current !== 'default') return undefined
    } catch {
      return undefined
    }
  }

  return existsSync(DEFAULT_SOCKET) ? DEFAULT_SOCKET : undefined
}

export interface EngineResponse {
  body: Buffer
  status: number
}

/** The engine took the connection but did not answer in time: the CLI, on the same socket, would wait too. */
export class EngineTimeout extends Error {
  constructor(
    readonly socketPath: string,
    readonly ms: number,
  ) {
    super(`the Docker engine at unix://${socketPath} did not answer within ${ms / 1000}s`)
    this.name = 'EngineTimeout'
  }
}

/**
 * One request to the engine, answered in full within `timeoutMs` (else it rejects with EngineTimeout); rejects
 * otherwise only when the socket cannot be used (the caller falls back to the CLI).
 */
export function engineRequest(
  socketPath: string,
  method: 'GET' | 'POST',
  urlPath: string,
  body?: unknown,
  timeoutMs = 30_000,
): Promise<EngineResponse> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body))
    // a deadline for the whole answer, not an idle timeout: an engine that trickles bytes must not keep us either
    const timer = setTimeout(() => {
      fail(new EngineTimeout(socketPath, timeoutMs))
      req.destroy()
    }, timeoutMs)
    const fail = (error: Error) => {
      clearTimeout(timer)
      reject(error)
    }

    const req = http.request(
      {
        agent: false,
        headers: data ? {'content-length': data.length, 'content-type': 'application/json'} : {},
        method,
        path: urlPath,
        socketPath,
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => {
          clearTimeout(timer)
          resolve({body: Buffer.concat(chunks), status: res.statusCode ?? 0})
        })
        res.on('error', fail)
      },
    )
    req.on('error', fail)
    req.end(data)
  })
}

/** The engine's stdout/stderr frames of a non-TTY exec or attach stream, split into the two texts. */
export function demux(raw: Buffer): {stderr: string; stdout: string} {
  const out: Buffer[] = []
  const err: Buffer[] = []
  let i = 0
  while (i + 8 <= raw.length) {
    const kind = raw[i]
    const size = raw.readUInt32BE(i + 4)
    const frame = raw.subarray(i + 8, i + 8 + size)
    if (kind === 2) err.push(frame)
    else out.push(frame)
    i += 8 + size
  }

  return {stderr: Buffer.concat(err).toString('utf8'), stdout: Buffer.concat(out).toString('utf8')}
}

/** `docker exec CONTAINER ARGS…` through the API: create, start attached, then read the exit code. */
export async function engineExec(
  socketPath: string,
  container: string,
  cmd: string[],
): Promise<{code: number; stderr: string; stdout: string}> {
  const created = await engineRequest(socketPath, 'POST', `/containers/${encodeURIComponent(container)}/exec`, {
    AttachStderr: true,
    AttachStdout: true,
    Cmd: cmd,
  })
  if (created.status !== 201) return {code: 1, stderr: apiMessage(created), stdout: ''}
  const {Id: id} = JSON.parse(created.body.toString('utf8')) as {Id: string}
  const started = await engineRequest(socketPath, 'POST', `/exec/${id}/start`, {Detach: false, Tty: false})
  if (started.status !== 200) return {code: 1, stderr: apiMessage(started), stdout: ''}
  const out = demux(started.body)
  const inspected = await engineRequest(socketPath, 'GET', `/exec/${id}/json`)
  const code = (JSON.parse(inspected.body.toString('utf8')) as {ExitCode?: null | number}).ExitCode
  return {...out, code: code ?? -1}
}

/** The engine's error message of a failed request (its JSON `message`), as the CLI would print it. */
export function apiMessage(r: EngineResponse): string {
  try {
    const m = (JSON.parse(r.body.toString('utf8')) as {message?: string}).message
    if (m) return m
  } catch {}

  return `HTTP ${r.status}`
}
