/**
 * A warm spare for `fabk8s dev`'s Node runner: loads the heavy libraries under the Fabric chaincode runtime (gRPC,
 * the Fabric protobufs, the logger: a good part of the start-up, and they do not change between saves), then
 * waits. Only libraries that read nothing at load time are preloaded: fabric-shim itself is not, since it sets
 * up its command line (yargs reads process.argv) when it loads. On one line of JSON on stdin
 * (`{"entry", "args", "inspect"}`) it opens the inspector when asked and runs the entry as the main module, so
 * the chaincode starts with only its own, freshly built code left to load. fabk8s keeps one spare ready while
 * the chaincode runs, and starts a new one after each restart.
 */
'use strict'

const {createRequire, runMain} = require('node:module')
const path = require('node:path')

const dir = process.env.FABK8S_DEV_DIR || process.cwd()
const req = createRequire(path.join(dir, 'package.json'))
let preload = []
try {
  preload = JSON.parse(process.env.FABK8S_DEV_PRELOAD || '[]')
} catch {
  preload = []
}

// resolve each library the way the runtime does (from fabric-shim's and fabric-contract-api's folders), so the
// chaincode finds the same module instances in the cache
const bases = []
for (const b of ['fabric-shim', 'fabric-contract-api']) {
  try {
    bases.push(createRequire(req.resolve(b)))
  } catch {
    // not a dependency of this chaincode
  }
}

bases.push(req)
for (const name of preload) {
  for (const r of bases) {
    try {
      r(name)
      break
    } catch {
      // not resolvable from here: try the next folder; a library that loads nowhere is left to the chaincode
    }
  }
}

let input = ''
process.stdin.setEncoding('utf8')
process.stdin.on('data', (chunk) => {
  input += chunk
  const nl = input.indexOf('\n')
  if (nl === -1) return
  process.stdin.removeAllListeners('data')
  process.stdin.destroy()
  const go = JSON.parse(input.slice(0, nl))
  if (go.inspect) require('node:inspector').open(go.inspect, '127.0.0.1')
  const entry = path.resolve(dir, go.entry)
  process.argv = [process.argv[0], entry, ...(go.args || [])]
  runMain(entry)
})
