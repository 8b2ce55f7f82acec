/**
 * The local runner's parts: compiler output → errors with file and line, the chaincode environment, the start
 * script, child process groups and their leftovers. The runner as a whole (real tsc --watch, node, go build) is
 * tested through `fabk8s dev` with the bed's peers: test/commands/dev.test.ts.
 */
import {expect} from 'chai'
import {spawn, spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {type AddressInfo, createServer} from 'node:net'
import {homedir, tmpdir} from 'node:os'
import path from 'node:path'

import type {RunnerEvent} from '../../../src/lib/dev/local/events.js'
import type {ProjectConfig} from '../../../src/lib/project/schema.js'

import {localEnv} from '../../../src/lib/dev/local/env.js'
import {parseGoErrors, parseJavaErrors, parseNodeCheck, parseTscErrors} from '../../../src/lib/dev/local/errors.js'
import {
  childPids,
  startProc,
  stateFile,
  stopLeftovers,
  waitListening,
  which,
} from '../../../src/lib/dev/local/process.js'
import {createRunner, nodeEntry} from '../../../src/lib/dev/local/runner.js'
import {formatEvent} from '../../../src/lib/dev/view.js'
import {loadProject} from '../../../src/lib/project/load.js'
import {runCli} from '../../support/cli.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('dev local runner', () => {
  describe('errors with file and line', () => {
    it('tsc --pretty false', () => {
      const out = [
        "src/asset.ts(12,5): error TS2304: Cannot find name 'nope'.",
        '  a continuation line',
        "/abs/other.ts(1,1): error TS1005: ';' expected.",
      ].join('\n')
      expect(parseTscErrors(out, '/proj')).to.deep.equal([
        {column: 5, file: 'src/asset.ts', line: 12, message: "TS2304: Cannot find name 'nope'."},
        {column: 1, file: '/abs/other.ts', line: 1, message: "TS1005: ';' expected."},
      ])
    })

    it('go build', () => {
      const out = '# kv/chaincode\n./chaincode/asset.go:44:15: undefined: nope\nchaincode/x.go:3: syntax error'
      expect(parseGoErrors(out, '/proj')).to.deep.equal([
        {column: 15, file: 'chaincode/asset.go', line: 44, message: 'undefined: nope'},
        {column: undefined, file: 'chaincode/x.go', line: 3, message: 'syntax error'},
      ])
    })

    it('maven compile (each error once, with the symbol; colour codes ignored)', () => {
      const out = [
        '\u001B[0m\u001B[0m[ERROR] COMPILATION ERROR : ',
        '[ERROR] /proj/src/main/java/chaincode/AssetContract.java:[51,58] cannot find symbol',
        '  symbol:   variable noSuchName42',
        '  location: class chaincode.AssetContract',
        '[ERROR] Failed to execute goal org.apache.maven.plugins:maven-compiler-plugin:3.13.0:compile',
        '[ERROR] /proj/src/main/java/chaincode/AssetContract.java:[51,58] cannot find symbol',
        '[ERROR]   symbol:   variable noSuchName42',
        "[ERROR] /proj/src/main/java/chaincode/Server.java:[3,1] ';' expected",
      ].join('\n')
      expect(parseJavaErrors(out, '/proj')).to.deep.equal([
        {
          column: 58,
          file: 'src/main/java/chaincode/AssetContract.java',
          line: 51,
          message: 'cannot find symbol: variable noSuchName42',
        },
        {column: 1, file: 'src/main/java/chaincode/Server.java', line: 3, message: "';' expected"},
      ])
    })

    it('node --check, from a real syntax error', () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'fabk8s-check-'))
      try {
        writeFileSync(path.join(dir, 'bad.js'), "'use strict'\nconst a = 1\nconst b = (a))\n")
        const r = spawnSync(process.execPath, ['--check', 'bad.js'], {cwd: dir, encoding: 'utf8'})
        expect(r.status).to.equal(1)
        const [e] = parseNodeCheck(r.stderr, dir)
        expect(e).to.include({file: 'bad.js', line: 3})
        expect(e.message).to.match(/^SyntaxError: Unexpected token/)
      } finally {
        rmSync(dir, {force: true, recursive: true})
      }
    })

    it('events read as lines: a failed build lists file:line:column and the message', () => {
      const lines = formatEvent({
        errors: [{column: 5, file: 'src/asset.ts', line: 12, message: 'TS2304: x'}],
        output: '',
        seconds: 0.5,
        type: 'build-failed',
      })
      expect(lines).to.deep.equal([
        'build failed after 0.50s; the previous chaincode keeps running:',
        '  ✖ src/asset.ts:12:5 TS2304: x',
      ])
      expect(
        formatEvent({buildSeconds: 0.4, first: false, pid: 7, seconds: 1.2, startSeconds: 0.8, type: 'restarted'}),
      ).to.deep.equal(['restarted in 1.20s (build 0.40s, start 0.80s), pid 7'])
    })
  })

  describe('environment and start script', () => {
    let dir: string

    before(async () => {
      dir = mkdtempSync(path.join(tmpdir(), 'fabk8s-env-'))
      const r = await runCli([
        'init',
        'kv',
        '--language',
        'javascript',
        '--tls',
        '--dir',
        path.join(dir, 'kv'),
        '--yes',
      ])
      expect(r.code, r.stderr).to.equal(0)
    })

    after(() => rmSync(dir, {force: true, recursive: true}))

    it('the pod’s variables, listening on loopback, TLS files from fabk8s.yaml, no HOME override', async () => {
      const p = await loadProject(path.join(dir, 'kv', 'fabk8s.yaml'))
      const env = localEnv(p, 'kv_1.0:abc', {host: '127.0.0.1', port: 4321})
      expect(env).to.include({
        CHAINCODE_ID: 'kv_1.0:abc',
        CHAINCODE_SERVER_ADDRESS: '127.0.0.1:4321',
        CORE_CHAINCODE_ADDRESS: '127.0.0.1:4321',
        CORE_CHAINCODE_TLS_CERT_FILE: p.chaincode.tls.cert,
        CORE_CHAINCODE_TLS_KEY_FILE: p.chaincode.tls.key,
        CORE_PEER_TLS_ROOTCERT_FILE: p.chaincode.tls.rootCert,
      })
      expect(env).to.not.have.property('HOME')
      // as the pod it stands in for: the peer's org when network lists one org (shim.GetMSPID()), else none
      expect(env).to.not.have.property('CORE_PEER_LOCALMSPID')
      const org = {mspId: 'Org1MSP', mspPath: '/msp', peers: []}
      const oneOrg = {...p, network: {channel: 'mychannel', orderer: p.network?.orderer, orgs: [org]}} as typeof p
      expect(localEnv(oneOrg, 'kv_1.0:abc', {host: '127.0.0.1', port: 4321})).to.include({
        CORE_PEER_LOCALMSPID: 'Org1MSP',
      })
      for (const f of [env.CORE_CHAINCODE_TLS_CERT_FILE, env.CHAINCODE_TLS_KEY]) expect(existsSync(f), f).to.equal(true)
    })

    it('nodeEntry reads `node FILE` (with flags) or `fabric-chaincode-node server`, else says what it needs', () => {
      const pkg = path.join(dir, 'kv', 'package.json')
      const orig = readFileSync(pkg, 'utf8')
      try {
        expect(nodeEntry(path.join(dir, 'kv'))).to.deep.equal({args: [], flags: [], script: 'lib/server.js'})
        const set = (start: string) => writeFileSync(pkg, JSON.stringify({...JSON.parse(orig), scripts: {start}}))
        set('node --enable-source-maps dist/server.js --x 1')
        expect(nodeEntry(path.join(dir, 'kv'))).to.deep.equal({
          args: ['--x', '1'],
          flags: ['--enable-source-maps'],
          script: 'dist/server.js',
        })
        set('fabric-chaincode-node server --chaincode-address 0.0.0.0:9999')
        expect(nodeEntry(path.join(dir, 'kv')).script).to.equal(path.join('node_modules', 'fabric-shim', 'cli.js'))
        set('ts-node src/server.ts')
        expect(() => nodeEntry(path.join(dir, 'kv'))).to.throw(/scripts\.start is "ts-node src\/server\.ts"/)
      } finally {
        writeFileSync(pkg, orig)
      }
    })
  })

  describe('child process groups', () => {
    let dir: string

    before(() => {
      dir = mkdtempSync(path.join(tmpdir(), 'fabk8s-proc-'))
    })

    after(() => rmSync(dir, {force: true, recursive: true}))

    it('stop() ends the whole group, children of the child too', async () => {
      const state = stateFile(dir)
      const p = startProc('sh', ['-c', 'sleep 300 & sleep 300'], {cwd: dir, env: process.env, onLine() {}, state})
      await sleep(200)
      const pids = spawnSync('pgrep', ['-g', String(p.pid)], {encoding: 'utf8'})
        .stdout.trim()
        .split('\n')
      expect(pids.length).to.be.greaterThan(1)
      await p.stop(500)
      // zombies (stat Z) have ended: they wait for PID 1 to reap them, which not every container's init does at once
      const left = spawnSync('ps', ['-o', 'pid=,stat=,comm=', '-g', String(p.pid)], {encoding: 'utf8'})
        .stdout.split('\n')
        .filter((l) => l.trim() && !/^\s*\d+\s+Z/.test(l))
      expect(left, 'no live process left in the group').to.deep.equal([])
      expect(existsSync(state)).to.equal(false)
    })

    it('stopLeftovers stops what a session that was killed left running (recorded in the state file)', async () => {
      const state = stateFile(dir)
      // a session in another process that gets SIGKILLed while its chaincode runs
      const script = `
        import {startProc} from ${JSON.stringify(new URL('../../../src/lib/dev/local/process.ts', import.meta.url).pathname)}
        const p = startProc('sleep', ['300'], {cwd: ${JSON.stringify(dir)}, env: process.env, onLine() {}, state: ${JSON.stringify(state)}})
        console.log(p.pid)
        setInterval(() => {}, 1000)`
      const session = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        stdio: ['ignore', 'pipe', 'inherit'],
      })
      const pid = await new Promise<number>((resolve) => {
        session.stdout.once('data', (d) => resolve(Number(String(d).trim())))
      })
      session.kill('SIGKILL')
      await new Promise((r) => session.on('exit', r))
      expect(() => process.kill(pid, 0), 'the orphan runs').to.not.throw()
      const stopped = await stopLeftovers(state)
      expect(stopped).to.deep.equal([`sleep (process group ${pid})`])
      await sleep(100)
      expect(() => process.kill(pid, 0), 'the orphan is gone').to.throw()
    })

    it('waitListening fails fast when the process exits first', async () => {
      const p = startProc('sh', ['-c', 'exit 3'], {cwd: dir, env: process.env, onLine() {}})
      const err = await waitListening(1, {exited: p.exited, timeoutMs: 10_000}).catch((error: Error) => error)
      expect(String(err)).to.match(/exited before it listened/)
    })
  })

  describe('Go under Delve', () => {
    let dir: string

    before(function () {
      const gopath = process.env.GOPATH || path.join(homedir(), 'go')
      if (!which(['go']) || !which(['dlv'], [path.join(gopath, 'bin')])) {
        console.log('      skipped: needs go and Delve (dlv) installed')
        this.skip()
      }

      dir = mkdtempSync(path.join(tmpdir(), 'fabk8s-dlv-'))
      writeFileSync(path.join(dir, 'go.mod'), 'module dlvtest\n\ngo 1.22\n')
      // the smallest chaincode stand-in: listens where the pod's variable says, like the shim's server
      writeFileSync(
        path.join(dir, 'main.go'),
        `package main

import (
\t"net"
\t"os"
)

func main() {
\tl, err := net.Listen("tcp", os.Getenv("CHAINCODE_SERVER_ADDRESS"))
\tif err != nil {
\t\tpanic(err)
\t}
\tfor {
\t\tc, err := l.Accept()
\t\tif err != nil {
\t\t\treturn
\t\t}
\t\tc.Close()
\t}
}
`,
      )
    })

    after(() => dir && rmSync(dir, {force: true, recursive: true}))

    it('a save restarts the program under Delve; neither the earlier program nor, after stop(), the last one or its file is left', async () => {
      const port = await freeLoopbackPort()
      const debugPort = await freeLoopbackPort()
      const events: RunnerEvent[] = []
      const runner = createRunner({
        debugPort,
        emit: (e) => events.push(e),
        env: {CHAINCODE_SERVER_ADDRESS: `127.0.0.1:${port}`},
        port,
        project: {dir, language: 'go', name: 'dlvtest'} as ProjectConfig,
        startTimeoutMs: 120_000,
      })
      // Delve's children: the program, and Go's telemetry sidecar (`dlv ** telemetry **`)
      const program = (dlvPid: number) => childPids(dlvPid).filter((pid) => isProgram(pid))
      const programs = () => events.flatMap((e) => (e.type === 'restarted' ? program(e.pid) : []))
      try {
        await runner.start()
        expect(
          events.some((e) => e.type === 'debugger'),
          'Delve listened',
        ).to.equal(true)
        const first = programs()
        expect(first, 'the program runs as Delve’s child').to.have.length(1)
        writeFileSync(path.join(dir, 'main.go'), readFileSync(path.join(dir, 'main.go'), 'utf8') + '\n// saved\n')
        for (let i = 0; i < 600 && events.filter((e) => e.type === 'restarted').length < 2; i++) await sleep(100)
        const second = events.filter((e) => e.type === 'restarted')[1]
        expect(second, 'restarted').to.include({first: false})
        expect(alive(first[0]), 'the earlier program is gone').to.equal(false)
        const [last] = program((second as {pid: number}).pid)
        expect(last, 'the new program runs').to.be.a('number')
        // go build's output lives beside the state file, outside the project
        const state = stateFile(dir)
        const built = path.join(path.dirname(state), `${path.basename(state, '.json')}-dlvtest`)
        expect(existsSync(built), built).to.equal(true)
        await runner.stop()
        expect(alive(last), 'the last program is gone after stop()').to.equal(false)
        expect(existsSync(built), 'the built program is removed after stop()').to.equal(false)
      } finally {
        await runner.stop()
      }
    })

    it('Delve that cannot start (its port taken): a note saying why, and the program runs without a debugger', async () => {
      const taken = createServer()
      await new Promise<void>((r) => {
        taken.listen(0, '127.0.0.1', r)
      })
      const debugPort = (taken.address() as AddressInfo).port
      const port = await freeLoopbackPort()
      const events: RunnerEvent[] = []
      const runner = createRunner({
        debugPort,
        emit: (e) => events.push(e),
        env: {CHAINCODE_SERVER_ADDRESS: `127.0.0.1:${port}`},
        port,
        project: {dir, language: 'go', name: 'dlvtest'} as ProjectConfig,
        startTimeoutMs: 120_000,
      })
      try {
        expect(runner.debugger(), 'Delve is installed').to.deep.equal({kind: 'delve', port: debugPort})
        await runner.start()
        const notes = events.flatMap((e) => (e.type === 'note' ? [e.message] : []))
        expect(notes.join('\n')).to.match(
          new RegExp(
            `Delve could not run the chaincode \\(.*127\\.0\\.0\\.1:${debugPort}.*address already in use\\); running it without a debugger`,
          ),
        )
        const started = events.find((e) => e.type === 'restarted')
        expect(started, 'the program started').to.include({first: true, type: 'restarted'})
        expect(runner.debugger(), 'no debugger now').to.equal(undefined)
        expect(runner.describe()).to.equal('go build, then the program')
        expect(events.some((e) => e.type === 'debugger')).to.equal(false)
        // it is the program itself that listens, not Delve
        const {pid} = started as {pid: number}
        expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0]).to.match(/dlvtest$/)
      } finally {
        await runner.stop()
        taken.close()
      }
    })
  })
})

function isProgram(pid: number): boolean {
  try {
    return alive(pid) && readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0].endsWith('-dlvtest')
  } catch {
    return false
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }

  // a zombie has ended
  try {
    return !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return false
  }
}

async function freeLoopbackPort(): Promise<number> {
  const s = createServer()
  await new Promise<void>((r) => {
    s.listen(0, '127.0.0.1', r)
  })
  const {port} = s.address() as AddressInfo
  await new Promise((r) => {
    s.close(r)
  })
  return port
}
