import {spawn} from 'node:child_process'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
export const BIN = path.join(ROOT, 'bin', 'run.js')

export interface CliResult {
  code: number
  stderr: string
  stdout: string
}

/**
 * Run the real, compiled CLI (bin/run.js → dist/) as a child process, the way a user does: real argv parsing,
 * real exit code, stdout and stderr kept apart. `npm test` builds dist/ first.
 */
export function runCli(
  args: string[],
  opts: {
    cwd?: string
    env?: NodeJS.ProcessEnv
    input?: string
    /**
     * Write stdout and stderr into real pipes that are read like a slow consumer does (`| less`, a log shipper):
     * nothing for a second after the first byte. (Node's own stdio pipes are socket pairs with large buffers, which
     * hide the problem.)
     * A CLI that exits without waiting for its output to drain loses what the pipe did not hold (64 KiB).
     */
    slowReader?: boolean
    timeoutMs?: number
  } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const [cmd, argv] = opts.slowReader
      ? [
          'bash',
          [
            '-c',
            // pass the first byte on, then read nothing for a second, then the rest
            'slow() { dd bs=1 count=1 2>/dev/null; sleep 1; cat; }; set -o pipefail; "$0" "$@" 2> >(slow >&2) | slow',
            process.execPath,
            BIN,
            ...args,
          ],
        ]
      : [process.execPath, [BIN, ...args]]
    const child = spawn(cmd, argv, {
      cwd: opts.cwd ?? ROOT,
      env: {...process.env, CI: 'true', FORCE_COLOR: '0', NO_COLOR: '1', ...opts.env},
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({code: code ?? -1, stderr, stdout})
    })
    child.stdin.end(opts.input ?? '')
  })
}

/** Parse the JSON a command printed with --json. */
export function json<T = Record<string, unknown>>(r: CliResult): T {
  try {
    return JSON.parse(r.stdout) as T
  } catch {
    throw new Error(`stdout is not JSON (exit ${r.code}):\n${r.stdout}\n--- stderr ---\n${r.stderr}`)
  }
}

export interface RunningCli {
  /** The exit code, stdout and stderr once it has ended. */
  done: Promise<CliResult>
  /** Send a signal (SIGINT is what Ctrl-C sends). */
  kill(signal: NodeJS.Signals): void
  /** What it has written to stderr so far. */
  stderr(): string
  /** Resolve once stderr matches (reject when it ends first). */
  waitFor(re: RegExp): Promise<void>
}

/** Start the real CLI and keep it running, for tests that interrupt it. */
export function startCli(args: string[], opts: {cwd?: string; env?: NodeJS.ProcessEnv} = {}): RunningCli {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: opts.cwd ?? ROOT,
    env: {...process.env, CI: 'true', FORCE_COLOR: '0', NO_COLOR: '1', ...opts.env},
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  const waiters: {re: RegExp; reject: (e: Error) => void; resolve: () => void}[] = []
  const check = () => {
    const matched = waiters.filter((w) => w.re.test(stderr))
    for (const w of matched) {
      waiters.splice(waiters.indexOf(w), 1)
      w.resolve()
    }
  }

  child.stdout.on('data', (d) => (stdout += d))
  child.stderr.on('data', (d) => {
    stderr += d
    check()
  })
  child.stdin.end()
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code) => {
      for (const w of waiters.splice(0))
        w.reject(new Error(`the CLI ended (exit ${code}) before stderr matched ${w.re}:\n${stderr}`))
      resolve({code: code ?? -1, stderr, stdout})
    })
  })
  return {
    done,
    kill: (signal) => child.kill(signal),
    stderr: () => stderr,
    waitFor(re) {
      return new Promise<void>((resolve, reject) => {
        waiters.push({re, reject, resolve})
        check()
      })
    },
  }
}
