#!/usr/bin/env node
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
    const {readFileSync, statSync} = await import('node:fs')
    const cache = JSON.parse(readFileSync(new URL('../dist/help-cache.json', import.meta.url), 'utf8'))
    const pjson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
    const st = statSync(new URL('../oclif.manifest.json', import.meta.url))
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

const {execute} = await import('@oclif/core')
await execute({dir: import.meta.url})
