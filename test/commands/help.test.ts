import {expect} from 'chai'
import {existsSync} from 'node:fs'
import path from 'node:path'

import {ExitCode} from '../../src/lib/errors.js'
import {ROOT, runCli} from '../support/cli.js'

describe('fabk8s --help', () => {
  it('lists the commands and the whole exit-code table', async () => {
    const r = await runCli(['--help'])
    expect(r.code).to.equal(0)
    expect(r.stdout)
      .to.match(/COMMANDS/)
      .and.match(/\binit\b/)
      .and.match(/EXIT CODES/)
    const table = r.stdout.slice(r.stdout.indexOf('EXIT CODES'))
    const listed = [...table.matchAll(/^\s+(\d+)\s{2}/gm)].map((m) => Number(m[1]))
    expect(listed, 'every code, in numeric order').to.deep.equal(Object.values(ExitCode).sort((a, b) => a - b))
  })

  it('the build-time help pages are what oclif renders (not stale)', async function () {
    if (!existsSync(path.join(ROOT, 'dist', 'help-cache.json'))) {
      console.log('      skipped: dist/help-cache.json is made by `npm run build` (npm test builds first)')
      this.skip()
    }

    for (const args of [['--help'], ['init', '--help'], ['lifecycle', '--help']]) {
      const cached = await runCli(args)
      const live = await runCli(args, {env: {FABK8S_HELP_CACHE: 'off', OCLIF_COLUMNS: '80'}})
      expect(cached.code).to.equal(0)
      expect(cached.stdout, args.join(' ')).to.equal(live.stdout)
    }
  })

  it('`fabk8s help [COMMAND]` shows the same pages as --help (a command of the bundle, not a plugin)', async () => {
    const env = {FABK8S_HELP_CACHE: 'off', OCLIF_COLUMNS: '80'}
    for (const [help, page] of [
      [['help'], ['--help']],
      [
        ['help', 'register'],
        ['register', '--help'],
      ],
      [
        ['help', 'lifecycle', 'approve'],
        ['lifecycle', 'approve', '--help'],
      ],
    ]) {
      const a = await runCli(help, {env})
      const b = await runCli(page, {env})
      expect(a.code, help.join(' ')).to.equal(0)
      expect(a.stdout, help.join(' ')).to.equal(b.stdout).and.match(/USAGE/)
    }

    const r = await runCli(['help', 'frobnicate'])
    expect(r.code).to.equal(2)
    expect(r.stderr).to.match(/frobnicate/)
  })

  it('an unknown command is a usage error', async () => {
    const r = await runCli(['frobnicate'])
    expect(r.code).to.not.equal(0)
    expect(r.stderr).to.match(/frobnicate/)
  })
})

describe('fabk8s invoke/query --help examples', () => {
  it("call the scaffold's contract (fabk8s init) with the arguments its functions take", async () => {
    const {readFile} = await import('node:fs/promises')
    const {default: Invoke} = await import('../../src/commands/invoke.js')
    const {default: Query} = await import('../../src/commands/query.js')
    const contract = await readFile(path.join(ROOT, 'templates', 'chaincode', 'typescript', 'src', 'asset.ts'), 'utf8')
    // function → number of arguments after ctx
    const arity = new Map(
      [...contract.matchAll(/^\s+async (\w+)\(ctx: Context((?:, \w+: \w+)*)\)/gm)].map((m) => [
        m[1],
        m[2] ? m[2].split(',').length - 1 : 0,
      ]),
    )
    expect(arity.get('CreateAsset')).to.equal(3)
    for (const example of [...(Invoke.examples as string[]), ...(Query.examples as string[])]) {
      // '<%= config.bin %> invoke FN ARGS… [--json]'
      const [fn, ...args] = example
        .replace('<%= config.bin %> ', '')
        .split(' ')
        .slice(1)
        .filter((w) => !w.startsWith('--'))
      if (fn.startsWith('org.hyperledger.fabric:')) continue // the contract API's own functions
      expect(arity.has(fn), `${example}: ${fn} is not a function of the scaffold's contract`).to.equal(true)
      expect(args.length, `${example}: ${fn} takes ${arity.get(fn)} argument(s)`).to.equal(arity.get(fn))
    }
  })
})
