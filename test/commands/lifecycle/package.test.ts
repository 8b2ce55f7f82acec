import {expect} from 'chai'
import {spawnSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {generateChaincodeTls} from '../../../src/lib/tls/certs.js'
import {BIN, json, runCli} from '../../support/cli.js'

function project(extra = ''): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'fabk8s-pkgcmd-'))
  writeFileSync(
    path.join(dir, 'fabk8s.yaml'),
    `name: pk\nversion: "2.0"\nchaincode:\n  address: pk.fabk8s.svc.cluster.local:9999\n  tls: false\n${extra}`,
  )
  return dir
}

describe('fabk8s lifecycle package', () => {
  it('writes <label>.tar.gz and prints {file, label, packageId}; the ID is the sha256 of the file', async () => {
    const dir = project()
    const r = await runCli(['lifecycle', 'package', '--json', '-o', 'out'], {cwd: dir})
    expect(r.code, r.stderr).to.equal(0)
    const out = json<{file: string; label: string; packageId: string}>(r)
    expect(out.label).to.equal('pk_2.0')
    expect(out.file).to.equal(path.join(dir, 'out', 'pk_2.0.tar.gz'))
    expect(out.packageId).to.equal(`pk_2.0:${createHash('sha256').update(readFileSync(out.file)).digest('hex')}`)
    const again = json<{packageId: string}>(await runCli(['lifecycle', 'package', '--json', '-o', 'out2'], {cwd: dir}))
    expect(again.packageId).to.equal(out.packageId)
  })

  it('human output names the file and the package ID', async () => {
    const r = await runCli(['lifecycle', 'package'], {cwd: project()})
    expect(r.code, r.stderr).to.equal(0)
    expect(r.stdout).to.match(/^wrote .*pk_2\.0\.tar\.gz\npackage ID pk_2\.0:[0-9a-f]{64}\n$/)
  })

  it('with mTLS the package holds client_key: written 0600 in one rename, also over an older 0644 file', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'fabk8s-pkgcmd-'))
    mkdirSync(path.join(dir, 'tls'))
    const files = await generateChaincodeTls(['pk.fabk8s.svc.cluster.local'])
    for (const f of ['ca.crt', 'client.crt', 'client.key'] as const) writeFileSync(path.join(dir, 'tls', f), files[f])
    writeFileSync(
      path.join(dir, 'fabk8s.yaml'),
      'name: pk\nversion: "2.0"\nchaincode:\n  address: pk.fabk8s.svc.cluster.local:9999\n  tls: {enabled: true, clientAuth: true}\n',
    )
    mkdirSync(path.join(dir, 'out'))
    writeFileSync(path.join(dir, 'out', 'pk_2.0.tar.gz'), 'old')
    chmodSync(path.join(dir, 'out', 'pk_2.0.tar.gz'), 0o644)
    const r = await runCli(['lifecycle', 'package', '--json', '-o', 'out'], {cwd: dir})
    expect(r.code, r.stderr).to.equal(0)
    const {file} = json<{file: string}>(r)
    expect((statSync(file).mode & 0o777).toString(8)).to.equal('600')
    expect(readdirSync(path.join(dir, 'out'))).to.deep.equal(['pk_2.0.tar.gz'])
    // without a client key in it the package is an ordinary file
    const plain = project()
    const p = json<{file: string}>(await runCli(['lifecycle', 'package', '--json'], {cwd: plain}))
    expect((statSync(p.file).mode & 0o777).toString(8)).to.equal('644')
  })

  it('-o naming a file, not a folder: exit 4 naming the file and the flag, nothing written', async () => {
    const dir = project()
    const before = readdirSync(dir).sort()
    const r = await runCli(['lifecycle', 'package', '-o', 'fabk8s.yaml', '--json'], {cwd: dir})
    expect(r.code, r.stderr).to.equal(4)
    const e = json<{error: {message: string}}>(r).error
    expect(e.message).to.equal(`-o/--output fabk8s.yaml: ${path.join(dir, 'fabk8s.yaml')} is a file, not a folder`)
    expect(readdirSync(dir).sort()).to.deep.equal(before)
  })

  it('-o FILE.tgz / FILE.tar.gz (any case) is the package file, as `peer lifecycle chaincode package FILE` takes it; its folder is made; a folder with that name is still a folder', async () => {
    const dir = project()
    const inDir = json<{file: string; packageId: string}>(
      await runCli(['lifecycle', 'package', '--json', '-o', 'out'], {cwd: dir}),
    )
    const bytes = readFileSync(inDir.file)
    for (const o of ['mycc.tgz', path.join('dist', 'sub', 'MyCC.TAR.GZ'), 'x.Tgz']) {
      const r = await runCli(['lifecycle', 'package', '--json', '-o', o], {cwd: dir})
      expect(r.code, r.stderr).to.equal(0)
      const out = json<{file: string; label: string; packageId: string}>(r)
      // the file written, with the same bytes (and so the same package ID) as <label>.tar.gz in a folder
      expect(out).to.deep.equal({file: path.join(dir, o), label: 'pk_2.0', packageId: inDir.packageId})
      expect(statSync(out.file).isFile()).to.equal(true)
      expect(readFileSync(out.file).equals(bytes)).to.equal(true)
    }

    const human = await runCli(['lifecycle', 'package', '-o', 'mycc.tar.gz'], {cwd: dir})
    expect(human.code, human.stderr).to.equal(0)
    expect(human.stdout).to.equal(`wrote ${path.join(dir, 'mycc.tar.gz')}\npackage ID ${inDir.packageId}\n`)
    // over an older package file: replaced in one rename
    const again = await runCli(['lifecycle', 'package', '--json', '-o', 'mycc.tgz'], {cwd: dir})
    expect(again.code, again.stderr).to.equal(0)
    expect(readFileSync(path.join(dir, 'mycc.tgz')).equals(bytes)).to.equal(true)
    // only the package files: no temp file left beside them
    expect(readdirSync(dir).sort()).to.deep.equal(['dist', 'fabk8s.yaml', 'mycc.tar.gz', 'mycc.tgz', 'out', 'x.Tgz'])
    expect(readdirSync(path.join(dir, 'dist', 'sub'))).to.deep.equal(['MyCC.TAR.GZ'])

    // someone who already packs into a folder named old.tgz (or says so with a trailing /) keeps doing so
    mkdirSync(path.join(dir, 'old.tgz'))
    for (const o of ['old.tgz', `new.tgz${path.sep}`]) {
      const f = json<{file: string}>(await runCli(['lifecycle', 'package', '--json', '-o', o], {cwd: dir}))
      expect(f.file).to.equal(path.join(dir, o, 'pk_2.0.tar.gz'))
      expect(readFileSync(f.file).equals(bytes)).to.equal(true)
    }
  })

  it('-o with an empty value (an unset variable): exit 2 naming the flag, nothing written', async () => {
    const dir = project()
    const before = readdirSync(dir).sort()
    for (const o of ['', ' ']) {
      const j = await runCli(['lifecycle', 'package', '-o', o, '--json'], {cwd: dir})
      expect(j.code, j.stderr).to.equal(2)
      expect(json<{error: {code: string; message: string}}>(j).error).to.include({
        code: 'USAGE',
        message: '-o/--output: empty value',
      })
    }

    expect(readdirSync(dir).sort()).to.deep.equal(before)
  })

  it('-o FILE.tgz under a file: exit 4, one line naming the flag and the file in the way, nothing written', async () => {
    const dir = project()
    const before = readdirSync(dir).sort()
    for (const o of [path.join('fabk8s.yaml', 'x.tgz'), path.join('fabk8s.yaml', 'sub', 'x.tar.gz')]) {
      const j = await runCli(['lifecycle', 'package', '-o', o, '--json'], {cwd: dir})
      expect(j.code, j.stderr).to.equal(4)
      expect(json<{error: {code: string; message: string}}>(j).error).to.include({
        code: 'FILESYSTEM',
        message: `-o/--output ${o}: ${path.join(dir, 'fabk8s.yaml')} is a file, not a folder`,
      })
      const human = await runCli(['lifecycle', 'package', '-o', o], {cwd: dir})
      expect(human.code).to.equal(4)
      expect(human.stdout).to.equal('')
      expect(human.stderr.split('\n')[0]).to.equal(
        `Error: -o/--output ${o}: ${path.join(dir, 'fabk8s.yaml')} is a file, not a folder`,
      )
    }

    expect(readdirSync(dir).sort()).to.deep.equal(before)
  })

  it('-o in a folder it cannot write to (a file or a folder): exit 4, one line naming the flag and the file, nothing written', async () => {
    const dir = project()
    mkdirSync(path.join(dir, 'ro'))
    chmodSync(dir, 0o755)
    chmodSync(path.join(dir, 'ro'), 0o555)
    // as root, permissions do not bind: run the CLI as nobody (setpriv), the way a user meets the folder
    const asRoot = process.getuid?.() === 0
    const run = (o: string, ...more: string[]) => {
      const args = [BIN, 'lifecycle', 'package', '-o', o, ...more]
      return spawnSync(
        asRoot ? 'setpriv' : process.execPath,
        asRoot ? ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, ...args] : args,
        {
          cwd: dir,
          encoding: 'utf8',
          env: {...process.env, CI: 'true', FABK8S_CODE_CACHE: 'off', HOME: tmpdir(), NO_COLOR: '1'},
        },
      )
    }

    for (const [o, file] of [
      [path.join('ro', 'x.tgz'), path.join(dir, 'ro', 'x.tgz')],
      [path.join('ro', 'sub', 'x.tgz'), path.join(dir, 'ro', 'sub', 'x.tgz')],
      ['ro', path.join(dir, 'ro', 'pk_2.0.tar.gz')],
    ]) {
      const r = run(o, '--json')
      expect(r.status, r.stderr).to.equal(4)
      expect(JSON.parse(r.stdout).error).to.include({
        code: 'FILESYSTEM',
        message: `-o/--output ${o}: cannot write ${file} (EACCES)`,
      })
    }

    const human = run(path.join('ro', 'x.tgz'))
    expect(human.status).to.equal(4)
    expect(human.stdout).to.equal('')
    expect(human.stderr.split('\n')[0]).to.equal(
      `Error: -o/--output ${path.join('ro', 'x.tgz')}: cannot write ${path.join(dir, 'ro', 'x.tgz')} (EACCES)`,
    )
    expect(readdirSync(path.join(dir, 'ro'))).to.deep.equal([])
  })

  it('a chaincode TLS file that is not what its field says: exit 3 naming the field and the file, no package written', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'fabk8s-pkgcmd-'))
    mkdirSync(path.join(dir, 'tls'))
    const files = await generateChaincodeTls(['pk.fabk8s.svc.cluster.local'])
    for (const f of ['client.crt', 'client.key'] as const) writeFileSync(path.join(dir, 'tls', f), files[f])
    writeFileSync(path.join(dir, 'tls', 'ca.crt'), 'garbage\n')
    writeFileSync(
      path.join(dir, 'fabk8s.yaml'),
      'name: pk\nversion: "2.0"\nchaincode:\n  address: pk.fabk8s.svc.cluster.local:9999\n  tls: {enabled: true, clientAuth: true}\n',
    )
    const caFile = path.join(dir, 'tls', 'ca.crt')
    const human = await runCli(['lifecycle', 'package', '-o', 'out'], {cwd: dir})
    expect(human.code, human.stderr).to.equal(3)
    expect(human.stdout).to.equal('')
    expect(human.stderr).to.contain(`chaincode.tls.rootCert: ${caFile} is not a PEM certificate`)
    const j = await runCli(['lifecycle', 'package', '--json', '-o', 'out'], {cwd: dir})
    expect(j.code, j.stderr).to.equal(3)
    expect(json<{error: {code: string; message: string}}>(j).error).to.include({
      code: 'PROJECT',
      message: `chaincode.tls.rootCert: ${caFile} is not a PEM certificate`,
    })
    expect(existsSync(path.join(dir, 'out'))).to.equal(false)
    // the client pair is checked too: a client certificate that is not the client key's
    writeFileSync(caFile, files['ca.crt'])
    writeFileSync(path.join(dir, 'tls', 'client.crt'), files['server.crt'])
    const m = await runCli(['lifecycle', 'package', '--json', '-o', 'out'], {cwd: dir})
    expect(m.code, m.stderr).to.equal(3)
    expect(json<{error: {message: string}}>(m).error.message).to.equal(
      `chaincode.tls.clientCert: ${path.join(dir, 'tls', 'client.crt')} does not match chaincode.tls.clientKey (${path.join(dir, 'tls', 'client.key')})`,
    )
    expect(existsSync(path.join(dir, 'out'))).to.equal(false)
  })

  it('an invalid --label is a usage error (exit 2), also an empty one', async () => {
    const r = await runCli(['lifecycle', 'package', '--label', 'bad label'], {cwd: project()})
    expect(r.code).to.equal(2)
    expect(r.stderr).to.match(/--label: "bad label" is not a valid chaincode label/)
    const empty = await runCli(['lifecycle', 'package', '--label', ''], {cwd: project()})
    expect(empty.code).to.equal(2)
    expect(empty.stderr).to.match(/^Error: --label: "" is not a valid chaincode label/)
  })

  it('a --package-id that is not <label>:<sha256> is a usage error naming the flag, before any network call', async () => {
    for (const args of [
      ['lifecycle', 'approve', '--package-id', 'nocolon'],
      ['status', '--package-id', 'kv_1.0:abc'],
    ]) {
      const r = await runCli([...args, '--json'], {cwd: project()})
      expect(r.code, r.stderr).to.equal(2)
      expect(json<{error: {message: string}}>(r).error.message).to.match(/^--package-id: ".*" is not a package ID/)
    }
  })

  it('an empty --package-id is no package ID either: approve would send it to the peers, status ignored it', async () => {
    for (const cmd of [['lifecycle', 'approve'], ['status']]) {
      const r = await runCli([...cmd, '--package-id', '', '--json'], {cwd: project()})
      expect(r.code, r.stderr).to.equal(2)
      expect(json<{error: {message: string}}>(r).error.message).to.match(/^--package-id: "" is not a package ID/)
    }
  })
})

describe('fabk8s lifecycle (no network section)', () => {
  for (const cmd of [['lifecycle', 'status'], ['lifecycle', 'install'], ['register']]) {
    it(`${cmd.join(' ')} says the network section is missing (exit 3) and how to write it`, async () => {
      const r = await runCli([...cmd, '--json'], {cwd: project()})
      expect(r.code).to.equal(3)
      const {error} = json<{error: {hint: string; message: string}}>(r)
      expect(error.message).to.match(/fabk8s.yaml has no `network` section/)
      expect(error.hint).to.match(/fabk8s network import/)
    })
  }
})
