/**
 * The layering, checked on the source: libraries describe work and never draw it or parse flags; commands (and the
 * one renderer, src/render) show it. Fails as soon as an import crosses a line.
 */
import {expect} from 'chai'
import {readdirSync, readFileSync} from 'node:fs'
import path from 'node:path'

import {ROOT} from '../support/cli.js'

const SRC = path.join(ROOT, 'src')

function files(dir: string): string[] {
  return readdirSync(dir, {recursive: true, withFileTypes: true})
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => path.join(e.parentPath, e.name))
}

/** Every module a file imports (static, dynamic, type-only, re-exports), resolved to a src-relative path when relative. */
function importsOf(file: string, text = readFileSync(file, 'utf8')): string[] {
  const specs = [
    ...text.matchAll(/\b(?:import|export)\b[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g),
    ...text.matchAll(/\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g),
    ...text.matchAll(/^\s*import\s*['"]([^'"]+)['"]/gm),
  ].map((m) => m[1])
  return specs.map((s) => (s.startsWith('.') ? path.relative(SRC, path.resolve(path.dirname(file), s)) : s))
}

const lib = files(path.join(SRC, 'lib'))

function offenders(sources: string[], bad: (spec: string) => boolean): string[] {
  return sources.flatMap((f) =>
    importsOf(f)
      .filter((s) => bad(s))
      .map((s) => `${path.relative(SRC, f)} imports ${s}`),
  )
}

describe('layering', () => {
  it('reads every kind of import (the check itself)', () => {
    const f = path.join(SRC, 'lib', 'x', 'y.ts')
    const text = [
      "import type {ListrTask} from 'listr2'",
      "import {Flags} from '@oclif/core'",
      "export {a} from '../kube/client.js'",
      "const m = await import('../../render/tasks.js')",
      "import './side-effect.js'",
    ].join('\n')
    expect(importsOf(f, text)).to.deep.equal([
      'listr2',
      '@oclif/core',
      'lib/kube/client.js',
      'render/tasks.js',
      'lib/x/side-effect.js',
    ])
  })

  it('no file under src/lib imports the renderer (listr2, src/render) or oclif (@oclif/core, src/flags, commands)', () => {
    expect(lib.length).to.be.greaterThan(20)
    expect(
      offenders(
        lib,
        (s) =>
          s === 'listr2' ||
          s.startsWith('@oclif/') ||
          /^(render|flags|commands)\//.test(s) ||
          /^(base-command|call-command|help)\.js$/.test(s),
      ),
    ).to.deep.equal([])
  })

  it('lib/fabric does not import lib/kube, and lib/kube does not import lib/fabric', () => {
    const fabric = lib.filter((f) => f.includes(`${path.sep}lib${path.sep}fabric${path.sep}`))
    const kube = lib.filter((f) => f.includes(`${path.sep}lib${path.sep}kube${path.sep}`))
    expect(fabric.length).to.be.greaterThan(5)
    expect(kube.length).to.be.greaterThan(5)
    expect(offenders(fabric, (s) => s.startsWith('lib/kube/'))).to.deep.equal([])
    expect(offenders(kube, (s) => s.startsWith('lib/fabric/'))).to.deep.equal([])
  })

  it('only src/render imports listr2', () => {
    const all = files(SRC).filter((f) => !f.startsWith(path.join(SRC, 'render')))
    expect(offenders(all, (s) => s === 'listr2')).to.deep.equal([])
  })
})
