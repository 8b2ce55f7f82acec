/**
 * The CLI as a person at a terminal runs it: in a pseudo-terminal of 120 columns from util-linux's script(1), not in
 * CI (so fabk8s draws its progress with the terminal renderer). Plain JavaScript, for bench/lifecycle.js (run by node)
 * as well as the TypeScript benches and tests.
 */
import {spawnSync} from 'node:child_process'

/** Whether script(1) from util-linux is there to make the pseudo-terminal. */
export function hasScript() {
  return spawnSync('script', ['--version'], {stdio: 'ignore'}).status === 0
}

/** A word for sh, quoted. */
const quote = (s) => `'${s.replaceAll("'", String.raw`'\''`)}'`

/**
 * Run `node bin args…` in the pseudo-terminal and wait for it; `stdout` is what the terminal was sent (escapes and
 * all). CI is taken out of `env`.
 *
 * @param {string} bin the CLI's bin/run.js
 * @param {string[]} args its arguments
 * @param {{cwd: string, env?: NodeJS.ProcessEnv, timeout?: number}} o where to run it, its environment, a time limit (ms)
 * @returns {import('node:child_process').SpawnSyncReturns<string>} script's result: its exit status and the terminal's output
 */
export function inTerminal(bin, args, o) {
  const env = {...(o.env ?? process.env)}
  delete env.CI
  const cmd = `stty cols 120 rows 40; ${[process.execPath, bin, ...args].map((w) => quote(w)).join(' ')}`
  return spawnSync('script', ['-qec', cmd, '/dev/null'], {cwd: o.cwd, encoding: 'utf8', env, timeout: o.timeout})
}
