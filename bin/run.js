#!/usr/bin/env node
// CommonJS (bin/package.json): an ES module entry costs every start ≈ 8 ms for Node's ES module loader.
// Fast path: a plain `fabk8s [topic|command] --help` is answered from the help pages rendered at build time
// (scripts/help-cache.js), without loading @oclif/core. Everything else goes to oclif.
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
// `explicit` command discovery (package.json oclif.commands) gets this same instance. Node 20 has no compile cache
// for it (22's module.enableCompileCache), so this is one: V8 code caches, one per command word, made by that
// command's first successful run (what it compiled is what it will need) in $XDG_CACHE_HOME/fabk8s/code, written again only
// when V8 refuses one (another Node, another build). Until then, the build's cache (dist/fabk8s.cjs.cache: every
// module's top level) is used. FABK8S_CODE_CACHE=off reads and writes none.
const fs = require('node:fs')
const path = require('node:path')
const file = path.join(__dirname, '..', 'dist', 'fabk8s.cjs')
const cache = codeCache(file, argv[0])
const {exports: cli, script} = require('./load-bundle.cjs').loadBundle(file, cache.data)
// written by a run that did its work (exit 0, not --help), so that it holds what the command's real runs compile
if (cache.file && (!cache.own || script.cachedDataRejected) && !argv.some((a) => /^(--help|-h|--version|-v)$/.test(a)))
  process.once('exit', (code) => code === 0 && cache.write(script))
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

/** The code cache for this run: the command's own when there is one, else the build's; where to write the command's. */
// eslint-disable-next-line no-implicit-globals -- a helper of this script
function codeCache(bundleFile, word) {
  if (process.env.FABK8S_CODE_CACHE === 'off') return {}
  const read = (f) => {
    try {
      return fs.readFileSync(f)
    } catch {
      // none (yet): compiled from source, or from the build's cache
    }
  }

  const shipped = () => read(`${bundleFile}.cache`)
  let stamp
  try {
    const st = fs.statSync(bundleFile)
    stamp = `${process.version}-${process.arch}-${st.size}-${Math.trunc(st.mtimeMs)}`
  } catch {
    return {data: shipped()}
  }

  const home = process.env.XDG_CACHE_HOME || (process.env.HOME ? path.join(process.env.HOME, '.cache') : '')
  if (!home) return {data: shipped()}
  const dir = path.join(home, 'fabk8s', 'code')
  const key = /^[a-z][\w-]{0,40}$/.test(word ?? '') ? word : 'other'
  const own = path.join(dir, `${stamp}-${key}.bin`)
  const data = read(own)
  return {
    data: data ?? shipped(),
    file: own,
    own: data !== undefined,
    write(s) {
      // best effort: a cache that cannot be written only makes the next start slower
      try {
        fs.mkdirSync(dir, {recursive: true})
        const tmp = `${own}.${process.pid}.tmp`
        fs.writeFileSync(tmp, s.createCachedData())
        fs.renameSync(tmp, own)
        // caches of other builds or Node versions: those of the 4 newest builds stay (installs side by side keep
        // theirs), older ones are of no use any more
        const names = fs.readdirSync(dir)
        const stamps = new Map()
        for (const name of names) {
          const m = /^(v[\d.]+-\w+-\d+-\d+)-[\w-]+\.bin$/.exec(name)
          if (m) stamps.set(m[1], Math.max(stamps.get(m[1]) ?? 0, fs.statSync(path.join(dir, name)).mtimeMs))
        }

        const old = [...stamps].sort((a, b) => b[1] - a[1]).slice(4)
        for (const name of names)
          if (old.some(([st]) => name.startsWith(`${st}-`))) fs.rmSync(path.join(dir, name), {force: true})
      } catch {}
    },
  }
}
