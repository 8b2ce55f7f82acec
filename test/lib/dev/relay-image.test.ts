/**
 * The relay image on the real Docker engine: made from this machine's node with `docker import` (no registry),
 * reused by tag, and it really relays: a container of it, a TunnelPool and a local server carry a connection.
 */
import type {Duplex} from 'node:stream'

import {expect} from 'chai'
import net from 'node:net'

import {ensureRelayImage, importBlocker, RELAY_PROGRAM} from '../../../src/lib/dev/relay/image.js'
import {connectWithRetry, TunnelPool} from '../../../src/lib/dev/tunnel.js'
import {cleanup, dockerCmd, requireDocker, uniq} from '../../support/docker.js'

describe('relay image', () => {
  it('importBlocker: only a Linux node of the engine’s architecture goes into the image', () => {
    expect(importBlocker('linux/amd64', 'linux', 'x64')).to.equal(undefined)
    expect(importBlocker('linux/arm64', 'linux', 'arm64')).to.equal(undefined)
    expect(importBlocker('linux/amd64', 'darwin', 'arm64')).to.match(/runs darwin, not Linux/)
    expect(importBlocker('linux/arm64', 'linux', 'x64')).to.match(
      /engine runs linux\/arm64, this machine's node linux\/amd64/,
    )
  })

  describe('on the Docker engine @integration', function () {
    this.timeout(300_000)
    const containers: string[] = []

    before(async function () {
      await requireDocker(this)
    })

    after(async () => {
      await cleanup({containers})
    })

    it('is made from this machine’s node without pulling anything, runs as 10001 with the relay program, and is reused by tag', async function () {
      const engine = await dockerCmd(['version', '--format', '{{.Server.Os}}/{{.Server.Arch}}'])
      const why = importBlocker(engine.stdout.trim())
      if (why) {
        console.log(`      skipped: ${why}`)
        this.skip()
      }

      const first = await ensureRelayImage()
      expect(first.how).to.equal('import')
      expect(first.image).to.match(/^fabk8s-relay:[0-9a-f]{16}$/)
      const inspect = await dockerCmd(['image', 'inspect', '--format', '{{json .Config}}', first.image])
      expect(inspect.code, inspect.stderr).to.equal(0)
      const config = JSON.parse(inspect.stdout) as {Entrypoint: string[]; User: string}
      expect(config.User).to.equal('10001:10001')
      expect(config.Entrypoint).to.deep.equal(['/usr/local/bin/node', RELAY_PROGRAM])
      const again = await ensureRelayImage()
      expect(again).to.deep.equal({...first, made: false})
    })

    it('a container of it relays a connection to a local server through a tunnel stream', async () => {
      const {image} = await ensureRelayImage()
      const name = `fabk8s-test-relay-${uniq()}`
      containers.push(name)
      const ports = await Promise.all([freePort(), freePort()])
      // host network: the tunnel port is on the container's loopback, which is then this machine's
      const run = await dockerCmd([
        'run',
        '-d',
        '--name',
        name,
        '--network',
        'host',
        '--read-only',
        '--cap-drop',
        'ALL',
        '--security-opt',
        'no-new-privileges',
        '-e',
        `FABK8S_RELAY_PORT=${ports[0]}`,
        '-e',
        `FABK8S_RELAY_TUNNEL_PORT=${ports[1]}`,
        image,
      ])
      expect(run.code, run.stderr).to.equal(0)
      for (let i = 0; i < 100; i++) {
        if (/fabk8s dev streams/.test((await dockerCmd(['logs', name])).stdout)) break
        await new Promise((r) => setTimeout(r, 100))
      }

      const local = net.createServer({allowHalfOpen: true}, (s) => {
        let text = ''
        s.on('data', (d) => (text += d))
        s.on('end', () => s.end(`relayed: ${text}`))
      })
      const localPort = await new Promise<number>((resolve) => {
        local.listen(0, '127.0.0.1', () => resolve((local.address() as net.AddressInfo).port))
      })
      const pool = new TunnelPool({
        connectLocal: () => connectWithRetry(localPort, {waitMs: 2000}),
        open: () => connectWithRetry(ports[1], {waitMs: 15_000}) as Promise<Duplex>,
      })
      try {
        pool.start()
        const answer = await new Promise<string>((resolve, reject) => {
          const s = net.connect({allowHalfOpen: true, host: '127.0.0.1', port: ports[0]}, () => s.end('ping'))
          let text = ''
          s.on('data', (d) => (text += d))
          s.on('end', () => resolve(text))
          s.on('error', reject)
        })
        expect(answer).to.equal('relayed: ping')
        const logs = await dockerCmd(['logs', name])
        expect(logs.stdout).to.match(/relay: connection 1 from 127\.0\.0\.1:\d+ → fabk8s dev/)
      } finally {
        await pool.stop()
        local.close()
      }
    })
  })
})

async function freePort(): Promise<number> {
  const s = net.createServer()
  await new Promise<void>((resolve) => {
    s.listen(0, '127.0.0.1', resolve)
  })
  const {port} = s.address() as net.AddressInfo
  await new Promise((r) => s.close(r))
  return port
}
