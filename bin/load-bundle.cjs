// How the CLI's bundles are loaded: dist/fabk8s.cjs (scripts/bundle.js) by bin/run.js for every command, and
// dist/vendor/kube.cjs (scripts/vendor-kube.js) by src/lib/kube/lib.ts when a command talks to Kubernetes; also by
// the build's warm-ups that write their first code caches. Compiled with vm.Script (the only way to hand V8 a code
// cache on Node 20) and registered as the CommonJS module of its file, so that oclif, which requires dist/fabk8s.cjs to
// find the commands, the help class and the hook (package.json oclif), gets this same instance.
//
// Node 20 has no compile cache (22's module.enableCompileCache), so this is one: V8 code caches in
// $XDG_CACHE_HOME/fabk8s/code, one per bundle and word (for the CLI's bundle, the command word), made by the first run
// that did its work with them (what it compiled is what it will need) and written again only when V8 refuses one
// (another Node, another build). Until then, the build's cache (<bundle>.cache: what loading it compiled) is used.
// (No V8 flag set here, e.g. against bytecode flushing: a flag changes the hash every cache is checked against, and
// measured, --no-flush-bytecode made every load of the bundles 12-20 ms slower.)
// FABK8S_CODE_CACHE=off reads and writes none.
const fs = require('node:fs')
const Module = require('node:module')
const path = require('node:path')
const vm = require('node:vm')

/**
 * Load the bundle, compiled from `cachedData` when V8 accepts it; the script (for its cache) and the exports. The
 * bundles are ASCII (the build checks): read as latin1, a plain copy, where decoding UTF-8 costs ≈ 12 ms more.
 */
const loadBundle = (file, cachedData) => {
  const script = new vm.Script(Module.wrap(fs.readFileSync(file, 'latin1')), {cachedData, filename: file})
  // the bundle's import() calls come here (a script compiled from a code cache cannot make its own)
  globalThis.__fabk8sImport ??= (specifier) => import(specifier)
  const dir = path.dirname(file)
  const m = new Module(file)
  m.filename = file
  m.paths = Module._nodeModulePaths(dir)
  Module._cache[file] = m
  script.runInThisContext().call(m.exports, m.exports, Module.createRequire(file), m, file, dir)
  m.loaded = true
  return {exports: m.exports, script}
}

/**
 * Load a bundle with its code cache (`word`: which of the bundle's caches, e.g. the command word); when the run ends
 * with exit code 0 and `keep` has not said otherwise, the cache of what it compiled is written for the next run (only
 * when there was none of its own yet or V8 refused it).
 */
const loadCached = (file, word, keep = () => true) => {
  const cache = codeCache(file, word)
  const loaded = loadBundle(file, cache.data)
  const rejected = loaded.script.cachedDataRejected === true
  if (cache.file && (!cache.own || rejected)) {
    const gcs = majorGcs()
    process.once('exit', (code) => {
      // V8 drops the bytecode of a function that has not run for --bytecode-old-age (5) full garbage collections, and
      // a cache holds only the functions that still have theirs. A run that has had that many (an `up` that built an
      // image, a long `dev`) has lost the bundle's top level and all that ran at start only: a cache without the top
      // level compiles the whole bundle again on every later run (≈ 80 ms). Such a run leaves the writing to a shorter
      // run of the same command (the short ones have none).
      if (code !== 0 || !keep() || gcs() >= WRITE_BELOW_GCS) return
      cache.write(loaded.script.createCachedData())
    })
  }

  return loaded.exports
}

/**
 * A cache is written by a run that has had fewer full garbage collections than this: V8's --bytecode-old-age is 5, and
 * the count misses those of the last stretch before the exit (the observer hears of them a tick later).
 */
const WRITE_BELOW_GCS = 3

/** Counts the process's full (mark-compact) garbage collections from now on: a function that says how many so far. */
const majorGcs = () => {
  const {constants, PerformanceObserver} = require('node:perf_hooks')
  let n = 0
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) if (e.detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) n++
  })
  observer.observe({entryTypes: ['gc']})
  return () => {
    observer.disconnect()
    return n
  }
}

/** The code cache for this run: the word's own when there is one, else the build's; where to write the word's. */
// eslint-disable-next-line no-implicit-globals -- a helper of this module (CommonJS: module scope)
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
  // one folder per bundle (the CLI's keeps the folder it always had), so that each keeps its own newest builds
  const base = path.basename(bundleFile, '.cjs')
  const dir = path.join(home, 'fabk8s', 'code', ...(base === 'fabk8s' ? [] : [base]))
  const key = /^[a-z][\w-]{0,40}$/.test(word ?? '') ? word : 'other'
  const own = path.join(dir, `${stamp}-${key}.bin`)
  const data = read(own)
  return {
    data: data ?? shipped(),
    file: own,
    own: data !== undefined,
    write(bytes) {
      // best effort: a cache that cannot be written only makes the next start slower
      try {
        fs.mkdirSync(dir, {recursive: true})
        const tmp = `${own}.${process.pid}.tmp`
        fs.writeFileSync(tmp, bytes)
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

module.exports = {loadBundle, loadCached}
