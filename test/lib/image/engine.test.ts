import {expect} from 'chai'
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {isFabError} from '../../../src/lib/errors.js'
import {docker} from '../../../src/lib/image/docker.js'
import {demux, engineExec, engineRequest, engineSocket, EngineTimeout} from '../../../src/lib/image/engine.js'
import {silentServer} from '../../support/bad-servers.js'
import {cleanup, dockerCmd, nodeBaseImage, requireDocker, uniq} from '../../support/docker.js'

describe('docker engine API (unit)', () => {
  it('uses the API only when the socket is unambiguous', () => {
    const config = mkdtempSync(path.join(tmpdir(), 'fabk8s-dockercfg-'))
    expect(engineSocket({DOCKER_HOST: 'unix:///tmp/x.sock'})).to.equal('/tmp/x.sock')
    expect(engineSocket({DOCKER_HOST: 'tcp://10.0.0.1:2376'})).to.equal(undefined)
    expect(engineSocket({DOCKER_HOST: 'ssh://me@box'})).to.equal(undefined)
    expect(engineSocket({DOCKER_HOST: 'unix:///tmp/x.sock', FABK8S_DOCKER_API: '0'})).to.equal(undefined)
    expect(engineSocket({DOCKER_HOST: 'unix:///tmp/x.sock', FABK8S_DOCKER: '/usr/bin/podman'})).to.equal(undefined)
    expect(engineSocket({DOCKER_CONFIG: config, DOCKER_CONTEXT: 'colima'})).to.equal(undefined)
    writeFileSync(path.join(config, 'config.json'), JSON.stringify({currentContext: 'desktop-linux'}))
    expect(engineSocket({DOCKER_CONFIG: config})).to.equal(undefined)
    writeFileSync(path.join(config, 'config.json'), '{not json')
    expect(engineSocket({DOCKER_CONFIG: config})).to.equal(undefined)
  })

  it('splits the stdout and stderr frames of an attached stream', () => {
    const frame = (kind: number, text: string) => {
      const body = Buffer.from(text)
      const head = Buffer.alloc(8)
      head[0] = kind
      head.writeUInt32BE(body.length, 4)
      return Buffer.concat([head, body])
    }

    const raw = Buffer.concat([frame(1, 'out 1\n'), frame(2, 'err\n'), frame(1, 'out 2\n'), frame(1, '')])
    expect(demux(raw)).to.deep.equal({stderr: 'err\n', stdout: 'out 1\nout 2\n'})
    // a cut-off frame at the end (connection closed mid-frame) is dropped, not misread
    expect(demux(Buffer.concat([frame(1, 'ok'), Buffer.from([1, 0, 0])]))).to.deep.equal({stderr: '', stdout: 'ok'})
  })
})

describe('a Docker engine that takes connections and never answers (unit)', () => {
  it('the Engine API request gives up at its deadline with EngineTimeout, naming the socket', async () => {
    const socketPath = path.join(tmpdir(), `fabk8s-silent-${uniq()}.sock`)
    const srv = await silentServer({socketPath})
    try {
      const err = await engineRequest(socketPath, 'GET', '/version', undefined, 300).then(
        () => expect.fail('answered'),
        (error: unknown) => error,
      )
      expect(err).to.be.instanceOf(EngineTimeout)
      expect((err as Error).message).to.equal(`the Docker engine at unix://${socketPath} did not answer within 0.3s`)
      expect(srv.hits).to.equal(1)
    } finally {
      await srv.stop()
    }
  })

  it('a docker CLI call with a timeout is stopped then, and ends in the Docker error naming DOCKER_HOST', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'fabk8s-hungdocker-'))
    const bin = path.join(dir, 'docker')
    const pidFile = path.join(dir, 'pid')
    writeFileSync(bin, `#!/bin/sh\necho $$ > ${pidFile}\nexec sleep 60\n`, {mode: 0o755})
    const saved = {DOCKER_HOST: process.env.DOCKER_HOST, FABK8S_DOCKER: process.env.FABK8S_DOCKER}
    Object.assign(process.env, {DOCKER_HOST: 'tcp://192.0.2.1:2375', FABK8S_DOCKER: bin})
    try {
      const err = await docker(['version'], {timeoutMs: 300}).then(
        () => expect.fail('finished'),
        (error: unknown) => error,
      )
      expect(isFabError(err) && err.toJSON()).to.deep.include({
        code: 'DOCKER',
        exitCode: 5,
        message: 'the Docker engine at tcp://192.0.2.1:2375 did not answer within 0.3s',
      })
      const pid = Number(readFileSync(pidFile, 'utf8'))
      const alive = () => {
        try {
          return process.kill(pid, 0)
        } catch {
          return false
        }
      }

      // SIGTERM sent; gone (and reaped) a moment later
      for (let i = 0; i < 40 && alive(); i++) await new Promise((r) => setTimeout(r, 50))
      expect(alive(), 'docker is stopped').to.equal(false)
    } finally {
      for (const [k, v] of Object.entries(saved))
        if (v === undefined) delete process.env[k]
        else process.env[k] = v
    }
  })
})

describe('docker engine API @integration (real Docker engine)', function () {
  this.timeout(120_000)
  const name = `fabk8s-exec-${uniq()}`

  before(async function () {
    await requireDocker(this)
    if (!engineSocket()) {
      console.log('      skipped: DOCKER_HOST is not a unix:// socket here, so fabk8s uses the docker CLI only')
      this.skip()
    }

    const r = await dockerCmd(['run', '-d', '--name', name, await nodeBaseImage(), 'sleep', '600'])
    expect(r.code, r.stderr).to.equal(0)
  })

  after(async () => {
    await cleanup({containers: [name]})
  })

  it('runs a command in a container like docker exec: stdout, stderr and the exit code', async () => {
    const socket = engineSocket()!
    const cmd = ['sh', '-c', 'echo to-out; echo to-err >&2; exit 3']
    const api = await engineExec(socket, name, cmd)
    const cli = await dockerCmd(['exec', name, ...cmd])
    expect(api).to.deep.equal({code: 3, stderr: 'to-err\n', stdout: 'to-out\n'})
    expect(api).to.deep.equal({code: cli.code, stderr: cli.stderr, stdout: cli.stdout})
  })

  it('reports a missing container as a failed exec, with the engine’s message', async () => {
    const r = await engineExec(engineSocket()!, `${name}-gone`, ['true'])
    expect(r.code).to.equal(1)
    expect(r.stderr).to.match(/no such container/i)
  })
})
