#!/usr/bin/env node
// CommonJS (bin/package.json): an ES module entry costs every start ≈ 8 ms for Node's ES module loader.
// Fast path: a plain `fabk8s [topic|command] --help` is answered from the help pages rendered at build time
// (scripts/help-cache.js), without loading @oclif/core. Everything else goes to oclif.
// Node is ready to run the CLI (a --verbose timeline's first mark: src/lib/timeline.ts)
const firstLine = {cpu: process.cpuUsage(), uptime: process.uptime()}
const argv = process.argv.slice(2)
const last = argv.at(-1)
if (
  (last === '--help' || last === '-h') &&
  process.env.FABK8S_HELP_CACHE !== 'off' &&
  argv.slice(0, -1).every((a) => /^[a-z][\w-]*$/.test(a))
) {
  try {
    const {readFileSync, statSync} = require('node:fs')
    const cache = JSON.parse(readFileSync(`${__dirname}/../dist/help-cache.json`, 'utf8'))
    const pjson = JSON.parse(readFileSync(`${__dirname}/../package.json`, 'utf8'))
    const st = statSync(`${__dirname}/../oclif.manifest.json`)
    const page = cache.entries[argv.slice(0, -1).join(' ')]
    if (page !== undefined && cache.key === `${pjson.version}:${st.size}:${st.mtimeMs}`) {
      process.stdout.write(page)
      process.exit(0)
    }
  } catch {
    // no cache (development tree): fall through to oclif
  }
}

// oclif checks the Node version against package.json engines with semver (47 files) on every start: the same check
// here, without it (engines: >=20.19.0), and oclif's switched off
const [major, minor] = process.versions.node.split('.').map(Number)
if (major < 20 || (major === 20 && minor < 19))
  process.emitWarning(`Node version must be >=20.19.0 to use this CLI. Current node version: ${process.versions.node}`)
process.env.OCLIF_DISABLE_ENGINE_WARNING ??= '1'

// The CLI runs from dist/fabk8s.cjs (scripts/bundle.js): one CommonJS file, registered as a module so that oclif's
// `explicit` command discovery (package.json oclif.commands) gets this same instance, compiled from a V8 code cache
// per command word (load-bundle.cjs), written by a run that did its work (exit 0, not --help), so that it holds what
// the command's real runs compile.
const path = require('node:path')
const cli = require('./load-bundle.cjs').loadCached(
  path.join(__dirname, '..', 'dist', 'fabk8s.cjs'),
  argv[0],
  () => !argv.some((a) => /^(--help|-h|--version|-v)$/.test(a)),
)
cli.markStartup("node ready (fabk8s's first line)", firstLine)
cli.markStartup('CLI code loaded (bundle, code cache)')
// the package root (bin/ holds its own package.json, which only makes this file CommonJS). A command that has done its
// work ends the process at once, its output written: letting the event loop run dry (gRPC and TLS sessions closing)
// costs ≈ 12 ms more. Errors end in oclif's handler, which exits itself.
// eslint-disable-next-line unicorn/prefer-top-level-await -- CommonJS: no top-level await
cli.execute({loadOptions: {root: path.join(__dirname, '..')}}).then(exitWhenWritten)

/** Exit (with process.exitCode) once stdout and stderr hold nothing unwritten (pipes are asynchronous on macOS). */
// eslint-disable-next-line no-implicit-globals -- a helper of this script
function exitWhenWritten() {
  const pending = [process.stdout, process.stderr].filter((s) => s.writableLength > 0)
  let left = pending.length
  if (left === 0) process.exit()
  for (const s of pending) s.once('drain', () => --left === 0 && process.exit())
}
