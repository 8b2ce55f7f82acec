import {expect} from 'chai'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {demux, engineExec, engineSocket} from '../../../src/lib/image/engine.js'
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
