import {expect} from 'chai'
import {type ChildProcess, execFile, spawn} from 'node:child_process'
import {existsSync, readFileSync} from 'node:fs'
import {chmod, mkdir, mkdtemp, readdir, readFile, stat, symlink, writeFile} from 'node:fs/promises'
import net from 'node:net'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {promisify} from 'node:util'

import {loadProject} from '../../src/lib/project/load.js'
import {BIN, json, ROOT, runCli} from '../support/cli.js'
import {buildNetwork, cleanup, dockerCmd, goBaseImage, nodeBaseImage, requireDocker, uniq} from '../support/docker.js'
import {snapshot} from '../support/tree.js'

const exec = promisify(execFile)

async function tmp(): Promise<string> {
  return mkdtemp(path.join(tmpdir(), 'fabk8s-init-'))
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer()
    s.listen(0, '127.0.0.1', () => {
      const {port} = s.address() as net.AddressInfo
      s.close(() => resolve(port))
    })
    s.on('error', reject)
  })
}

/** Resolves when something accepts TCP connections on the port; rejects if the process exits first. */
async function waitListening(child: ChildProcess, port: number, log: () => string): Promise<void> {
  let exited = false
  child.once('exit', () => (exited = true))
  for (let i = 0; i < 600; i++) {
    if (exited) throw new Error(`chaincode server exited before listening:\n${log()}`)
    const ok = await new Promise<boolean>((resolve) => {
      const sock = net.connect(port, '127.0.0.1')
      sock.once('connect', () => {
        sock.destroy()
        resolve(true)
      })
      sock.once('error', () => resolve(false))
    })
    if (ok) return
    await new Promise((r) => setTimeout(r, 100))
  }

  throw new Error(`chaincode server did not listen on ${port}:\n${log()}`)
}

/** Start the generated server, see it listen, then SIGTERM it and return how it exited. */
async function serveAndStop(
  cmd: string,
  args: string[],
  cwd: string,
): Promise<{code: null | number; signal: null | string}> {
  const port = await freePort()
  let out = ''
  const child = spawn(cmd, args, {
    cwd,
    env: {...process.env, CHAINCODE_ID: 'kv_1.0:0123abcd', CHAINCODE_SERVER_ADDRESS: `127.0.0.1:${port}`},
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  child.stdout!.on('data', (d) => (out += d))
  child.stderr!.on('data', (d) => (out += d))
  try {
    await waitListening(child, port, () => out)
  } catch (error) {
    child.kill('SIGKILL')
    throw error
  }

  const exit = new Promise<{code: null | number; signal: null | string}>((resolve) =>
    child.once('exit', (code, signal) => resolve({code, signal})),
  )
  child.kill('SIGTERM')
  return exit
}

/** The CLI as a child process the test can signal; `done` resolves with its exit code and output. */
function spawnCli(args: string[], env: NodeJS.ProcessEnv = {}) {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: {...process.env, CI: 'true', FORCE_COLOR: '0', NO_COLOR: '1', ...env},
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d) => (stdout += d))
  child.stderr.on('data', (d) => (stderr += d))
  let running = true
  const done = new Promise<{code: null | number; signal: null | string; stderr: string; stdout: string}>((resolve) =>
    child.once('close', (code, signal) => {
      running = false
      resolve({code, signal, stderr, stdout})
    }),
  )
  return {alive: () => running, child, done}
}

