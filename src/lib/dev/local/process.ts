/**
 * Child processes of `fabk8s dev`: the chaincode (and its debugger wrapper) and the compiler in watch mode. Each
 * runs in its own process group, so a stop ends everything it started (dlv and the program under it) and a
 * Ctrl-C at the terminal reaches fabk8s only, which then stops them in order. Their process groups are written
 * to a small state file, so the next `fabk8s dev` can stop what a `kill -9`ed one left running.
 */
import {type ChildProcess, spawn} from 'node:child_process'
import {createHash} from 'node:crypto'
import {existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

export interface Proc {
  child: ChildProcess
  exited: Promise<{code: null | number; signal: null | string}>
  pid: number
  stop(graceMs?: number): Promise<void>
}

/** Split a stream into lines (no trailing newline), calling `fn` for each complete one and the last at the end. */
export function lines(stream: NodeJS.ReadableStream, fn: (line: string) => void): void {
  let partial = ''
  stream.setEncoding('utf8')
  stream.on('data', (d: string) => {
    const parts = (partial + d).split(/\r?\n/)
    partial = parts.pop() ?? ''
    for (const l of parts) fn(l)
  })
  stream.on('end', () => {
    if (partial) fn(partial)
    partial = ''
  })
}

/** Whether a process runs (a zombie, dead but not yet reaped by its parent, does not). */
const alive = (pid: number) => {
  try {
    process.kill(pid, 0)
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }

  try {
    // Linux: the state letter follows the command in parentheses
    return !/\)\s+Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return true
  }
}

/** Signal a whole process group; false when it is gone. */
function killGroup(pgid: number, sig: 0 | NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, sig)
    return true
  } catch {
    return false
  }
}

/**
 * The direct children of a process (Linux: /proc/PID/task/TID/children; elsewhere none). Delve starts the program
 * it debugs in a process group of its own, so stopping Delve's group does not reach it.
 */
export function childPids(pid: number): number[] {
  const out: number[] = []
  try {
    for (const t of readdirSync(`/proc/${pid}/task`))
      for (const c of readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').split(/\s+/)) if (c) out.push(Number(c))
  } catch {
    // gone already, or not Linux
  }

  return out
}

/** Where this project's dev session records its child process groups. */
export function stateFile(projectDir: string): string {
  const h = createHash('sha256').update(path.resolve(projectDir)).digest('hex').slice(0, 16)
  return path.join(os.tmpdir(), `fabk8s-dev-${process.getuid?.() ?? 'u'}`, `${h}.json`)
}

interface State {
  groups: {cmd: string; pgid: number}[]
  owner: number
}

function readState(file: string): State {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as State
  } catch {
    return {groups: [], owner: 0}
  }
}

function writeState(file: string, s: State): void {
  mkdirSync(path.dirname(file), {mode: 0o700, recursive: true})
  if (s.groups.length === 0) rmSync(file, {force: true})
  else writeFileSync(file, JSON.stringify(s))
}

/**
 * Stop the process groups an earlier `fabk8s dev` of this project left running (it was killed before it could),
 * when that session's own process is gone. Returns what was stopped.
 */
export async function stopLeftovers(file: string): Promise<string[]> {
  const s = readState(file)
  if (s.owner && s.owner !== process.pid && alive(s.owner)) return []
  const stopped: string[] = []
  for (const g of s.groups) {
    if (!killGroup(g.pgid, 'SIGTERM')) continue
    stopped.push(`${g.cmd} (process group ${g.pgid})`)
    for (let i = 0; i < 30 && killGroup(g.pgid, 0); i++) await sleep(100)
    killGroup(g.pgid, 'SIGKILL')
  }

  writeState(file, {groups: [], owner: 0})
  return stopped
}

/** Start a command in its own process group; its output lines go to `onLine`. */
export function startProc(
  cmd: string,
  args: string[],
  o: {
    cwd: string
    env: NodeJS.ProcessEnv
    onLine: (line: string, stream: 'stderr' | 'stdout') => void
    state?: string
    /** Keep stdin as a pipe (child.stdin) instead of /dev/null. */
    stdin?: boolean
  },
): Proc {
  const child = spawn(cmd, args, {
    cwd: o.cwd,
    detached: true,
    env: o.env,
    stdio: [o.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  })
  child.stdin?.on('error', () => {})
  lines(child.stdout!, (l) => o.onLine(l, 'stdout'))
  lines(child.stderr!, (l) => o.onLine(l, 'stderr'))
  const exited = new Promise<{code: null | number; signal: null | string}>((resolve) => {
    child.on('error', (error) => {
      o.onLine(`${cmd}: ${error.message}`, 'stderr')
      resolve({code: null, signal: null})
    })
    child.on('exit', (code, signal) => resolve({code, signal}))
  })
  const pid = child.pid ?? -1
  const record = (add: boolean) => {
    if (!o.state || pid < 0) return
    const s = readState(o.state)
    s.owner = process.pid
    s.groups = s.groups.filter((g) => g.pgid !== pid)
    if (add) s.groups.push({cmd: path.basename(cmd), pgid: pid})
    writeState(o.state, s)
  }

  record(true)
  exited.then(() => record(false))
  return {
    child,
    exited,
    pid,
    async stop(graceMs = 3000) {
      if (pid < 0) return
      if (child.exitCode === null && child.signalCode === null) {
        killGroup(pid, 'SIGTERM')
        const done = await Promise.race([exited.then(() => true), sleep(graceMs).then(() => false)])
        if (!done) killGroup(pid, 'SIGKILL')
      }

      // the group may outlive its leader (dlv's program): make sure nothing of it is left
      for (let i = 0; i < 20 && killGroup(pid, 0); i++) {
        killGroup(pid, i < 10 ? 'SIGTERM' : 'SIGKILL')
        await sleep(50)
      }

      await exited
      record(false)
    },
  }
}

/** Resolve once something accepts connections on host:port; reject when `exited` settles first or time runs out. */
export async function waitListening(
  port: number,
  o: {exited?: Promise<unknown>; host?: string; timeoutMs: number},
): Promise<void> {
  const deadline = Date.now() + o.timeoutMs
  let gone = false
  o.exited?.then(() => {
    gone = true
  })
  for (;;) {
    if (gone) throw new Error('the chaincode exited before it listened')
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({host: o.host ?? '127.0.0.1', port})
      s.once('connect', () => {
        s.destroy()
        resolve(true)
      })
      s.once('error', () => resolve(false))
    })
    if (ok) return
    if (Date.now() > deadline)
      throw new Error(`nothing listened on ${o.host ?? '127.0.0.1'}:${port} within ${o.timeoutMs / 1000}s`)
    await sleep(50)
  }
}

/** The first of `names` found on PATH (or in `extra` folders), or undefined. */
export function which(names: string[], extra: string[] = []): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), ...extra].filter(Boolean)
  for (const n of names) for (const d of dirs) if (existsSync(path.join(d, n))) return path.join(d, n)
  return undefined
}
