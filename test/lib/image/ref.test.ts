import {expect} from 'chai'

import {isLatest, normalizeRef, parseRef, tagProblem} from '../../../src/lib/image/ref.js'

describe('image refs', () => {
  it('splits domain, path, tag and digest the way docker does', () => {
    expect(parseRef('kv:1.0')).to.deep.equal({digest: undefined, domain: undefined, path: 'kv', tag: '1.0'})
    expect(parseRef('localhost:5000/acme/kv')).to.deep.equal({
      digest: undefined,
      domain: 'localhost:5000',
      path: 'acme/kv',
      tag: undefined,
    })
    expect(parseRef('ghcr.io/acme/kv:2@sha256:abc').domain).to.equal('ghcr.io')
    expect(parseRef('ghcr.io/acme/kv:2@sha256:abc').digest).to.equal('sha256:abc')
    expect(parseRef('acme/kv:2').domain).to.equal(undefined)
  })

  it('normalises to the name containerd stores after ctr import', () => {
    expect(normalizeRef('kv:1.0')).to.equal('docker.io/library/kv:1.0')
    expect(normalizeRef('acme/kv')).to.equal('docker.io/acme/kv:latest')
    expect(normalizeRef('registry.local:5000/kv:3')).to.equal('registry.local:5000/kv:3')
    expect(normalizeRef('docker.io/library/kv:1')).to.equal('docker.io/library/kv:1')
  })

  it('recognises :latest, written or implied', () => {
    expect(isLatest('kv')).to.equal(true)
    expect(isLatest('kv:latest')).to.equal(true)
    expect(isLatest('localhost:5000/kv')).to.equal(true)
    expect(isLatest('kv:0.1.0')).to.equal(false)
    expect(isLatest('kv@sha256:' + 'a'.repeat(64))).to.equal(false)
  })

  it('rejects tags docker would refuse, and digests in a tag to build', () => {
    expect(tagProblem('kv:0.1.0')).to.equal(undefined)
    expect(tagProblem('registry.example.com:5000/acme/kv:1.2.3')).to.equal(undefined)
    expect(tagProblem('KV:1')).to.match(/not a valid image reference/)
    expect(tagProblem('kv:bad tag')).to.match(/not a valid image reference/)
    expect(tagProblem('')).to.match(/empty/)
    expect(tagProblem('kv@sha256:' + 'a'.repeat(64))).to.match(/cannot carry a @digest/)
  })
})
