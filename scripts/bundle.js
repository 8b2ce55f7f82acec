#!/usr/bin/env node
// Build step: the whole CLI (oclif, every command, the libraries they load) as one CommonJS file, dist/fabk8s.cjs,
// which bin/run.js loads with a V8 code cache (dist/fabk8s.cjs.cache, made here by warm-up runs). Node 20 has no
// compile cache for ES modules, and a cold start spent most of its time resolving, reading and compiling ~400 module
// files: one file whose compiled code comes from the cache starts in a fraction of that.
// Node loses a script's dynamic-import callback when the script comes from a code cache ("A dynamic import callback
// was not specified"), so every import() left in the bundle (Node's built-ins, the few packages kept out of it,
// oclif loading an ES module) is rewritten to call __fabk8sImport, which bin/run.js provides.
// The commands reach oclif through its `explicit` discovery (package.json oclif.commands → COMMANDS here).
// dist/ from tsc stays as it is (types, the oclif manifest's source, files read at run time such as the dev relay).
import {build} from 'esbuild'
import {readdirSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {asciiOnly, importCalls} from './_bundle-text.js'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const dist = path.join(root, 'dist')
const out = path.join(dist, 'fabk8s.cjs')

/** Command files of dist/commands → oclif ids (`lifecycle/approve.js` → `lifecycle:approve`), as oclif's pattern finds them. */
function commandFiles(dir = path.join(dist, 'commands'), prefix = []) {
  const found = []
  for (const e of readdirSync(dir, {withFileTypes: true}).sort((a, b) => a.name.localeCompare(b.name))) {
    if (e.isDirectory()) found.push(...commandFiles(path.join(dir, e.name), [...prefix, e.name]))
    else if (e.name.endsWith('.js')) {
      const base = e.name.slice(0, -3)
      found.push({file: path.join(dir, e.name), id: [...prefix, ...(base === 'index' ? [] : [base])].join(':')})
    }
  }

  return found
}

const commands = commandFiles()
// each command's module (and what it imports) is evaluated only when oclif asks for that command: a getter per id
const lazy = (name, file, target = 'module.exports') =>
  `Object.defineProperty(${target}, ${JSON.stringify(name)}, {enumerable: true, get: () => require(${JSON.stringify(file)}).default})`
const entry = [
  "const {Config, execute} = require('@oclif/core')",
  // bin/run.js marks when the CLI's code is loaded (the start of a --verbose timeline, src/lib/timeline.ts)
  "const {markStartup} = require('./dist/lib/timeline.js')",
  'const COMMANDS = {}',
  'module.exports = {COMMANDS, Config, execute, markStartup}',
  ...commands.map((c) => lazy(c.id, c.file, 'COMMANDS')),
  // the help class and the hook (package.json oclif.helpClass, oclif.hooks) must come from this oclif too: an error
  // class of another copy of oclif is not one this copy knows (an exit(2) would print as "Error: EEXIT: 2")
  lazy('Help', './dist/help.js'),
  lazy('commandNotFound', './dist/hooks/command-not-found.js'),
  lazy('topicJson', './dist/hooks/topic-json.js'),
].join('\n')

/**
 * `import.meta.url` has no meaning in a CommonJS bundle: each use becomes the URL its file had (relative to the
 * bundle's folder, computed at run time), so paths built from it (templates/, the dev relay's program) still resolve.
 */
const importMetaUrl = {
  name: 'import-meta-url',
  setup(b) {
    b.onLoad({filter: /\.(c|m)?js$/}, (args) => {
      const text = readFileSync(args.path, 'utf8')
      if (!text.includes('import.meta.url')) return
      const rel = path.relative(dist, args.path).split(path.sep).join('/')
      return {
        contents: text.replaceAll(
          'import.meta.url',
          `require('node:url').pathToFileURL(require('node:path').join(__dirname, ${JSON.stringify(rel)})).href`,
        ),
        loader: 'js',
      }
    })
  },
}

/**
 * oclif sorts its command list with localeCompare on every start; the first localeCompare of a process loads ICU's
 * collation data (≈ 8 ms here). Command ids are ASCII (letters, digits, '-', ':'), for which comparing code units
 * gives the same order. The build fails if oclif's line changes, so that an upgrade is looked at again.
 */
const oclifSort = {
  name: 'oclif-sort',
  setup(b) {
    b.onLoad({filter: /@oclif[\\/]core[\\/]lib[\\/]config[\\/]plugin\.js$/}, (args) => {
      const text = readFileSync(args.path, 'utf8')
      const from = '.sort((a, b) => a.id.localeCompare(b.id));'
      if (!text.includes(from))
        throw new Error(`bundle: ${args.path} no longer sorts with ${from}; look at oclifSort again`)
      return {contents: text.replace(from, '.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));'), loader: 'js'}
    })
  },
}

const result = await build({
  bundle: true,
  // not in it: client-node (src/lib/kube/lib.ts loads dist/vendor/kube.cjs, its own bundle; the package is only the
  // fallback), the prompts (only `init` and `adopt` ask, and they pull in 0.7 MB of encodings), oclif's TypeScript hooks
  external: ['@kubernetes/client-node', '@inquirer/prompts', 'typescript', 'ts-node', 'tsx'],
  format: 'cjs',
  // smaller to read and hash; names kept for stack traces and class names
  keepNames: true,
  logLevel: 'warning',
  minifySyntax: true,
  minifyWhitespace: true,
  outfile: out,
  platform: 'node',
  plugins: [oclifSort, importMetaUrl],
  stdin: {contents: entry, loader: 'js', resolveDir: root, sourcefile: 'fabk8s-entry.cjs'},
  target: 'node20',
  write: false,
})

let code = asciiOnly(result.outputFiles[0].text)
const calls = importCalls(code)
for (const at of [...calls].reverse()) {
  if (code.slice(at, at + 6) !== 'import') throw new Error(`bundle: no import() at offset ${at}`)
  code = `${code.slice(0, at)}__fabk8sImport${code.slice(at + 6)}`
}

if (importCalls(code).length > 0) throw new Error('bundle: import() calls are left after the rewrite')
// loaded without bin/run.js (oclif's manifest step requires it), a plain import() does
const banner = 'var __fabk8sImport = globalThis.__fabk8sImport ?? ((specifier) => import(specifier));\n'
writeFileSync(out, banner + code)
// The build's code cache: the bundle loaded in this process (the Node that will run it) as bin/run.js loads it, every
// command module evaluated and oclif's configuration loaded (it finds this same instance), so that a command's first
// run compiles only what it calls.
{
  const {createRequire} = await import('node:module')
  const {exports: cli, script} = createRequire(import.meta.url)('../bin/load-bundle.cjs').loadBundle(out)
  for (const id of Object.keys(cli.COMMANDS)) if (!cli.COMMANDS[id]) throw new Error(`bundle: no command ${id}`)
  await cli.Config.load(root)
  writeFileSync(`${out}.cache`, script.createCachedData())
}

console.log(
  `bundle: ${path.relative(root, out)} (${commands.length} commands, ${(code.length / 1e6).toFixed(1)} MB, ${calls.length} import() calls rewritten)`,
)
