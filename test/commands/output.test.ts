/**
 * What every command owes its caller on the way out: the whole output, also when it is larger than a pipe holds
 * (64 KiB) and the process exits right after; and under --json, one `{"error": …}` document for every error,
 * an unknown command and an extra argument included.
 */
import {expect} from 'chai'
import {mkdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {cleanup, makeProject, tmp} from '../lib/kube/support.js'
import {json, runCli} from '../support/cli.js'

type Any = any

describe('output: flushed before exit, and --json errors for every usage error', function () {
  this.timeout(60_000)
  let dir: string

  before(() => {
    dir = tmp('fabk8s-output-')
  })

  after(() => cleanup(dir))

  it('a --json error far larger than 64 KiB reaches a pipe whole (1000 unknown keys in fabk8s.yaml)', async () => {
    const proj = path.join(dir, 'keys')
    mkdirSync(proj)
    const keys = Array.from({length: 1000}, (_, i) => `unknownkey${String(i).padStart(4, '0')}: ${i}`)
    writeFileSync(path.join(proj, 'fabk8s.yaml'), ['name: kv', 'version: "1.0"', ...keys, ''].join('\n'))
    const r = await runCli(['status', '-p', proj, '--json'], {slowReader: true})
    expect(r.code).to.equal(3)
    const e = json<Any>(r).error
    expect(e.code).to.equal('PROJECT')
    expect(e.message).to.contain('unknownkey0000')
  })

  it('a --json error of 100 KB is written whole, and so is the same error without --json', async () => {
    const proj = makeProject(path.join(dir, 'big'))
    const image = `Bad Image ${'x'.repeat(100_000)}`
    const r = await runCli(['deploy', '--dry-run', '-p', proj, '--image', image, '--json'], {slowReader: true})
    expect(r.code).to.equal(2)
    expect(r.stdout.length).to.be.greaterThan(100_000)
    expect(json<Any>(r).error.message).to.contain(image)
    const h = await runCli(['deploy', '--dry-run', '-p', proj, '--image', image], {slowReader: true})
    expect(h.code).to.equal(2)
    expect(h.stderr).to.contain(image)
    expect(h.stderr).to.match(/is not an image reference like repository:tag\n$/)
  })

  it('an unknown command with --json: {"error": …} on stdout, exit 2', async () => {
    const r = await runCli(['frobnicate', '--json'])
    expect(r.code).to.equal(2)
    expect(json<Any>(r).error).to.include({code: 'USAGE', exitCode: 2, message: 'unknown command "frobnicate"'})
    const t = await runCli(['lifecycle', 'frobnicate', '--json'])
    expect(t.code).to.equal(2)
    expect(json<Any>(t).error.message).to.equal('unknown command "fabk8s lifecycle frobnicate"')
    const h = await runCli(['frobnicate'])
    expect(h.code).to.equal(2)
    expect(h.stdout).to.equal('')
    expect(h.stderr).to.equal('Error: unknown command "frobnicate"\nHint: see fabk8s --help for the commands\n')
  })

  it('a group of commands (lifecycle, network) with --json: {"error": …} listing its commands, exit 2; without --json or with --help, its help', async () => {
    const r = await runCli(['lifecycle', '--json'])
    expect(r.code, r.stdout + r.stderr).to.equal(2)
    const e = json<Any>(r).error
    expect(e).to.include({
      code: 'USAGE',
      exitCode: 2,
      hint: 'see fabk8s lifecycle --help',
      message:
        'fabk8s lifecycle is a group of commands, not a command: name one (approve, commit, install, package, status)',
    })
    expect(e.detail.commands.map((c: Any) => c.command)).to.deep.equal(
      ['approve', 'commit', 'install', 'package', 'status'].map((c) => `fabk8s lifecycle ${c}`),
    )
    expect(e.detail.commands[0].description).to.match(/^Approve the chaincode definition/)
    const n = await runCli(['network', '--json'])
    expect(n.code).to.equal(2)
    expect(json<Any>(n).error.message).to.equal(
      'fabk8s network is a group of commands, not a command: name one (import)',
    )
    // a person at a terminal still gets the help, as before
    for (const args of [['lifecycle'], ['lifecycle', '--json', '--help']]) {
      const h = await runCli(args, {env: {FABK8S_HELP_CACHE: 'off'}})
      expect(h.code, args.join(' ')).to.equal(0)
      expect(h.stdout, args.join(' ')).to.match(/^Package, install, approve and commit chaincode/)
    }
  })

  it('a bad value from the environment names the variable, not the flag it stands for (FABK8S_REGISTRY)', async () => {
    const proj = makeProject(path.join(dir, 'envreg'))
    const r = await runCli(['deploy', '--dry-run', '-p', proj, '--json'], {env: {FABK8S_REGISTRY: 'https://x'}})
    expect(r.code).to.equal(2)
    expect(json<Any>(r).error.message).to.match(/^FABK8S_REGISTRY "https:\/\/x": expected a registry host/)
    const f = await runCli(['deploy', '--dry-run', '-p', proj, '--registry', 'https://y', '--json'], {
      env: {FABK8S_REGISTRY: 'https://x'},
    })
    expect(json<Any>(f).error.message).to.match(/^--registry "https:\/\/y"/)
  })

  it('a flag and no command: "no command given", exit 2; with --json as {"error": …} on stdout', async () => {
    const r = await runCli(['--json'])
    expect(r.code).to.equal(2)
    expect(json<Any>(r).error).to.include({code: 'USAGE', message: 'no command given before --json'})
    const h = await runCli(['--verbose'])
    expect(h.code).to.equal(2)
    expect(h.stderr.split('\n')[0]).to.equal('Error: no command given before --verbose')
  })

  it('an extra argument with --json: {"error": …} naming the command and the argument, exit 2', async () => {
    const r = await runCli(['status', 'extra', '--json'])
    expect(r.code).to.equal(2)
    expect(json<Any>(r).error).to.include({
      code: 'USAGE',
      hint: 'see fabk8s status --help',
      message: 'fabk8s status takes no arguments (got "extra")',
    })
    const p = await runCli(['init', 'a', 'b', '--json'], {cwd: dir})
    expect(p.code).to.equal(2)
    expect(json<Any>(p).error.message).to.equal('Unexpected argument: b')
  })

  it('flags that exclude each other and a missing argument are named on the one line of the error, exit 2', async () => {
    const proj = makeProject(path.join(dir, 'parse'))
    const both = await runCli(['lifecycle', 'approve', '-p', proj, '--package', 'x', '--package-id', 'a:b', '--json'])
    expect(both.code).to.equal(2)
    expect(json<Any>(both).error.message).to.match(/^--package(-id)?=\S+ cannot also be provided when using --package/)
    const h = await runCli(['lifecycle', 'approve', '-p', proj, '--package', 'x', '--package-id', 'a:b'])
    expect(h.code).to.equal(2)
    expect(h.stderr.split('\n')[0]).to.match(/^Error: --package(-id)?=\S+ cannot also be provided when using --package/)
    const missing = await runCli(['invoke', '-p', proj, '--json'])
    expect(missing.code).to.equal(2)
    expect(json<Any>(missing).error.message).to.match(/^Missing 1 required arg: fn: function name/)
  })

  it('a bad flag value names the flag on one line (custom flags too), exit 2', async () => {
    const proj = makeProject(path.join(dir, 'flags'))
    const r = await runCli(['deploy', '-p', proj, '--timeout', 'soon', '--json'])
    expect(r.code).to.equal(2)
    expect(json<Any>(r).error.message).to.equal('--timeout: "soon" is not a duration (e.g. 90s, 2m, 120)')
    const b = await runCli(['build', '-p', proj, '--build-arg', '=x'])
    expect(b.code).to.equal(2)
    expect(b.stderr).to.match(/^Error: --build-arg "=x": expected KEY=VALUE\n/)
    const q = await runCli(['query', 'Get', '-p', proj, '--transient', '[1]'])
    expect(q.code).to.equal(2)
    expect(q.stderr).to.match(/^Error: --transient: expected a JSON object of strings/)
  })
})
