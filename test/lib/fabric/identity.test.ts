import {expect} from 'chai'
import {generateKeyPairSync, verify, X509Certificate} from 'node:crypto'
import {cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {FabError} from '../../../src/lib/errors.js'
import {loadIdentity} from '../../../src/lib/fabric/identity.js'

const ADMIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/fabric/msp/admin')
const otherKey = () =>
  generateKeyPairSync('ec', {namedCurve: 'prime256v1'}).privateKey.export({format: 'pem', type: 'pkcs8'}) as string

describe('loadIdentity: the admin identity of an MSP folder', () => {
  let dir: string

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'fabk8s-identity-'))
    cpSync(ADMIN, dir, {recursive: true})
  })

  afterEach(() => rmSync(dir, {force: true, recursive: true}))

  const org = () => ({mspId: 'Org1MSP', mspPath: dir, peers: []})
  const signsForItsCertificate = async () => {
    const id = await loadIdentity(org())
    const message = Buffer.from('proposal bytes')
    const signature = await id.sign(message)
    return verify('sha256', message, new X509Certificate(id.certPem).publicKey, signature)
  }

  it("a keystore that also holds another key (an identity enrolled again) signs with the certificate's key, as the peer CLI does", async () => {
    // sorted before the right key: the first file by name is not the key
    writeFileSync(path.join(dir, 'keystore', '0000old_sk'), otherKey())
    expect(await signsForItsCertificate()).to.equal(true)
  })

  it('a file in the keystore that is no key is passed over when another file is the key', async () => {
    writeFileSync(path.join(dir, 'keystore', '0000notes'), 'not a key\n')
    expect(await signsForItsCertificate()).to.equal(true)
  })

  it("a keystore without the certificate's key: exit 3 naming mspPath, not an access denied from the peer", async () => {
    writeFileSync(path.join(dir, 'keystore', 'priv_sk'), otherKey())
    const e = await loadIdentity(org()).catch((error: unknown) => error)
    expect(e).to.be.instanceOf(FabError)
    expect((e as FabError).exitCode).to.equal(3)
    expect((e as FabError).message).to.equal(
      `network.orgs[Org1MSP].mspPath: the private key in ${dir}/keystore does not belong to the certificate CN=Admin@org1.example.com in signcerts/`,
    )
    expect((e as FabError).detail).to.deep.equal({kind: 'key-mismatch'})
    writeFileSync(path.join(dir, 'keystore', 'other_sk'), otherKey())
    expect(((await loadIdentity(org()).catch((error: unknown) => error)) as FabError).message).to.equal(
      `network.orgs[Org1MSP].mspPath: no private key in ${dir}/keystore belongs to the certificate CN=Admin@org1.example.com in signcerts/`,
    )
  })

  it('a keystore whose only file is no key: names the field and that file, with a hint', async () => {
    writeFileSync(
      path.join(dir, 'keystore', 'priv_sk'),
      readFileSync(path.join(dir, 'signcerts', 'Admin@org1.example.com-cert.pem')),
    )
    const e = (await loadIdentity(org()).catch((error: unknown) => error)) as FabError
    expect(e.exitCode).to.equal(3)
    expect(e.message).to.match(
      new RegExp(`^network\\.orgs\\[Org1MSP\\]\\.mspPath: ${dir}/keystore/priv_sk: not a PEM private key \\(`),
    )
    expect(e.hint).to.match(/^mspPath must be the org admin MSP folder/)
  })
})
