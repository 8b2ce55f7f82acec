// What both bundles of the build (scripts/bundle.js, scripts/vendor-kube.js) need of their text before
// bin/load-bundle.cjs can load it: ASCII only, and where its import() calls are.
import {parse} from 'acorn'

/** Every import() expression of a bundle, found by parsing it (a regular expression would also hit strings). */
export function importCalls(code) {
  const starts = []
  const walk = (node) => {
    if (!node || typeof node.type !== 'string') return
    if (node.type === 'ImportExpression') starts.push(node.start)
    for (const key of Object.keys(node)) {
      const v = node[key]
      if (Array.isArray(v)) for (const x of v) walk(x)
      else if (v && typeof v === 'object' && typeof v.type === 'string') walk(v)
    }
  }

  walk(
    parse(code, {allowHashBang: true, allowReturnOutsideFunction: true, ecmaVersion: 'latest', sourceType: 'script'}),
  )
  return starts
}

/**
 * The text in ASCII only (esbuild leaves regular expression literals as they are): bin/load-bundle.cjs reads a bundle
 * as latin1, which is a plain copy, where decoding UTF-8 text that holds any other character takes ≈ 12 ms more on
 * every start. A \uXXXX escape means the same character in a string, a template, a regular expression and an
 * identifier.
 */
export function asciiOnly(code) {
  return code.replaceAll(/[^\0-\u007F]/g, (c) => `\\u${c.codePointAt(0).toString(16).padStart(4, '0')}`)
}