/** Poll until `cond` holds; gives up (failing the test) only if the state never comes, e.g. the run ended first. */
async function until(cond: () => Promise<boolean>, what: string, alive: () => boolean): Promise<void> {
  for (let i = 0; i < 6000; i++) {
    if (await cond()) return
    if (!alive()) throw new Error(`the run ended before ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }

  throw new Error(`never saw ${what}`)
}

/** Every file below dir whose name ends with `suffix` (entries that vanish meanwhile are skipped). */
async function findFiles(dir: string, suffix: string): Promise<string[]> {
  const out: string[] = []
  const entries = await readdir(dir, {recursive: true}).catch(() => [] as string[])
  for (const e of entries) if (e.endsWith(suffix)) out.push(path.join(dir, e))
  return out
}

const modeOf = async (p: string) => ((await stat(p)).mode & 0o777).toString(8)

/** A user's folder with work in it, some of it under names init writes. */
async function userFolder(x: string): Promise<void> {
  await mkdir(path.join(x, 'src'), {recursive: true})
  await writeFile(path.join(x, 'fabk8s.yaml'), 'name: old\n')
  await writeFile(path.join(x, 'README.md'), '# my notes\n')
  await chmod(path.join(x, 'README.md'), 0o640)
  await writeFile(path.join(x, 'src', 'asset.ts'), '// my contract\n')
  await writeFile(path.join(x, 'notes.txt'), 'keep me')
  await symlink('notes.txt', path.join(x, 'Dockerfile'))
}

describe('fabk8s init', () => {
  describe('bad input (one line, documented exit code, nothing written)', () => {
    it('unknown language → exit 2 naming --language', async () => {
      const dir = path.join(await tmp(), 'kv')
      const r = await runCli(['init', 'kv', '--language', 'cobol', '--yes', '--dir', dir])
      expect(r.code).to.equal(2)
      expect(r.stderr).to.match(/--language/)
      expect(existsSync(dir)).to.equal(false)
    })

    it('bad name → exit 2 naming NAME and the rule', async () => {
      const dir = path.join(await tmp(), 'x')
      const r = await runCli(['init', 'My_Chaincode', '--yes', '--dir', dir])
      expect(r.code).to.equal(2)
      expect(r.stderr).to.match(/^Error: NAME: "My_Chaincode" is not a valid chaincode name/m)
      expect(existsSync(dir)).to.equal(false)
      // a DNS-1123 name that Fabric refuses: init would write a fabk8s.yaml no command can load
      const dd = await runCli(['init', 'my--cc', '--yes', '--dir', dir])
      expect(dd.code).to.equal(2)
      expect(dd.stderr).to.match(/^Error: NAME: "my--cc" is not a valid chaincode name: .*single '-'/m)
      expect(existsSync(dir)).to.equal(false)
    })

    it('bad channel / namespace / port → exit 2 naming the flag', async () => {
      const base = await tmp()
      const ch = await runCli(['init', 'kv', '--yes', '--channel', 'Bad Channel', '--dir', path.join(base, 'a')])
      expect(ch.code).to.equal(2)
      expect(ch.stderr).to.match(/--channel: "Bad Channel"/)
      const ns = await runCli(['init', 'kv', '--yes', '--namespace', 'NS_1', '--dir', path.join(base, 'b')])
      expect(ns.stderr).to.match(/--namespace: "NS_1"/)
      const port = await runCli(['init', 'kv', '--yes', '--port', '70000', '--dir', path.join(base, 'c')])
      expect(port.code).to.equal(2)
      expect(port.stderr).to.match(/--port/)
      expect(await readdir(base)).to.deep.equal([])
    })

    it('existing non-empty folder → exit 4, nothing touched; --force writes', async () => {
      const dir = await tmp()
      await writeFile(path.join(dir, 'keep.txt'), 'mine')
      const r = await runCli(['init', 'kv', '--yes', '--dir', dir])
      expect(r.code).to.equal(4)
      expect(r.stderr).to.match(/--dir: .* is not empty/)
      expect(await readdir(dir)).to.deep.equal(['keep.txt'])
      const forced = await runCli(['init', 'kv', '--yes', '--force', '--dir', dir])
      expect(forced.code, forced.stderr).to.equal(0)
      expect(await readFile(path.join(dir, 'keep.txt'), 'utf8')).to.equal('mine')
      expect(existsSync(path.join(dir, 'fabk8s.yaml'))).to.equal(true)
    })

    it('missing NAME without a TTY → exit 2 naming NAME, no prompt', async () => {
      const cwd = await tmp()
      const r = await runCli(['init'], {cwd})
      expect(r.code).to.equal(2)
      expect(r.stderr).to.match(/missing NAME/)
      expect(await readdir(cwd)).to.deep.equal([])
    })

    it('errors are JSON under --json, with the same exit code', async () => {
      const r = await runCli(['init', 'Bad!', '--json'])
      expect(r.code).to.equal(2)
      expect(json<{error: {code: string; message: string}}>(r).error).to.include({code: 'USAGE'})
    })
  })

  it('--dry-run lists the files and writes nothing', async () => {
    const dir = path.join(await tmp(), 'kv')
    const r = await runCli(['init', 'kv', '--yes', '--dry-run', '--dir', dir, '--json'])
    expect(r.code, r.stderr).to.equal(0)
    const out = json<{dryRun: boolean; files: {path: string}[]}>(r)
    expect(out.dryRun).to.equal(true)
    expect(out.files.map((f) => f.path)).to.include.members([
      'fabk8s.yaml',
      'Dockerfile',
      'src/asset.ts',
      'src/server.ts',
      '.dockerignore',
    ])
    expect(existsSync(dir)).to.equal(false)
  })

  it('the next steps it prints describe the network before `fabk8s up` (without it up skips register)', async () => {
    const dir = path.join(await tmp(), 'kv')
    const r = await runCli(['init', 'kv', '--yes', '--dir', dir])
    expect(r.code, r.stderr).to.equal(0)
    const next = r.stdout.slice(r.stdout.indexOf('Next:'))
    expect(next).to.match(/fabk8s network import [^\n]*\n[^\n]*fabk8s up/)
  })

  it('writes a project whose fabk8s.yaml loads with the answers', async () => {
    const dir = path.join(await tmp(), 'kv')
    const r = await runCli([
      'init',
      'kv',
      '--yes',
      '--dir',
      dir,
      '--namespace',
      'chaincode',
      '--port',
      '7777',
      '--cluster',
      'dev',
      '--tls',
    ])
    expect(r.code, r.stderr).to.equal(0)
    const p = await loadProject(path.join(dir, 'fabk8s.yaml'), {})
    expect(p).to.include({image: 'kv:1.0', label: 'kv_1.0', language: 'typescript', name: 'kv'})
    expect(p.chaincode.address).to.equal('kv.chaincode.svc.cluster.local:7777')
    expect(p.kind.cluster).to.equal('dev')
    expect(p.chaincode.tls.enabled).to.equal(true)
    const {stdout} = await exec('openssl', [
      'verify',
      '-CAfile',
      p.chaincode.tls.rootCert,
      p.chaincode.tls.cert,
      p.chaincode.tls.clientCert,
    ])
    expect(stdout).to.match(/server\.crt: OK/)
    const {stdout: text} = await exec('openssl', [
      'x509',
      '-in',
      p.chaincode.tls.cert,
      '-noout',
      '-ext',
      'subjectAltName',
    ])
    expect(text).to.include('DNS:kv.chaincode.svc.cluster.local')
    expect(await readFile(path.join(dir, 'Dockerfile'), 'utf8'))
      .to.match(/ARG BASE_IMAGE=/)
      .and.match(/USER 10001/)
      .and.match(/EXPOSE 7777/)
  })

  describe('generated projects build, test and serve @integration', function () {
    this.timeout(600_000)

    for (const language of ['typescript', 'javascript'] as const) {
      it(`${language}: npm install && npm test pass; the server listens and stops on SIGTERM`, async () => {
        const dir = path.join(await tmp(), 'kv')
        const r = await runCli(['init', 'kv', '--language', language, '--yes', '--dir', dir])
        expect(r.code, r.stderr).to.equal(0)
        await exec('npm', ['install', '--no-audit', '--no-fund'], {cwd: dir, maxBuffer: 1 << 26})
        const test = await exec('npm', ['test'], {cwd: dir, maxBuffer: 1 << 26})
        expect(test.stdout)
          .to.match(/# pass 6/)
          .and.match(/# fail 0/)
        const main = language === 'typescript' ? 'dist/src/server.js' : 'lib/server.js'
        const exit = await serveAndStop(process.execPath, [main], dir)
        // handled: exit code 0, not killed by the signal (a PID-1 server without a handler ignores SIGTERM)
        expect(exit).to.deep.equal({code: 0, signal: null})
      })
    }

    it('go: go test ./... passes; the server listens and stops on SIGTERM', async function () {
      try {
        await exec('go', ['version'])
      } catch {
        console.log('      skipped: no go toolchain on PATH')
        this.skip()
      }

      const dir = path.join(await tmp(), 'kv')
      const r = await runCli(['init', 'kv', '--language', 'go', '--yes', '--dir', dir])
      expect(r.code, r.stderr).to.equal(0)
      const test = await exec('go', ['test', './...'], {cwd: dir, maxBuffer: 1 << 26})
      expect(test.stdout).to.match(/^ok\s+kv\/chaincode/m)
      await exec('go', ['build', '-o', 'kv-server', '.'], {cwd: dir, env: {...process.env, CGO_ENABLED: '0'}})
      const exit = await serveAndStop(path.join(dir, 'kv-server'), [], dir)
      expect(exit).to.deep.equal({code: 0, signal: null})
    })

    it('typescript with --tls: the server speaks TLS with the generated certificate', async () => {
      const dir = path.join(await tmp(), 'kv')
      const r = await runCli(['init', 'kv', '--yes', '--tls', '--dir', dir])
      expect(r.code, r.stderr).to.equal(0)
      await exec('npm', ['install', '--no-audit', '--no-fund'], {cwd: dir, maxBuffer: 1 << 26})
      await exec('npm', ['run', 'build'], {cwd: dir})
      const port = await freePort()
      const child = spawn(process.execPath, ['dist/src/server.js'], {
        cwd: dir,
        env: {
          ...process.env,
          CHAINCODE_ID: 'kv_1.0:0123abcd',
          CHAINCODE_SERVER_ADDRESS: `127.0.0.1:${port}`,
          CHAINCODE_TLS_CERT: 'tls/server.crt',
          CHAINCODE_TLS_KEY: 'tls/server.key',
        },
        stdio: 'ignore',
      })
      try {
        await waitListening(child, port, () => '')
        const tls = await import('node:tls')
        const ca = await readFile(path.join(dir, 'tls', 'ca.crt'))
        const authorized = await new Promise<boolean>((resolve, reject) => {
          const s = tls.connect({ALPNProtocols: ['h2'], ca, host: '127.0.0.1', port, servername: 'localhost'}, () => {
            resolve(s.authorized)
            s.destroy()
          })
          s.once('error', reject)
        })
        expect(authorized).to.equal(true)
      } finally {
        child.kill('SIGKILL')
      }
    })
  })

  it('finds templates when run from another folder', async () => {
    const cwd = await tmp()
    await mkdir(path.join(cwd, 'sub'))
    const r = await runCli(['init', 'abc', '--yes', '--language', 'go'], {cwd: path.join(cwd, 'sub')})
    expect(r.code, r.stderr).to.equal(0)
    expect(existsSync(path.join(cwd, 'sub', 'abc', 'go.sum'))).to.equal(true)
  })

  describe('--force never loses, escapes or leaves anything (issue 12, items 1-4)', function () {
    this.timeout(180_000)

    it('item 1: a folder named like a generated file survives; the clash is exit 4 naming its path', async () => {
      const base = await tmp()
      const x = path.join(base, 'x')
      await mkdir(path.join(x, 'Dockerfile', 'sub'), {recursive: true})
      await writeFile(path.join(x, 'Dockerfile', 'sub', 'notes.txt'), 'work')
      const before = await snapshot(base)
      const r = await runCli(['init', 'x', '--yes', '--force', '--dir', x])
      expect(r.code, r.stderr).to.equal(4)
      expect(r.stderr).to.include(`${path.join(x, 'Dockerfile')} is a folder where init writes the file Dockerfile`)
      expect(r.stderr).to.match(/nothing was written/)
      expect(await snapshot(base)).to.deep.equal(before)
      expect(await readFile(path.join(x, 'Dockerfile', 'sub', 'notes.txt'), 'utf8')).to.equal('work')
    })

    it('item 2: a symlinked subfolder is never followed out of the target (exit 4 naming the link)', async () => {
      const base = await tmp()
      const out = path.join(base, 'out')
      const x = path.join(base, 'x')
      await mkdir(out)
      await mkdir(x)
      await symlink(out, path.join(x, 'src'))
      await writeFile(path.join(out, 'index.ts'), 'mine')
      const before = await snapshot(base)
      const r = await runCli(['init', 'x', '--yes', '--force', '--dir', x])
      expect(r.code, r.stderr).to.equal(4)
      expect(r.stderr).to.include(`${path.join(x, 'src')} is a symbolic link where init writes the folder src`)
      expect(await snapshot(base)).to.deep.equal(before)
    })

    it('item 3: Ctrl-C (a real SIGINT) mid-write with --force puts every file back exactly; exit 130', async () => {
      const base = await tmp()
      const x = path.join(base, 'x')
      await userFolder(x)
      const before = await snapshot(base)
      const run = spawnCli(['init', 'kv', '--yes', '--force', '--tls', '--dir', x], {FABK8S_TEST_WRITE_DELAY_MS: '150'})
      // mid-write: the user's README.md has been replaced by the generated one, later files are still to come
      await until(
        async () => (await readFile(path.join(x, 'README.md'), 'utf8').catch(() => '')).startsWith('# kv'),
        'README.md replaced',
        run.alive,
      )
      run.child.kill('SIGINT')
      const r = await run.done
      expect(r.code, r.stderr).to.equal(130)
      expect(r.stderr).to.include(`interrupted (SIGINT): nothing was changed in ${x}`)
      expect(await snapshot(base)).to.deep.equal(before)
    })

    it('item 3: Ctrl-C while a new project is staged removes it and the folders it made; keys were 0600 in 0700 folders inside the target', async () => {
      const base = await tmp()
      const x = path.join(base, 'a', 'b', 'kv')
      const before = await snapshot(base)
      const run = spawnCli(['init', 'kv', '--yes', '--tls', '--dir', x], {FABK8S_TEST_WRITE_DELAY_MS: '150'})
      let key = ''
      await until(
        async () => {
          key = (await findFiles(base, '.key'))[0] ?? ''
          return key !== ''
        },
        'a key file',
        run.alive,
      )
      // the key is private from its first moment, in a private staging folder inside the target
      const keyMode = await modeOf(key)
      const staging = path.dirname(path.dirname(key))
      expect(path.dirname(staging)).to.equal(x)
      expect(path.basename(staging)).to.match(/^\.fabk8s-init-/)
      expect(keyMode).to.equal('600')
      expect(await modeOf(path.dirname(key))).to.equal('700')
      expect(await modeOf(staging)).to.equal('700')
      run.child.kill('SIGINT')
      const r = await run.done
      expect(r.code, r.stderr).to.equal(130)
      expect(r.stderr).to.include(`${x} was not created`)
      expect(await snapshot(base)).to.deep.equal(before)
    })

    it('item 3: a failure mid-write (--force) restores every file; the message says so and is true', async () => {
      const base = await tmp()
      const x = path.join(base, 'x')
      await userFolder(x)
      const before = await snapshot(base)
      const r = await runCli(['init', 'kv', '--yes', '--force', '--tls', '--dir', x], {
        env: {FABK8S_TEST_WRITE_FAIL_AT: '12'},
      })
      expect(r.code, r.stderr).to.equal(4)
      expect(r.stderr).to.match(new RegExp(`cannot write into ${x}: EIO .*; nothing was changed in ${x}`))
      expect(await snapshot(base)).to.deep.equal(before)
    })

    it('item 3: a real failure mid-write (src/ on another filesystem: EXDEV) puts every file back', async function () {
      // the run gets its own mount namespace with a tmpfs on x/src (needs root with mount rights)
      const base = await tmp()
      const x = path.join(base, 'x')
      await userFolder(x)
      const script = [
        'set -u',
        `X='${x}'`,
        `mount -t tmpfs tmpfs "$X/src" || exit 99`,
        `printf '// my contract\\n' > "$X/src/asset.ts"`,
        `snap() { cd "$X" && find . -type d -printf '%p d %m\\n' | sort && find . ! -type d -printf '%p %y %m %T@ %l\\n' | sort && find . -type f -exec sha256sum {} + | sort; }`,
        'before=$(snap)',
        `"${process.execPath}" "${BIN}" init kv --yes --force --tls --dir "$X" 2>&1`,
        'echo "exit=$?"',
        'after=$(snap)',
        `[ "$before" = "$after" ] && echo same || printf 'changed\\n--- before\\n%s\\n--- after\\n%s\\n' "$before" "$after"`,
      ].join('\n')
      const r = await new Promise<{code: null | number; out: string}>((resolve) => {
        const child = spawn('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script], {
          env: {...process.env, CI: 'true', NO_COLOR: '1'},
        })
        let out = ''
        child.stdout.on('data', (d) => (out += d))
        child.stderr.on('data', (d) => (out += d))
        child.on('error', (error) => resolve({code: -1, out: String(error)}))
        child.on('close', (code) => resolve({code, out}))
      })
      if (r.code === 99 || r.code === -1 || /unshare: .*(Operation not permitted|not found)/.test(r.out)) {
        console.log(
          `      skipped: cannot mount a tmpfs in a new mount namespace here (${r.out.trim().split('\n')[0]})`,
        )
        this.skip()
      }

      expect(r.out).to.match(/cannot write into .*: EXDEV\b/)
      expect(r.out).to.include(`nothing was changed in ${x}`)
      expect(r.out).to.include('exit=4')
      expect(r.out.trim().split('\n').at(-1), r.out).to.equal('same')
    })

    it('item 3: a failed new project leaves no folder behind, its parents included', async () => {
      const base = await tmp()
      const x = path.join(base, 'a', 'b', 'kv')
      const r = await runCli(['init', 'kv', '--yes', '--dir', x], {env: {FABK8S_TEST_WRITE_FAIL_AT: '3'}})
      expect(r.code, r.stderr).to.equal(4)
      expect(r.stderr).to.include(`${x} was not created`)
      expect(await readdir(base)).to.deep.equal([])
    })

    it('--force still replaces files and keeps the rest; a link to a file is replaced, its target untouched', async () => {
      const base = await tmp()
      const x = path.join(base, 'x')
      await userFolder(x)
      const r = await runCli(['init', 'kv', '--yes', '--force', '--dir', x])
      expect(r.code, r.stderr).to.equal(0)
      expect(await readFile(path.join(x, 'notes.txt'), 'utf8')).to.equal('keep me')
      expect(await readFile(path.join(x, 'Dockerfile'), 'utf8')).to.match(/ARG BASE_IMAGE/)
      expect(await readFile(path.join(x, 'src', 'asset.ts'), 'utf8')).to.not.include('my contract')
      expect((await readdir(x)).filter((e) => e.startsWith('.fabk8s'))).to.deep.equal([])
    })

    for (const language of ['typescript', 'javascript', 'go', 'java']) {
      it(`item 4 (${language}): keys are 0600 in a 0700 tls folder, and git never takes them (generated .gitignore)`, async () => {
        const base = await tmp()
        const x = path.join(base, 'kv')
        const r = await runCli(['init', 'kv', '--yes', '--tls', '--language', language, '--dir', x])
        expect(r.code, r.stderr).to.equal(0)
        expect(await modeOf(path.join(x, 'tls'))).to.equal('700')
        for (const k of ['ca.key', 'server.key', 'client.key'])
          expect(await modeOf(path.join(x, 'tls', k)), k).to.equal('600')
        expect(await modeOf(path.join(x, 'tls', 'ca.crt'))).to.equal('644')
        expect(await readdir(base)).to.deep.equal(['kv'])
        await exec('git', ['init', '-q'], {cwd: x})
        await exec('git', ['add', '-A'], {cwd: x})
        const {stdout} = await exec('git', ['ls-files'], {cwd: x})
        const tracked = stdout.split('\n').filter(Boolean)
        expect(tracked).to.include.members(['tls/ca.crt', 'tls/server.crt', 'fabk8s.yaml', '.gitignore'])
        expect(tracked.filter((f) => f.endsWith('.key'))).to.deep.equal([])
        // nor does the image's build context (the .dockerignore)
        const ignore = await readFile(path.join(x, '.dockerignore'), 'utf8')
        for (const line of ['**/*.key', '**/*_sk', '**/keystore', '.env'])
          expect(ignore.split('\n'), line).to.include(line)
      })
    }
  })

  describe('--address and --node-port: peers outside the cluster dial a NodePort', () => {
    it('writes chaincode.address and a NodePort service; with --tls the server certificate names the address host', async () => {
      const dir = path.join(await tmp(), 'kv')
      const r = await runCli([
        'init',
        'kv',
        '--yes',
        '--tls',
        '--address',
        '192.0.2.10:30999',
        '--node-port',
        '30999',
        '--dir',
        dir,
      ])
      expect(r.code, r.stderr).to.equal(0)
      const p = await loadProject(path.join(dir, 'fabk8s.yaml'), {})
      expect(p.chaincode.address).to.equal('192.0.2.10:30999')
      expect(p.chaincode.service).to.deep.equal({nodePort: 30_999, type: 'NodePort'})
      const {stdout} = await exec('openssl', ['x509', '-in', p.chaincode.tls.cert, '-noout', '-ext', 'subjectAltName'])
      expect(stdout).to.include('IP Address:192.0.2.10').and.include('DNS:kv.fabk8s.svc.cluster.local')
      const host = await runCli([
        'init',
        'kv',
        '--yes',
        '--tls',
        '--address',
        'cc.example.com:7052',
        '--dir',
        path.join(await tmp(), 'kv'),
      ])
      expect(host.code, host.stderr).to.equal(0)
    })

    it("an --address with the ccaas builder's {{.peername}} is written quoted, so fabk8s.yaml stays valid YAML", async () => {
      const dir = path.join(await tmp(), 'kv')
      const address = '{{.peername}}-kv.fabk8s.svc.cluster.local:9999'
      const r = await runCli(['init', 'kv', '--yes', '--address', address, '--dir', dir])
      expect(r.code, r.stderr).to.equal(0)
      const text = readFileSync(path.join(dir, 'fabk8s.yaml'), 'utf8')
      expect(text).to.include(`  address: "${address}"`)
      const {parse} = await import('yaml')
      expect(parse(text).chaincode.address).to.equal(address)

      // with --tls, a wildcard for the templated first label covers every peer's host
      const tlsDir = path.join(await tmp(), 'kv')
      const t = await runCli(['init', 'kv', '--yes', '--tls', '--address', address, '--dir', tlsDir])
      expect(t.code, t.stderr).to.equal(0)
      const crt = path.join(tlsDir, 'tls', 'server.crt')
      const {stdout} = await exec('openssl', ['x509', '-in', crt, '-noout', '-ext', 'subjectAltName'])
      expect(stdout).to.include('DNS:*.fabk8s.svc.cluster.local').and.not.include('{{')
    })

    it('bad values and --node-port without --address are exit 2 naming the flag', async () => {
      const cases: [string[], RegExp][] = [
        [['--address', 'nohost'], /--address: "nohost" must be host:port with a port 1-65535/],
        [['--address', 'h:0'], /--address: "h:0" must be host:port with a port 1-65535/],
        [['--address', 'h:1', '--node-port', '80'], /--node-port: "80" is not a node port \(30000-32767\)/],
        [['--node-port', '30999'], /--node-port needs --address HOST:PORT/],
      ]
      for (const [flags, re] of cases) {
        const dir = path.join(await tmp(), 'kv')
        const r = await runCli(['init', 'kv', '--yes', ...flags, '--dir', dir])
        expect(r.code, flags.join(' ')).to.equal(2)
        expect(r.stderr, flags.join(' ')).to.match(re)
        expect(existsSync(dir)).to.equal(false)
      }
    })
  })

  describe('flags (issue 12, item 13 and 14)', () => {
    it('--port 0 / 99999 / abc name the flag and the valid range (exit 2)', async () => {
      for (const v of ['0', '99999', 'abc']) {
        const dir = path.join(await tmp(), 'kv')
        const r = await runCli(['init', 'kv', '--yes', '--port', v, '--dir', dir])
        expect(r.code, v).to.equal(2)
        expect(r.stderr).to.include(`--port: "${v}" is not a port number (1-65535)`)
        expect(existsSync(dir)).to.equal(false)
      }
    })

    it('a version that cannot be an image tag is refused naming --chaincode-version (exit 2)', async () => {
      const dir = path.join(await tmp(), 'kv')
      const r = await runCli(['init', 'kv', '--yes', '--chaincode-version', '1.0+build.7', '--dir', dir])
      expect(r.code).to.equal(2)
      expect(r.stderr).to.match(/--chaincode-version: "1\.0\+build\.7" cannot be an image tag/)
      expect(existsSync(dir)).to.equal(false)
    })

    it('control characters in a flag value are escaped in the message', async () => {
      const r = await runCli(['init', 'kv\u001B[2J', '--yes', '--dir', path.join(await tmp(), 'kv')])
      expect(r.code).to.equal(2)
      expect(r.stderr).to.include(String.raw`"kv\u001b[2J" is not a valid chaincode name`)
      // eslint-disable-next-line no-control-regex
      expect(r.stderr).to.not.match(/\u001B/)
    })
  })

  describe('every language scaffolds an image that builds and serves as UID 10001 @integration (real Docker engine; issue 18)', function () {
    this.timeout(1_500_000)
    const containers: string[] = []
    const images: string[] = []

    before(async function () {
      await requireDocker(this)
    })

    after(async () => {
      await cleanup({containers, images})
    })

    for (const language of ['typescript', 'javascript', 'go'] as const) {
      it(`${language}: multi-stage Dockerfile with ARG BASE_IMAGE and .dockerignore; fabk8s build makes an image whose server listens on its port as UID 10001 and stops on SIGTERM`, async () => {
        const dir = path.join(await tmp(), 'kv')
        const init = await runCli(['init', 'kv', '--language', language, '--port', '7051', '--yes', '--dir', dir])
        expect(init.code, init.stderr).to.equal(0)
        const dockerfile = await readFile(path.join(dir, 'Dockerfile'), 'utf8')
        expect(dockerfile).to.match(/^ARG BASE_IMAGE=/m)
        expect(dockerfile.match(/^FROM /gm), 'stages').to.have.length.at.least(2)
        expect(dockerfile).to.match(/^USER 10001:10001$/m)
        expect(existsSync(path.join(dir, '.dockerignore'))).to.equal(true)

        const base = language === 'go' ? await goBaseImage() : await nodeBaseImage()
        const probeImage = await nodeBaseImage()
        const tag = `fabk8s-test/scaffold-${language}-${uniq()}:1.0`
        images.push(tag)
        const network = await buildNetwork()
        const build = await runCli(
          [
            'build',
            '-p',
            dir,
            '--base-image',
            base,
            '--tag',
            tag,
            '--json',
            ...(network ? ['--network', network] : []),
          ],
          {timeoutMs: 1_200_000},
        )
        expect(build.code, build.stdout + build.stderr).to.equal(0)
        const user = await dockerCmd(['image', 'inspect', '--format', '{{.Config.User}}', tag])
        expect(user.stdout.trim()).to.equal('10001:10001')

        const name = `fabk8s-test-scaffold-${language}-${uniq()}`
        containers.push(name)
        const run = await dockerCmd(['run', '-d', '--name', name, '-e', `CHAINCODE_ID=kv_1.0:${'0'.repeat(64)}`, tag])
        expect(run.code, run.stderr).to.equal(0)
        // a probe container in the server's network and PID namespaces: connect to the port the Dockerfile set,
        // then read the uid of the server (PID 1)
        const probe = `require('net').connect(7051, '127.0.0.1').on('connect', () => { process.stdout.write(require('fs').readFileSync('/proc/1/status', 'utf8')); process.exit(0) }).on('error', () => process.exit(1))`
        let status = ''
        for (let i = 0; i < 300 && !status; i++) {
          const state = await dockerCmd(['inspect', '--format', '{{.State.Running}}', name])
          if (state.stdout.trim() !== 'true') break
          const r = await dockerCmd([
            'run',
            '--rm',
            '--network',
            `container:${name}`,
            '--pid',
            `container:${name}`,
            probeImage,
            'node',
            '-e',
            probe,
          ])
          if (r.code === 0) status = r.stdout
          else await new Promise((res) => setTimeout(res, 200))
        }

        const logs = await dockerCmd(['logs', name])
        expect(status, `the ${language} server did not listen on 7051:\n${logs.stdout}${logs.stderr}`).to.not.equal('')
        expect(/^Uid:\s+(\d+)/m.exec(status)?.[1], status).to.equal('10001')
        const stop = await dockerCmd(['stop', '-t', '30', name])
        expect(stop.code, stop.stderr).to.equal(0)
        const exit = await dockerCmd(['inspect', '--format', '{{.State.ExitCode}}', name])
        expect(exit.stdout.trim(), 'exit code after SIGTERM').to.equal('0')
      })
    }
  })
})
