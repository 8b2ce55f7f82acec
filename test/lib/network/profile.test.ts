import {expect} from 'chai'
import {mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {FabError} from '../../../src/lib/errors.js'
import {parseUrl, readProfile} from '../../../src/lib/network/source/profile.js'
import {type CA, fill, FIXTURES, issue, newCA, type Pair} from './crypto.js'

async function rejects(p: Promise<unknown>): Promise<FabError> {
  try {
    await p
  } catch (error) {
    expect(error).to.be.instanceOf(FabError)
    return error as FabError
  }

  throw new Error('expected a rejection')
}

describe('network import: connection profiles', () => {
  let dir: string
  let tlsca: Pair
  let ca: CA
  let admin: Pair

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'fabk8s-profile-'))
    const tlsCA = await newCA('tlsca.org1.example.com')
    const idCA = await newCA('ca.org1.example.com')
    tlsca = tlsCA
    ca = idCA
    admin = await issue(idCA, {cn: 'admin', ous: ['admin']})
  })

  after(() => rmSync(dir, {force: true, recursive: true}))

  const write = (name: string, text: string) => {
    const file = path.join(dir, name)
    mkdirSync(path.dirname(file), {recursive: true})
    writeFileSync(file, text)
    return file
  }

  for (const ext of ['json', 'yaml']) {
    it(`reads test-network's connection-org1.${ext}: the org, its peer, the inline TLS CA and the name override`, async () => {
      const file = write(
        `tn/connection-org1.${ext}`,
        fill(readFileSync(path.join(FIXTURES, `test-network/connection-org1.${ext}`), 'utf8'), {
          CAPEM: ca.cert,
          P0PORT: '7051',
          PEERPEM: tlsca.cert,
        }),
      )
      const net = await readProfile(file)
      expect(net.kind).to.equal('profile')
      expect(net.orgs).to.have.length(1)
      const [org] = net.orgs
      expect(org.mspId).to.equal('Org1MSP')
      expect(org.name).to.equal('Org1')
      expect(org.identity).to.equal(undefined)
      expect(org.peers).to.have.length(1)
      expect(org.peers[0]).to.include({
        address: 'localhost:7051',
        hostnameOverride: 'peer0.org1.example.com',
        name: 'peer0.org1.example.com',
      })
      expect((org.peers[0].tlsCA as {pem: string}).pem.trim()).to.equal(tlsca.cert.trim())
      expect(net.orderer).to.equal(undefined)
      expect(net.channel).to.equal(undefined)
    })
  }

  it("reads hlf-operator's network config: users.<name>.{cert,key}, the orderer org left out, the channel's orderer", async () => {
    const ordererCA = await newCA('ord-tlsca')
    const file = write(
      'hlf.yaml',
      fill(readFileSync(path.join(FIXTURES, 'hlf/network.yaml'), 'utf8'), {
        ADMIN_CERT: admin.cert,
        ADMIN_KEY: admin.key,
        ORDERER_TLSCA: ordererCA.cert,
        ORG1_TLSCA: tlsca.cert,
      }),
    )
    const net = await readProfile(file)
    expect(net.orgs.map((o) => o.mspId)).to.deep.equal(['Org1MSP'])
    expect(net.notes.join('\n')).to.match(/OrdererMSP: no peers/)
    const [org] = net.orgs
    expect(org.peers.map((p) => [p.name, p.address, p.hostnameOverride])).to.deep.equal([
      ['org1-peer0.default', 'peer0-org1.localho.st:443', undefined],
      ['org1-peer1.default', 'peer1-org1.localho.st:443', undefined],
    ])
    expect(org.identity?.kind).to.equal('pem')
    const id = org.identity as {cert: {pem: string}; key: {pem: string}; name: string}
    expect(id.name).to.equal('admin')
    expect(id.cert.pem.trim()).to.equal(admin.cert.trim())
    expect(id.key.pem.trim()).to.equal(admin.key.trim())
    expect(net.channel).to.equal('demo')
    expect(net.orderer?.name).to.equal('ord-node1')
    expect(net.orderer?.address).to.equal('orderer0-ord.localho.st:443')
  })

  it('chooses among several profile users: --user, else the one admin, else an error naming the flag', async () => {
    const user = await issue(ca, {cn: 'user1', ous: ['client']})
    const text = [
      'organizations:',
      '  Org1MSP:',
      '    mspid: Org1MSP',
      '    peers: [p0]',
      '    users:',
      `      user1: {cert: {pem: ${JSON.stringify(user.cert)}}, key: {pem: ${JSON.stringify(user.key)}}}`,
      `      org1admin: {cert: {pem: ${JSON.stringify(admin.cert)}}, key: {pem: ${JSON.stringify(admin.key)}}}`,
      `      other: {cert: {pem: ${JSON.stringify(user.cert)}}, key: {pem: ${JSON.stringify(user.key)}}}`,
      'peers:',
      `  p0: {url: "grpcs://localhost:7051", tlsCACerts: {pem: ${JSON.stringify(tlsca.cert)}}}`,
    ].join('\n')
    const file = write('users.yaml', text)
    expect((await readProfile(file)).orgs[0].identity).to.include({name: 'org1admin'})
    expect((await readProfile(file, {users: {Org1MSP: 'user1'}})).orgs[0].identity).to.include({name: 'user1'})
    expect((await readProfile(file, {users: {'': 'other'}})).orgs[0].identity).to.include({name: 'other'})
    const e = await rejects(readProfile(file, {users: {'': 'nobody'}}))
    expect(e.message).to.match(
      /users\.yaml:5 organizations\.Org1MSP\.users: no user "nobody" \(--user\); the profile has user1, org1admin, other/,
    )

    const two = write('users2.yaml', text.replace('other:', 'otheradmin:'))
    const e2 = await rejects(readProfile(two))
    expect(e2.exitCode).to.equal(2)
    expect(e2.message).to.match(/organizations\.Org1MSP\.users: several users/)
    expect(e2.hint).to.contain('--user Org1MSP=NAME')
    for (const err of [e, e2]) expect(JSON.stringify(err.toJSON())).not.to.contain('PRIVATE KEY')
  })

  it('a --user no org takes is exit 2 naming it, not ignored while another identity is imported', async () => {
    const sdk = (extra: string) =>
      write(
        `user-${extra.length}.yaml`,
        [
          'organizations:',
          '  Org1:',
          '    mspid: Org1MSP',
          '    peers: [p0]',
          `    adminPrivateKey: {pem: ${JSON.stringify(admin.key)}}`,
          `    signedCert: {pem: ${JSON.stringify(admin.cert)}}`,
          extra,
          'peers:',
          `  p0: {url: "grpcs://localhost:7051", tlsCACerts: {pem: ${JSON.stringify(tlsca.cert)}}}`,
        ].join('\n'),
      )
    const file = sdk('')
    const cases: [Record<string, string>, RegExp][] = [
      [{Org1MSP: 'User1'}, /^--user Org1MSP=User1: organizations\.Org1 has no users list to choose from/],
      [{Org1: 'User1'}, /^--user Org1=User1: organizations\.Org1 has no users list to choose from/],
      [{'': 'User1'}, /^--user User1: no org of the profile picks its admin from a users list \(Org1MSP \(Org1\)\)/],
      [
        {Org2MSP: 'admin'},
        /^--user Org2MSP=admin: no org Org2MSP with peers in the profile \(it has Org1MSP \(Org1\)\)$/,
      ],
    ]
    for (const [users, re] of cases) {
      const e = await rejects(readProfile(file, {users}))
      expect(e.exitCode).to.equal(2)
      expect(e.message).to.match(re)
    }

    // an org with a users list takes --user ORG=NAME; an unknown org next to it is still an error
    const listed = sdk(
      `  Org2:\n    mspid: Org2MSP\n    peers: [p0]\n    users:\n      admin: {cert: {pem: ${JSON.stringify(admin.cert)}}, key: {pem: ${JSON.stringify(admin.key)}}}`,
    )
    const net = await readProfile(listed, {users: {Org2MSP: 'admin'}})
    expect(net.orgs[1].identity).to.include({name: 'admin'})
    const e = await rejects(readProfile(listed, {users: {Org2MSP: 'admin', Org3MSP: 'admin'}}))
    expect(e.message).to.match(/^--user Org3MSP=admin: no org Org3MSP with peers in the profile/)
  })

  it('reads a Fabric SDK profile with paths relative to the profile: admin key/cert files, TLS CA files, orderers', async () => {
    const sub = path.join(dir, 'sdk')
    const files: Record<string, string> = {
      'orderer-tlsca.pem': tlsca.cert,
      'org1-admin.key': admin.key,
      'org1-admin.pem': admin.cert,
      'org1-tlsca.pem': tlsca.cert,
      'org2-admin.key': admin.key,
      'org2-admin.pem': admin.cert,
      'org2-tlsca.pem': tlsca.cert,
    }
    for (const [n, t] of Object.entries(files)) write(`sdk/crypto/${n}`, t)
    const file = write('sdk/profile.yaml', readFileSync(path.join(FIXTURES, 'sdk/profile.yaml'), 'utf8'))
    const net = await readProfile(file)
    expect(net.orgs.map((o) => o.mspId)).to.deep.equal(['Org1MSP', 'Org2MSP'])
    expect(net.orgs[0].identity).to.deep.include({
      cert: {file: path.join(sub, 'crypto/org1-admin.pem')},
      key: {file: path.join(sub, 'crypto/org1-admin.key')},
      kind: 'pem',
    })
    expect(net.orgs[0].peers[0]).to.deep.include({
      address: 'peer0.org1.example.com:7051',
      tlsCA: {file: path.join(sub, 'crypto/org1-tlsca.pem')},
    })
    expect(net.orderer).to.deep.include({address: 'orderer.example.com:7050', name: 'orderer.example.com'})
    expect(net.channel).to.equal('mychannel')

    // a path that does not exist: the field, its line and the file
    writeFileSync(path.join(sub, 'crypto/org2-admin.key'), 'garbage')
    const e = await rejects(readProfile(file))
    expect(e.exitCode).to.equal(2)
    expect(e.message).to.match(
      /profile\.yaml:18 organizations\.Org2\.adminPrivateKey\.path: .*org2-admin\.key: not a PEM private key/,
    )
    rmSync(path.join(sub, 'crypto/org1-tlsca.pem'))
    const e2 = await rejects(readProfile(file))
    expect(e2.message).to.match(
      /profile\.yaml:30 peers\["peer0\.org1\.example\.com"\]\.tlsCACerts\.path: cannot read .*org1-tlsca\.pem \(ENOENT\)/,
    )
  })

  describe('bad profiles: exit 2, naming the file, the line and the field', () => {
    const cases: [string, RegExp][] = [
      ['syntax.json', /bad[/\\]syntax\.json:11 not valid JSON or YAML: /],
      ['no-mspid.yaml', /bad[/\\]no-mspid\.yaml:2 organizations\.Org1\.mspid: required/],
      [
        'bad-url.yaml',
        /bad[/\\]bad-url\.yaml:7 peers\.peer0\.url: "grpc:\/\/localhost:7051" is plain grpc:\/\/: fabk8s talks TLS/,
      ],
      ['bad-pem.yaml', /bad[/\\]bad-pem\.yaml:9 peers\.peer0\.tlsCACerts\.pem: not a readable PEM certificate/],
      [
        'missing-peer.yaml',
        /bad[/\\]missing-peer\.yaml:4 organizations\.Org1\.peers\[1\]: peer "peer9" is not in the profile's peers section/,
      ],
      ['not-a-map.yaml', /bad[/\\]not-a-map\.yaml:1 \(top\): a connection profile must be a mapping/],
    ]
    for (const [name, re] of cases)
      it(name, async () => {
        const e = await rejects(readProfile(path.join(FIXTURES, 'bad', name)))
        expect(e.exitCode).to.equal(2)
        expect(e.message).to.match(re)
        expect(e.message.split('\n')).to.have.length(1)
      })

    it('a missing file and an empty file', async () => {
      const e = await rejects(readProfile(path.join(dir, 'nope.json')))
      expect(e.message).to.match(/nope\.json: cannot read the connection profile \(ENOENT\)/)
      const e2 = await rejects(readProfile(write('empty.yaml', '\n')))
      expect(e2.message).to.match(/empty\.yaml: empty file/)
    })

    it('never quotes a private key from a broken profile', async () => {
      const text = `organizations:\n  Org1:\n    mspid: Org1MSP\n    peers: [p]\n    adminPrivateKey: {pem: ${JSON.stringify(admin.key)}}\n    signedCert: {pem: "garbage"}\n  : bad\npeers: {}\n`
      const e = await rejects(readProfile(write('leak.yaml', text)))
      expect(e.message + (e.hint ?? '')).not.to.contain('PRIVATE KEY')
      const text2 = `organizations:\n  Org1:\n    mspid: Org1MSP\n    peers: [p]\n    adminPrivateKey: {pem: ${JSON.stringify(admin.key.replace('MI', 'XX'))}}\n    signedCert: {pem: ${JSON.stringify(admin.cert)}}\npeers:\n  p: {url: "localhost:1", tlsCACerts: {pem: ${JSON.stringify(tlsca.cert)}}}\n`
      const e2 = await rejects(readProfile(write('leak2.yaml', text2)))
      expect(e2.message).to.match(
        /leak2\.yaml:5 organizations\.Org1\.adminPrivateKey\.pem: not a readable PEM private key/,
      )
      expect(e2.message).not.to.contain(admin.key.split('\n')[1].slice(0, 20))
    })
  })

  it('parseUrl: grpcs://host:port and host:port; grpc://, http:// and no port are refused', () => {
    expect(parseUrl('grpcs://peer0.org1.example.com:7051').address).to.equal('peer0.org1.example.com:7051')
    expect(parseUrl('localhost:9051').address).to.equal('localhost:9051')
    expect(parseUrl('grpcs://[::1]:7051').address).to.equal('[::1]:7051')
    expect(parseUrl('grpc://localhost:7051').problem).to.match(/plain grpc/)
    expect(parseUrl('https://localhost:7051').problem).to.match(/must be grpcs:\/\/host:port/)
    expect(parseUrl('grpcs://localhost').problem).to.match(/must be grpcs:\/\/host:port/)
    expect(parseUrl('grpcs://localhost:70000').problem).to.match(/out of range/)
  })
})
