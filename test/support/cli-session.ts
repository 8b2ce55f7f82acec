/**
 * A long-running CLI command (`fabk8s dev`) as a child process the test talks to: wait for lines on stderr,
 * send signals, collect the exit. Like runCli: the compiled CLI, CI=true (plain lines), colours off.
 */
import {type ChildProcess, spawn} from 'node:child_process'

import {BIN, ROOT} from './cli.js'

export interface CliSession {
  args: string[]
  child: ChildProcess
  /** Resolves when the process has exited. */
  exited: Promise<{code: null | number; signal: null | string}>
  /** The current length of stderr: pass it to waitFor to look only at what comes after. */
  mark(): number
  stderr(): string
  stdout(): string
  /** The first match of `re` in stderr after `from`; rejects on timeout or exit, with the output so far. */
  waitFor(re: RegExp, o?: {from?: number; timeoutMs?: number}): Promise<RegExpMatchArray>
}

export function startCli(args: string[], opts: {cwd?: string; env?: NodeJS.ProcessEnv} = {}): CliSession {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: opts.cwd ?? ROOT,
    env: {...process.env, CI: 'true', FORCE_COLOR: '0', NO_COLOR: '1', ...opts.env},
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  const waiters = new Set<() => void>()
  const wake = () => {
    for (const w of waiters) w()
  }

  child.stdout!.on('data', (d) => {
    stdout += d
  })
  child.stderr!.on('data', (d) => {
    stderr += d
    wake()
  })
  let done = false
  const exited = new Promise<{code: null | number; signal: null | string}>((resolve) => {
    child.on('exit', (code, signal) => {
      done = true
      // let the last output arrive
      setTimeout(() => {
        wake()
        resolve({code, signal})
      }, 50)
    })
  })
  return {
    args,
    child,
    exited,
    mark: () => stderr.length,
    stderr: () => stderr,
    stdout: () => stdout,
    waitFor(re, o = {}) {
      const from = o.from ?? 0
      const timeoutMs = o.timeoutMs ?? 120_000
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = stderr.slice(from).match(re)
          if (m) {
            finish()
            resolve(m)
          } else if (done) {
            finish()
            reject(new Error(`exited before ${re} appeared:\n${stderr.slice(-4000)}`))
          }
        }

        const timer = setTimeout(() => {
          finish()
          reject(new Error(`timed out after ${timeoutMs / 1000}s waiting for ${re}:\n${stderr.slice(-4000)}`))
        }, timeoutMs)
        const finish = () => {
          clearTimeout(timer)
          waiters.delete(check)
        }

        waiters.add(check)
        check()
      })
    },
  }
}
