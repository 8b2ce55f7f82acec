import {expect} from 'chai'
import {execFile, spawn} from 'node:child_process'
import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import tls from 'node:tls'
import {promisify} from 'node:util'

import {chaincodeEnv, TLS_DIR} from '../../src/lib/kube/manifests.js'
import {loadProject} from '../../src/lib/project/load.js'
import {fabnetOrSkip} from '../lib/fabric/fabnet.js'
import {json, runCli} from '../support/cli.js'
import {cleanup, javaBaseImage, requireDocker, uniq} from '../support/docker.js'
import {freePort, waitForPort} from '../support/net.js'
import {assertRoundTrip, ASSET_ROUND_TRIP, type ServedChaincode, serveOnFabnet} from '../support/served-chaincode.js'

const exec = promisify(execFile)

async function tmp(): Promise<string> {
  return mkdtemp(path.join(tmpdir(), 'fabk8s-initjava-'))
}

async function requireMaven(ctx: Mocha.Context): Promise<void> {
  try {
    await exec('mvn', ['--version'])
  } catch {
    console.log('      skipped: no Maven (mvn) on PATH (apt-get install maven)')
    ctx.skip()
  }
}

describe('fabk8s init --language java', () => {
  it('lists a Maven project: contract, server, tests, pom.xml, Dockerfile, fabk8s.yaml', async () => {
    const dir = path.join(await tmp(), 'kv')
    const r = await runCli(['init', 'kv', '--language', 'java', '--yes', '--dry-run', '--dir', dir, '--json'])
    expect(r.code, r.stderr).to.equal(0)
    const out = json<{files: {path: string}[]; language: string}>(r)
    expect(out.language).to.equal('java')
    expect(out.files.map((f) => f.path)).to.include.members([
      '.dockerignore',
      'Dockerfile',
      'META-INF/statedb/couchdb/indexes/indexOwner.json',
      'README.md',
      'fabk8s.yaml',
      'pom.xml',
      'src/main/java/chaincode/AssetContract.java',
      'src/main/java/chaincode/Server.java',
      'src/test/java/chaincode/AssetContractTest.java',
    ])
  })

  it('writes fabk8s.yaml with language java, a pom on fabric-chaincode-shim 2.5, a two-stage non-root Dockerfile', async () => {
    const dir = path.join(await tmp(), 'kv')
    const r = await runCli(['init', 'kv', '--language', 'java', '--yes', '--dir', dir, '--port', '7777'])
    expect(r.code, r.stderr).to.equal(0)
    expect(r.stdout).to.match(/mvn test/)
    const p = await loadProject(path.join(dir, 'fabk8s.yaml'), {})
    expect(p).to.include({language: 'java', name: 'kv'})
    const pom = await readFile(path.join(dir, 'pom.xml'), 'utf8')
    expect(pom).to.match(/<artifactId>fabric-chaincode-shim<\/artifactId>/)
    expect(pom).to.match(/<fabric-chaincode-java.version>2\.5\.\d+<\/fabric-chaincode-java.version>/)
    expect(pom).to.match(/<mainClass>chaincode.Server<\/mainClass>/)
    expect(await readFile(path.join(dir, 'Dockerfile'), 'utf8'))
      .to.match(/^ARG BASE_IMAGE=/m)
      .and.match(/^ARG BUILD_IMAGE=/m)
      .and.match(/^USER 10001:10001$/m)
      .and.match(/^EXPOSE 7777$/m)
      .and.match(/CHAINCODE_SERVER_ADDRESS=0\.0\.0\.0:7777/)
    expect(await readFile(path.join(dir, '.dockerignore'), 'utf8')).to.match(/^target$/m)
  })

  describe('the generated project @integration', function () {
    this.timeout(900_000)
    let dir: string

    before(async function () {
      await requireMaven(this)
      dir = path.join(await tmp(), 'kv')
      const r = await runCli(['init', 'kv', '--language', 'java', '--yes', '--tls', '--dir', dir])
      expect(r.code, r.stderr).to.equal(0)
    })

    it('mvn test passes (7 tests)', async () => {
      const t = await exec('mvn', ['-B', 'test'], {cwd: dir, maxBuffer: 1 << 26})
      expect(t.stdout).to.match(/Tests run: 7, Failures: 0, Errors: 0, Skipped: 0/)
    })

    it('mvn package makes one runnable jar; it listens on the aliases and exits 0 on SIGTERM', async () => {
      await exec('mvn', ['-B', '-q', 'package', '-DskipTests'], {cwd: dir, maxBuffer: 1 << 26})
      const port = await freePort()
      let log = ''
      const child = spawn('java', ['-jar', 'target/chaincode.jar'], {
        cwd: dir,
        // the Node/Go names: Server maps them (fabric-chaincode-java itself reads only CORE_CHAINCODE_ID_NAME)
        env: {...process.env, CHAINCODE_ID: 'kv_1.0:0123abcd', CORE_CHAINCODE_ADDRESS: `127.0.0.1:${port}`},
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      child.stdout.on('data', (d) => (log += d))
      child.stderr.on('data', (d) => (log += d))
      const exit = new Promise<{code: null | number; signal: null | string}>((resolve) =>
        child.once('exit', (code, signal) => resolve({code, signal})),
      )
      try {
        await waitForPort(port, {alive: () => child.exitCode === null, why: () => log})
      } catch (error) {
        child.kill('SIGKILL')
        throw error
      }

      expect(log).to.match(/chaincode server: starting kv_1\.0:0123abcd on 127\.0\.0\.1:\d+/)
      child.kill('SIGTERM')
      expect(await exit).to.deep.equal({code: 0, signal: null})
    })

    it("with the Deployment's TLS environment it serves TLS and, with clientAuth, requires the peer's certificate", async () => {
      const file = path.join(dir, 'fabk8s.yaml')
      await writeFile(file, (await readFile(file, 'utf8')).replace(/clientAuth: false/, 'clientAuth: true'))
      const project = await loadProject(file, {})
      const port = await freePort()
      // the variables fabk8s deploy sets, with the Secret's mount point mapped to the project's tls/ files
      const local = {'ca.crt': 'ca.crt', 'tls.crt': 'server.crt', 'tls.key': 'server.key'} as Record<string, string>
      const env: Record<string, string> = {PATH: process.env.PATH ?? ''}
      for (const {name, value} of chaincodeEnv(project, 'kv_1.0:0123abcd'))
        env[name] = value.startsWith(`${TLS_DIR}/`) ? path.join(dir, 'tls', local[path.basename(value)]) : value
      env.CHAINCODE_SERVER_ADDRESS = `127.0.0.1:${port}`
      expect(env).to.include({CORE_PEER_TLS_ENABLED: 'true'})
      let log = ''
      const child = spawn('java', ['-jar', 'target/chaincode.jar'], {cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe']})
      child.stdout.on('data', (d) => (log += d))
      child.stderr.on('data', (d) => (log += d))
      try {
        await waitForPort(port, {alive: () => child.exitCode === null, why: () => log})
        const ca = await readFile(path.join(dir, 'tls', 'ca.crt'))
        const handshake = (client?: {cert: Buffer; key: Buffer}) =>
          new Promise<{authorized: boolean; protocol: false | null | string}>((resolve, reject) => {
            const s = tls.connect(
              {ALPNProtocols: ['h2'], ca, host: '127.0.0.1', port, servername: 'localhost', ...client},
              () => {
                // with client auth, a refused certificate shows up as an alert right after the handshake
                s.once('data', () => {})
                s.write('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n')
                s.once('error', reject)
                setTimeout(() => {
                  resolve({authorized: s.authorized, protocol: s.alpnProtocol})
                  s.destroy()
                }, 500)
              },
            )
            s.once('error', reject)
          })
        const withCert = await handshake({
          cert: await readFile(path.join(dir, 'tls', 'client.crt')),
          key: await readFile(path.join(dir, 'tls', 'client.key')),
        })
        expect(withCert).to.deep.equal({authorized: true, protocol: 'h2'})
        let refused: unknown
        await handshake().catch((error: unknown) => (refused = error))
        expect(String(refused)).to.match(/certificate required|bad certificate|handshake failure/i)
      } finally {
        child.kill('SIGKILL')
      }
    })

    it('without an address it says which variables to set and exits 2', async () => {
      const r = await exec('java', ['-jar', 'target/chaincode.jar'], {cwd: dir, env: {PATH: process.env.PATH}}).catch(
        (error: {code: number; stderr: string}) => error,
      )
      expect((r as {code: number}).code).to.equal(2)
      expect((r as {stderr: string}).stderr).to.match(/CHAINCODE_SERVER_ADDRESS .* must be set/)
    })
  })

  describe('built into an image, run as the Deployment runs it, it answers a real invoke @integration', function () {
    this.timeout(1_800_000)
    let dir: string
    let served: ServedChaincode | undefined
    const name = `jv${uniq()}`
    const image = `fabk8s-test/${name}:1.0`

    before(async function () {
      const f = fabnetOrSkip(this)
      await requireDocker(this)
      dir = path.join(await tmp(), name)
      const r = await runCli(['init', name, '--language', 'java', '--yes', '--dir', dir])
      expect(r.code, r.stderr).to.equal(0)
      const [runtime, build] = [await javaBaseImage('runtime'), await javaBaseImage('build')]
      const b = await runCli(
        ['build', '-p', dir, '--tag', image, '--base-image', runtime, '--build-arg', `BUILD_IMAGE=${build}`, '--json'],
        {timeoutMs: 1_500_000},
      )
      expect(b.code, b.stderr).to.equal(0)
      served = await serveOnFabnet(f, dir, image)
    })

    after(async () => {
      await served?.stop()
      await cleanup({images: [image]})
      if (dir) await rm(path.dirname(dir), {force: true, recursive: true})
    })

    it("CreateAsset through both orgs, ReadAsset returns it, a missing asset fails with the contract's text", async () => {
      await assertRoundTrip(dir, ASSET_ROUND_TRIP, served)
    })
  })
})
