import {expect} from 'chai'
import {execFileSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {mkdirSync, mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {gunzipSync} from 'node:zlib'

import type {ProjectConfig} from '../../../src/lib/project/schema.js'

import {resolvePackage} from '../../../src/lib/fabric/package-file.js'
import {buildPackage, packageIdOf, parsePackage} from '../../../src/lib/fabric/package.js'
import {tarGz, untarGz} from '../../../src/lib/fabric/tar.js'
import {generateChaincodeTls} from '../../../src/lib/tls/certs.js'
import {goldenProject} from './golden.js'

const project = (dir?: string): ProjectConfig => goldenProject({dir})

describe('fabric package (deterministic CCaaS package)', () => {
  it('golden: the same project always gives the same bytes and package ID', async () => {
    const a = await buildPackage(project())
    const b = await buildPackage(project())
    expect(a.bytes.equals(b.bytes)).to.equal(true)
    // fixed once; a change here changes every user's package ID: only on purpose
    expect(a.packageId).to.equal('golden_1.0:fe4eeee7ae9e0ae61d28d416fb952d9dd67ef085f5c04a85bd1c034406045ef1')
    expect(a.fileName).to.equal('golden_1.0.tar.gz')
  })

  it('package ID = label ":" hex sha256 of the whole file', async () => {
    const p = await buildPackage(project())
    expect(p.packageId).to.equal(`golden_1.0:${createHash('sha256').update(p.bytes).digest('hex')}`)
    expect(packageIdOf('x', Buffer.from('abc'))).to.equal(
      'x:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    )
  })

  it('has the layout the ccaas builder expects, with fixed headers (mtime 0, uid/gid 0, empty names, mode 0644)', async () => {
    const p = await buildPackage(project())
    expect(p.bytes.readUInt32LE(4)).to.equal(0) // gzip header mtime
    const raw = gunzipSync(p.bytes)
    const outer = untarGz(p.bytes)
    expect(outer.map((e) => [e.name, e.type])).to.deep.equal([
      ['metadata.json', '0'],
      ['code.tar.gz', '0'],
    ])
    const h = raw.subarray(0, 512)
    expect(h.toString('ascii', 100, 107)).to.equal('0000644')
    expect(h.toString('ascii', 108, 115)).to.equal('0000000')
    expect(h.toString('ascii', 136, 147)).to.equal('00000000000')
    expect(h.subarray(265, 265 + 64).every((b) => b === 0)).to.equal(true) // uname, gname
    expect(JSON.parse(outer[0].data.toString())).to.deep.equal({label: 'golden_1.0', type: 'ccaas'})
    const conn = JSON.parse(untarGz(outer[1].data)[0].data.toString())

    expect(conn).to.deep.equal({
      address: '{{.peername}}-golden.fabk8s.svc.cluster.local:9999',
      dial_timeout: '10s',
      tls_required: false,
    })
  })

  it('can be listed by the system tar', async function () {
    const p = await buildPackage(project())
    const f = path.join(mkdtempSync(path.join(tmpdir(), 'fabk8s-pkg-')), p.fileName)
    writeFileSync(f, p.bytes)
    let out: string
    try {
      out = execFileSync('tar', ['-tzf', f], {encoding: 'utf8'})
    } catch {
      console.log('      skipped: no system tar')
      this.skip()
    }

    expect(out!.trim().split('\n')).to.deep.equal(['metadata.json', 'code.tar.gz'])
  })

  it('includes META-INF/statedb CouchDB indexes in code.tar.gz (and they change the ID)', async () => {
    const pr = project()
    const before = await buildPackage(pr)
    mkdirSync(path.join(pr.dir, 'META-INF/statedb/couchdb/indexes'), {recursive: true})
    writeFileSync(path.join(pr.dir, 'META-INF/statedb/couchdb/indexes/owner.json'), '{"index":{"fields":["owner"]}}\n')
    const p = await buildPackage(pr)
    expect(p.files).to.deep.equal(['connection.json', 'META-INF/statedb/couchdb/indexes/owner.json'])
    expect(p.packageId).to.not.equal(before.packageId)
    expect(parsePackage(p.bytes).codeFiles).to.deep.equal(p.files)
  })

  it('rejects a bad label and malformed packages with clear errors', async () => {
    const err = await buildPackage(project(), {label: '-bad'}).catch((error) => error)
    expect(err.exitCode).to.equal(2)
    expect(err.message).to.match(/--label: "-bad" is not a valid chaincode label/)
    expect(() => parsePackage(Buffer.from('nope'), 'x.tar.gz')).to.throw(
      /x.tar.gz: malformed chaincode package: not a gzip file/,
    )
    const noCode = tarGz([{data: Buffer.from('{"type":"ccaas","label":"a"}'), name: 'metadata.json'}])
    expect(() => parsePackage(noCode, 'y.tar.gz')).to.throw(/no code.tar.gz/)
  })

  it('--package FILE: label mismatch is an error unless the label is given', async () => {
    const pr = project()
    const other = await buildPackage(pr, {label: 'other_2'})
    const f = path.join(pr.dir, other.fileName)
    writeFileSync(f, other.bytes)
    const err = await resolvePackage(pr, {file: f}).catch((error) => error)
    expect(err.exitCode).to.equal(9)
    expect(err.message).to.match(/label mismatch: the package says "other_2", the project expects "golden_1.0"/)
    expect((await resolvePackage(pr, {file: f, label: 'other_2'})).packageId).to.equal(other.packageId)
    // a --label that is not the package's: the flag said it, and passing it again is no way out
    const flagged = await resolvePackage(pr, {file: f, label: 'third_3'}).catch((error) => error)
    expect(flagged.message).to.match(/label mismatch: the package says "other_2", --label says "third_3"$/)
    expect(flagged.hint).to.equal(
      'give --label other_2 to accept this package, or --package a package labelled third_3',
    )
  })

  it('TLS: connection.json holds the files byte for byte; one that is not what its field says is a project error', async () => {
    const pr = project()
    const files = await generateChaincodeTls(['golden.fabk8s.svc.cluster.local'])
    mkdirSync(path.join(pr.dir, 'tls'))
    // a CA bundle with CRLF line ends and text before it: valid PEM, and kept exactly as the file has it
    const bundle = `# the chaincode's CA\r\n${files['ca.crt']}${files['ca.crt']}`.replaceAll(/\r?\n/g, '\r\n')
    const put = (name: string, text: string) => {
      writeFileSync(path.join(pr.dir, 'tls', name), text)
      return path.join(pr.dir, 'tls', name)
    }

    const tls = {
      cert: '',
      clientAuth: true,
      clientCert: put('client.crt', files['client.crt']),
      clientKey: put('client.key', files['client.key']),
      enabled: true,
      key: '',
      rootCert: put('ca.crt', bundle),
    }
    const withTls = {...pr, chaincode: {...pr.chaincode, tls}}
    const p = await buildPackage(withTls)
    const conn = JSON.parse(untarGz(untarGz(p.bytes)[1].data)[0].data.toString())
    expect(conn).to.include({
      client_auth_required: true,
      client_cert: files['client.crt'],
      client_key: files['client.key'],
      root_cert: bundle,
      tls_required: true,
    })
    put('ca.crt', 'garbage\n')
    const err = await buildPackage(withTls).catch((error) => error)
    expect(err).to.include({code: 'PROJECT', exitCode: 3})
    expect(err.message).to.equal(`chaincode.tls.rootCert: ${tls.rootCert} is not a PEM certificate`)
    put('ca.crt', bundle)
    put('client.key', files['server.key'])
    const mismatch = await buildPackage(withTls).catch((error) => error)
    expect(mismatch.message).to.equal(
      `chaincode.tls.clientCert: ${tls.clientCert} does not match chaincode.tls.clientKey (${tls.clientKey})`,
    )
    // without clientAuth the client pair is not read (nor checked)
    const noClient = {...pr, chaincode: {...pr.chaincode, tls: {...tls, clientAuth: false}}}
    expect((await buildPackage(noClient)).connection).to.not.have.any.keys('client_cert', 'client_key')
  })
})
