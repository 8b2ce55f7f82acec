import {expect} from 'chai'
import {createPrivateKey, generateKeyPairSync} from 'node:crypto'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {FabError} from '../../../src/lib/errors.js'
import {readTlsCert, readTlsPair, type TlsFileField} from '../../../src/lib/project/tls.js'
import {type ChaincodeTlsFiles, generateChaincodeTls} from '../../../src/lib/tls/certs.js'

describe('project/tls (the chaincode TLS files, checked when read)', () => {
  let dir: string
  let set: ChaincodeTlsFiles

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'fabk8s-tls-'))
    set = await generateChaincodeTls(['kv.fabk8s.svc.cluster.local'])
  })

  let n = 0
  /** A file holding `text`, and the field that names it. */
  const ref = (field: TlsFileField, text: string) => {
    const file = path.join(dir, `${++n}-${field}.pem`)
    writeFileSync(file, text)
    return {field, file}
  }

  const failure = async (p: Promise<unknown>): Promise<FabError> => {
    const err = await p.then(
      () => {
        throw new Error('expected a failure')
      },
      (error) => error,
    )
    expect(err).to.be.instanceOf(FabError)
    expect(err.code).to.equal('PROJECT')
    expect(err.exitCode).to.equal(3)
    expect(err.message).to.not.contain('\n')
    expect(err.hint).to.be.a('string').and.not.equal('')
    return err
  }

  it('a valid set from the init generator passes and comes back byte for byte', async () => {
    expect(await readTlsCert(ref('rootCert', set['ca.crt']))).to.equal(set['ca.crt'])
    const server = await readTlsPair(ref('cert', set['server.crt']), ref('key', set['server.key']))
    expect(server).to.deep.equal({cert: set['server.crt'], key: set['server.key']})
    const client = await readTlsPair(ref('clientCert', set['client.crt']), ref('clientKey', set['client.key']))
    expect(client).to.deep.equal({cert: set['client.crt'], key: set['client.key']})
  })

  it('accepts what PEM allows: a bundle (leaf first), text around the blocks, CRLF, an EC (SEC1) key', async () => {
    const bundle = `subject=CN=kv\n${set['server.crt']}\n${set['ca.crt']}`
    const crlf = set['ca.crt'].replaceAll('\n', '\r\n')
    expect(await readTlsCert(ref('rootCert', crlf))).to.equal(crlf)
    const sec1 = createPrivateKey(set['server.key']).export({format: 'pem', type: 'sec1'}) as string
    expect(await readTlsPair(ref('cert', bundle), ref('key', sec1))).to.deep.equal({cert: bundle, key: sec1})
  })

  it('garbage, a key, or a broken block where a certificate belongs: "not a PEM certificate", naming field and file', async () => {
    for (const text of [
      'garbage\n',
      '',
      set['ca.key'],
      '-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n',
    ]) {
      const r = ref('rootCert', text)
      const err = await failure(readTlsCert(r))
      expect(err.message).to.equal(`chaincode.tls.rootCert: ${r.file} is not a PEM certificate`)
      expect(err.detail).to.deep.equal({field: 'chaincode.tls.rootCert', file: r.file})
    }

    const broken = ref('rootCert', `${set['ca.crt']}-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n`)
    expect((await failure(readTlsCert(broken))).message).to.equal(
      `chaincode.tls.rootCert: ${broken.file} is not a PEM certificate (certificate 2 of 2 does not parse)`,
    )
    const cert = ref('clientCert', 'garbage\n')
    const err = await failure(readTlsPair(cert, ref('clientKey', set['client.key'])))
    expect(err.message).to.equal(`chaincode.tls.clientCert: ${cert.file} is not a PEM certificate`)
  })

  it('garbage or a certificate where the key belongs: "not a PEM private key"; an encrypted key says so', async () => {
    for (const text of [
      'garbage\n',
      set['server.crt'],
      '-----BEGIN PRIVATE KEY-----\nMIIBfake\n-----END PRIVATE KEY-----\n',
    ]) {
      const key = ref('key', text)
      const err = await failure(readTlsPair(ref('cert', set['server.crt']), key))
      expect(err.message).to.equal(`chaincode.tls.key: ${key.file} is not a PEM private key`)
      expect(err.detail).to.deep.equal({field: 'chaincode.tls.key', file: key.file})
    }

    const encrypted = createPrivateKey(set['client.key']).export({
      cipher: 'aes-256-cbc',
      format: 'pem',
      passphrase: 'secret',
      type: 'pkcs8',
    }) as string
    const key = ref('clientKey', encrypted)
    const err = await failure(readTlsPair(ref('clientCert', set['client.crt']), key))
    expect(err.message).to.equal(`chaincode.tls.clientKey: ${key.file} is an encrypted private key`)
  })

  it('a certificate that does not match its key: "does not match chaincode.tls.<key field>"', async () => {
    const cert = ref('cert', set['server.crt'])
    const key = ref('key', set['client.key'])
    const err = await failure(readTlsPair(cert, key))
    expect(err.message).to.equal(`chaincode.tls.cert: ${cert.file} does not match chaincode.tls.key (${key.file})`)
    // another algorithm altogether (RSA key, ECDSA certificate)
    const rsa = generateKeyPairSync('rsa', {modulusLength: 1024}).privateKey.export({format: 'pem', type: 'pkcs8'})
    const clientCert = ref('clientCert', set['client.crt'])
    const clientKey = ref('clientKey', rsa as string)
    expect((await failure(readTlsPair(clientCert, clientKey))).message).to.equal(
      `chaincode.tls.clientCert: ${clientCert.file} does not match chaincode.tls.clientKey (${clientKey.file})`,
    )
  })

  it('a missing file: "cannot read", naming the field', async () => {
    const file = path.join(dir, 'nope.crt')
    const err = await failure(readTlsCert({field: 'rootCert', file}))
    expect(err.message).to.equal(`chaincode.tls.rootCert: cannot read ${file}`)
  })
})
