import {expect} from 'chai'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {createServer, type IncomingMessage, type Server} from 'node:http'
import {type AddressInfo} from 'node:net'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {
  describeImageSource,
  dockerCredentials,
  imageSource,
  knownDigest,
  manifestExists,
  parseChallenge,
  podImage,
  pushError,
  remoteRef,
} from '../../../src/lib/image/registry.js'
import {freePort} from '../../support/net.js'

const DIGEST = `sha256:${'ab'.repeat(32)}`

describe('image/registry: references, pod image fields, push errors', () => {
  it('the remote reference keeps path and tag, under the registry (its own domain replaced)', () => {
    expect(remoteRef('kv:1.0-0123456789ab', 'localhost:5000')).to.equal('localhost:5000/kv:1.0-0123456789ab')
    expect(remoteRef('acme/kv:1', 'ghcr.io/team/')).to.equal('ghcr.io/team/acme/kv:1')
    expect(remoteRef('old.example.com:5000/kv:1', 'ghcr.io/team')).to.equal('ghcr.io/team/kv:1')
  })

  it("finds the digest the local image has in that repository (and not another's)", () => {
    const info = {repoDigests: [`other.io/kv@${DIGEST}`, `localhost:5000/kv@${DIGEST}`]}
    expect(knownDigest(info, 'localhost:5000/kv:1.0-abc')).to.equal(`localhost:5000/kv@${DIGEST}`)
    expect(knownDigest(info, 'localhost:5000/acme/kv:1')).to.equal(undefined)
  })

  it('pod fields: IfNotPresent, pull secrets from fabk8s.yaml only when there are some', () => {
    expect(podImage({imagePull: {pullSecrets: []}}, `r/kv@${DIGEST}`)).to.deep.equal({
      image: `r/kv@${DIGEST}`,
      imagePullPolicy: 'IfNotPresent',
    })
    expect(podImage({imagePull: {pullSecrets: ['a', 'b']}}, 'kv:1').imagePullSecrets).to.deep.equal([
      {name: 'a'},
      {name: 'b'},
    ])
    expect(podImage({}, 'kv:1').imagePullSecrets).to.equal(undefined)
  })

  it('where a running image came from', () => {
    expect(imageSource(`localhost:5000/kv@${DIGEST}`)).to.equal('registry')
    expect(imageSource('kv:1.0-0123456789ab')).to.equal('loaded')
    expect(describeImageSource(`localhost:5000/kv@${DIGEST}`)).to.equal('pulled from localhost:5000 by digest (registry mode)')
  })

  it('push errors: login needed, plain HTTP, unreachable, refused; exit 10 with a hint', () => {
    const ref = 'reg.example.com/acme/kv:1'
    const auth = pushError(ref, 'unauthorized: authentication required\n', 1)
    expect(auth).to.include({code: 'REGISTRY', exitCode: 10})
    expect(auth.message).to.match(/needs a login/)
    expect(auth.hint).to.include('docker login reg.example.com')
    const http = pushError(ref, 'Get "https://reg.example.com/v2/": http: server gave HTTP response to HTTPS client', 1)
    expect(http.hint).to.include('insecure-registries')
    const down = pushError(ref, 'Get "https://reg.example.com/v2/": dial tcp 10.0.0.1:443: connect: connection refused', 1)
    expect(down.message).to.match(/^push reg\.example\.com\/acme\/kv:1: registry reg\.example\.com unreachable/)
    expect(down.message.split('\n')).to.have.length(1)
    const refused = pushError(ref, 'denied: quota exceeded', 1)
    expect(refused.message).to.match(/refused: denied: quota exceeded/)
  })

  it('parses WWW-Authenticate challenges', () => {
    expect(parseChallenge('Bearer realm="https://auth.io/token",service="reg.io",scope="repository:a:pull"')).to.deep.equal({
      params: {realm: 'https://auth.io/token', scope: 'repository:a:pull', service: 'reg.io'},
      scheme: 'bearer',
    })
  })
})

describe('image/registry: manifestExists against a registry server (HEAD, token auth with Docker credentials)', () => {
  let server: Server
  let port: number
  let dir: string
  const saved = process.env.DOCKER_CONFIG
  const seen: string[] = []
  const basic = `Basic ${Buffer.from('alice:s3cret').toString('base64')}`

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'fabk8s-dockercfg-'))
    process.env.DOCKER_CONFIG = dir
    server = createServer((req: IncomingMessage, res) => {
      seen.push(`${req.method} ${req.url}`)
      const url = new URL(req.url!, 'http://x')
      if (url.pathname === '/token') {
        if (req.headers.authorization !== basic) return res.writeHead(401).end()
        expect(url.searchParams.get('scope')).to.equal('repository:acme/kv:pull')
        res.writeHead(200, {'content-type': 'application/json'}).end(JSON.stringify({token: 'tok'}))
        return
      }

      if (req.headers.authorization !== 'Bearer tok') {
        res
          .writeHead(401, {'www-authenticate': `Bearer realm="http://127.0.0.1:${port}/token",service="test"`})
          .end()
        return
      }

      res.writeHead(url.pathname === `/v2/acme/kv/manifests/${DIGEST}` ? 200 : 404).end()
    })
    port = await freePort()
    await new Promise<void>((r) => {
      server.listen(port, '127.0.0.1', r)
    })
    expect((server.address() as AddressInfo).port).to.equal(port)
  })

  after(() => {
    server.close()
    if (saved === undefined) delete process.env.DOCKER_CONFIG
    else process.env.DOCKER_CONFIG = saved
    rmSync(dir, {force: true, recursive: true})
  })

  it('without credentials: says a login is needed (it cannot tell)', async () => {
    writeFileSync(path.join(dir, 'config.json'), '{}')
    const r = await manifestExists(`127.0.0.1:${port}/acme/kv@${DIGEST}`)
    expect(r).to.deep.equal({reason: `registry 127.0.0.1:${port} needs a login (docker login 127.0.0.1:${port})`})
  })

  it("with `docker login`'s stored credentials: a token, then the HEAD answers present / absent", async () => {
    const auth = Buffer.from('alice:s3cret').toString('base64')
    writeFileSync(path.join(dir, 'config.json'), JSON.stringify({auths: {[`127.0.0.1:${port}`]: {auth}}}))
    expect(await dockerCredentials(`127.0.0.1:${port}`)).to.deep.equal({password: 's3cret', username: 'alice'})
    seen.length = 0
    expect(await manifestExists(`127.0.0.1:${port}/acme/kv@${DIGEST}`)).to.deep.equal({exists: true})
    expect(seen.filter((s) => s.startsWith('HEAD')).every((s) => s.includes('/manifests/'))).to.equal(true)
    expect(seen.some((s) => !s.startsWith('HEAD') && !s.startsWith('GET /token'))).to.equal(false)
    const other = `sha256:${'cd'.repeat(32)}`
    expect(await manifestExists(`127.0.0.1:${port}/acme/kv@${other}`)).to.deep.equal({exists: false})
  })

  it('an unreachable registry: a reason, not an exception', async () => {
    const closed = await freePort()
    const r = await manifestExists(`127.0.0.1:${closed}/acme/kv@${DIGEST}`)
    expect(r).to.have.property('reason').that.matches(new RegExp(`registry 127.0.0.1:${closed} unreachable: ECONNREFUSED`))
  })
})
