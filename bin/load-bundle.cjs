// How the CLI's bundle (dist/fabk8s.cjs, made by scripts/bundle.js) is loaded: by bin/run.js for every command, and by
// the build's warm-up that writes its first code cache. Compiled with vm.Script (the only way to hand V8 a code cache
// on Node 20) and registered as the CommonJS module of its file, so that oclif, which requires that file to find the
// commands, the help class and the hook (package.json oclif), gets this same instance.
const fs = require('node:fs')
const Module = require('node:module')
const path = require('node:path')
const vm = require('node:vm')

/**
 * Load the bundle, compiled from `cachedData` when V8 accepts it; the script (for its cache) and the exports. The
 * bundle is ASCII (scripts/bundle.js): read as latin1, a plain copy, where decoding UTF-8 costs ≈ 12 ms more.
 */
const loadBundle = (file, cachedData) => {
  const script = new vm.Script(Module.wrap(fs.readFileSync(file, 'latin1')), {cachedData, filename: file})
  // the bundle's import() calls come here (a script compiled from a code cache cannot make its own)
  globalThis.__fabk8sImport = (specifier) => import(specifier)
  const dir = path.dirname(file)
  const m = new Module(file)
  m.filename = file
  m.paths = Module._nodeModulePaths(dir)
  Module._cache[file] = m
  script.runInThisContext().call(m.exports, m.exports, Module.createRequire(file), m, file, dir)
  m.loaded = true
  return {exports: m.exports, script}
}

module.exports = {loadBundle}
