#!/usr/bin/env node
// Build step: bundle the parts of @kubernetes/client-node that fabk8s uses (KUBE_EXPORTS in src/lib/kube/lib.ts)
// into dist/vendor/kube.cjs, tree-shaken and minified: one CommonJS file, which bin/load-bundle.cjs compiles from a V8
// code cache (dist/vendor/kube.cjs.cache, made here; then the user's own). It loads in ≈ 0.06 s where the same bundle
// as an ES module (no code cache on Node 20) takes ≈ 0.15 s and the package's index ≈ 0.5 s. src/lib/kube/lib.ts
// loads it (and the package itself when run from source).
import {build} from 'esbuild'
import {mkdirSync, writeFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {asciiOnly, importCalls} from './_bundle-text.js'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const out = path.join(root, 'dist', 'vendor', 'kube.cjs')
const {KUBE_EXPORTS} = await import(path.join(root, 'dist', 'lib', 'kube', 'lib.js'))

/**
 * node-fetch 2 (client-node's HTTP) takes its URL class from `whatwg-url` only where Node has none (`Url.URL ||
 * whatwgUrl.URL`); Node 20 has one. whatwg-url brings tr46 and its Unicode mapping table (a quarter of the bundle),
 * built on every load: here it is Node's own URL, so that the table is not in the bundle.
 */
const nodeUrl = {
  name: 'node-url',
  setup(b) {
    b.onResolve({filter: /^whatwg-url$/}, () => ({namespace: 'node-url', path: 'whatwg-url'}))
    b.onLoad({filter: /.*/, namespace: 'node-url'}, () => ({contents: "module.exports = {URL: require('node:url').URL}"}))
  },
}

const result = await build({
  bundle: true,
  format: 'cjs',
  legalComments: 'linked',
  logLevel: 'warning',
  minify: true,
  outfile: out,
  platform: 'node',
  plugins: [nodeUrl],
  stdin: {
    contents: `export {${KUBE_EXPORTS.join(', ')}} from '@kubernetes/client-node'\n`,
    resolveDir: root,
    sourcefile: 'kube-exports.js',
  },
  target: 'node20',
  write: false,
})
mkdirSync(path.dirname(out), {recursive: true})
for (const f of result.outputFiles) {
  if (f.path !== out) {
    writeFileSync(f.path, f.contents)
    continue
  }

  // load-bundle.cjs reads the bundle as latin1; a script compiled from a code cache cannot make an import() call
  const code = asciiOnly(f.text)
  if (importCalls(code).length > 0) throw new Error('vendor-kube: the bundle makes an import() call')
  writeFileSync(out, code)
}

// the build's code cache: what loading it compiles (the user's own cache, written by a first run, holds more)
const {exports: kube, script} = createRequire(import.meta.url)('../bin/load-bundle.cjs').loadBundle(out)
for (const name of KUBE_EXPORTS) if (!kube[name]) throw new Error(`vendor-kube: no ${name} in the bundle`)
writeFileSync(`${out}.cache`, script.createCachedData())
