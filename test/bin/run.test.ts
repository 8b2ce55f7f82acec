/**
 * bin/run.js: the CLI runs from dist/fabk8s.cjs with a V8 code cache per command word in $XDG_CACHE_HOME/fabk8s/code.
 * What must hold: a command's first successful run writes its cache, later runs read it and write nothing, a cache
 * V8 refuses is replaced, runs that did no real work (--help, a failure) write none, nor do runs long enough for V8 to
 * have dropped the bytecode of what ran at start, FABK8S_CODE_CACHE=off touches nothing, and the output is the same
 * with or without a cache.
 */
import {expect} from 'chai'
import {execFileSync} from 'node:child_process'
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {ROOT, runCli} from '../support/cli.js'

const BUNDLE = path.join(ROOT, 'dist', 'fabk8s.cjs')
const CLEAN = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
        - name: web
          image: nginx:1.27
`

describe('bin/run.js: the bundle and its code cache', function () {
  this.timeout(60_000)
  let home: string
  let manifest: string
  const codeDir = () => path.join(home, 'fabk8s', 'code')
  const files = () => (existsSync(codeDir()) ? readdirSync(codeDir()).sort() : [])
  const doctor = (env: NodeJS.ProcessEnv = {}) =>
    runCli(['doctor', '-f', manifest, '--json'], {env: {XDG_CACHE_HOME: home, ...env}})

  before(function () {
    if (!existsSync(BUNDLE)) {
      console.log('    skipped: dist/fabk8s.cjs is made by `npm run build` (npm test builds first)')
      this.skip()
    }
  })

  beforeEach(() => {
    home = mkdtempSync(path.join(tmpdir(), 'fabk8s-code-cache-'))
    manifest = path.join(home, 'web.yaml')
    writeFileSync(manifest, CLEAN)
  })

  it("a command's first successful run writes its cache; the next run reads it, writes nothing, and prints the same", async () => {
    const first = await doctor()
    expect(first.code, first.stderr).to.equal(0)
    const written = files()
    expect(written).to.have.length(1)
    expect(written[0]).to.match(new RegExp(`^${process.version}-${process.arch}-\\d+-\\d+-doctor\\.bin$`))
    const file = path.join(codeDir(), written[0])
    const before = statSync(file)
    expect(before.size).to.be.greaterThan(100_000)

    const second = await doctor()
    expect(second.code).to.equal(0)
    expect(second.stdout).to.equal(first.stdout)
    expect(files()).to.deep.equal(written)
    const after = statSync(file)
    expect([after.ino, after.mtimeMs]).to.deep.equal([before.ino, before.mtimeMs])

    const off = await doctor({FABK8S_CODE_CACHE: 'off'})
    expect(off.stdout).to.equal(first.stdout)
  })

  it('a cache V8 refuses (here: garbage) is replaced by a good one, and the run is not affected', async () => {
    await doctor()
    const [name] = files()
    const file = path.join(codeDir(), name)
    const good = readFileSync(file)
    writeFileSync(file, Buffer.alloc(good.length, 7))
    const r = await doctor()
    expect(r.code, r.stderr).to.equal(0)
    expect(JSON.parse(r.stdout).summary.objects).to.equal(1)
    const again = readFileSync(file)
    expect(again.equals(Buffer.alloc(good.length, 7))).to.equal(false)
    expect(again.length).to.be.greaterThan(100_000)
  })

  it('--help, --version and a failed run write no cache; FABK8S_CODE_CACHE=off writes none', async () => {
    const help = await runCli(['doctor', '--help'], {env: {FABK8S_HELP_CACHE: 'off', XDG_CACHE_HOME: home}})
    expect(help.code).to.equal(0)
    expect(help.stdout).to.include('USAGE')
    const version = await runCli(['--version'], {env: {XDG_CACHE_HOME: home}})
    expect(version.stdout).to.match(/^fabk8s\/\d/)
    const failed = await runCli(['status'], {cwd: home, env: {XDG_CACHE_HOME: home}})
    expect(failed.code).to.equal(3)
    expect(files()).to.deep.equal([])

    const off = await doctor({FABK8S_CODE_CACHE: 'off'})
    expect(off.code).to.equal(0)
    expect(existsSync(path.join(home, 'fabk8s'))).to.equal(false)
  })

  it('a run with full garbage collections writes no cache (V8 drops bytecode after 5); a later short run does', () => {
    // the loader on a small bundle of its own, in a process that makes the old generation fill (and be collected)
    // `rounds` times; it reports the full collections it saw
    const bundle = path.join(home, 'small.cjs')
    writeFileSync(bundle, 'module.exports = {twice: (n) => 2 * n}\n')
    const run = (rounds: number) => {
      const script = `
        const {PerformanceObserver, constants} = require('node:perf_hooks')
        let major = 0
        new PerformanceObserver((l) => {
          for (const e of l.getEntries()) if (e.detail.kind === constants.NODE_PERFORMANCE_GC_MAJOR) major++
        }).observe({entryTypes: ['gc']})
        const small = require(${JSON.stringify(path.join(ROOT, 'bin', 'load-bundle.cjs'))}).loadCached(${JSON.stringify(bundle)}, 'small')
        let r = 0
        const fill = () => {
          const kept = []
          for (let i = 0; i < 300000; i++) kept.push({i, s: 'x' + i})
          if (++r < ${rounds}) setImmediate(fill)
          else setImmediate(() => console.log(JSON.stringify({major, twice: small.twice(21)})))
        }
        fill()`
      return JSON.parse(
        execFileSync(process.execPath, ['-e', script], {encoding: 'utf8', env: {...process.env, XDG_CACHE_HOME: home}}),
      ) as {major: number; twice: number}
    }

    const smallDir = path.join(codeDir(), 'small')
    const long = run(40)
    expect(long.twice).to.equal(42)
    expect(long.major, 'the long run had full collections').to.be.at.least(5)
    expect(existsSync(smallDir) ? readdirSync(smallDir) : []).to.deep.equal([])

    const short = run(1)
    expect(short.major).to.equal(0)
    expect(readdirSync(smallDir)).to.have.length(1)
  })

  it("writing a cache keeps those of the 4 newest builds and removes older builds' caches", async () => {
    mkdirSync(codeDir(), {recursive: true})
    const old = (stamp: string, ageDays: number) => {
      const f = path.join(codeDir(), `${process.version}-${process.arch}-${stamp}-up.bin`)
      writeFileSync(f, 'x')
      const t = Date.now() / 1000 - ageDays * 86_400
      utimesSync(f, t, t)
      return path.basename(f)
    }

    const kept = [old('1-1', 1), old('2-2', 2), old('3-3', 3)]
    const gone = [old('4-4', 4), old('5-5', 5)]
    writeFileSync(path.join(codeDir(), 'notes.txt'), 'not a cache')
    await doctor()
    const now = files()
    for (const k of kept) expect(now).to.include(k)
    for (const g of gone) expect(now).to.not.include(g)
    expect(now).to.include('notes.txt')
    expect(now.filter((f) => f.endsWith('-doctor.bin'))).to.have.length(1)
  })
})
