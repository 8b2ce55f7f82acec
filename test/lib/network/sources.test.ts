import {expect} from 'chai'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {FabError} from '../../../src/lib/errors.js'
import {applyOverrides, requireComplete} from '../../../src/lib/network/overrides.js'
import {detectKind, readSource} from '../../../src/lib/network/source/index.js'
import {readK8sBuild} from '../../../src/lib/network/source/k8s-build.js'
import {mspIdFor, readOrganizations} from '../../../src/lib/network/source/organizations.js'
import {issue, newCA, org1Profile, writeK8sBuild, writeMsp, writeOrganizations} from './crypto.js'

function throws(f: () => unknown): FabError {
  try {
    f()
  } catch (error) {
    expect(error).to.be.instanceOf(FabError)
    return error as FabError
  }

  throw new Error('expected an error')
}

describe('network import: organizations/ and test-network-k8s build/ folders', () => {
  let dir: string

  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'fabk8s-sources-'))
  })

  after(() => rmSync(dir, {force: true, recursive: true}))

  describe('organizations/ (cryptogen, test-network)', () => {
    let root: string

    before(async () => {
      root = path.join(dir, 'test-network', 'organizations')
      // org2's peer certificate lacks "localhost": the import must name the peer in hostnameOverride
      await writeOrganizations(root, {peerSans: {'peer0.org2.example.com': ['peer0.org2.example.com']}})
    })

    it("finds orgs, peers, the orderer, admin MSPs and TLS CAs; test-network's ports; MSP IDs from folder names", async () => {
      const net = await readOrganizations(root)
      expect(net.kind).to.equal('organizations')
      expect(net.source).to.equal(root)
      expect(net.orgs.map((o) => o.mspId)).to.deep.equal(['Org1MSP', 'Org2MSP'])
      const [o1, o2] = net.orgs
      expect(o1.identity).to.deep.equal({
        from: 'users/Admin@org1.example.com/msp',
        kind: 'msp',
        mspPath: path.join(root, 'peerOrganizations/org1.example.com/users/Admin@org1.example.com/msp'),
      })
      expect(o1.peers).to.deep.equal([
        {
          address: 'localhost:7051',
          addressFrom: "test-network's port for peer0.org1.example.com",
          hostnameOverride: undefined,
          name: 'peer0.org1.example.com',
          // test-network's CHAINCODE_AS_A_SERVICE_BUILDER_CONFIG peername
          peername: 'peer0org1',
          tlsCA: {file: path.join(root, 'peerOrganizations/org1.example.com/tlsca/tlsca.org1.example.com-cert.pem')},
        },
      ])
      expect(o2.peers[0]).to.include({address: 'localhost:9051', hostnameOverride: 'peer0.org2.example.com'})
      expect(net.orderer).to.deep.include({
        address: 'localhost:7050',
        hostnameOverride: undefined,
        name: 'orderer.example.com',
        tlsCA: {file: path.join(root, 'ordererOrganizations/example.com/tlsca/tlsca.example.com-cert.pem')},
      })
      expect(net.notes.join('\n')).to.match(/Org1MSP: MSP ID derived from the folder name org1\.example\.com/)
      // the test-network folder holding organizations/ is accepted too, and detected
      expect(detectKind(path.dirname(root))).to.equal('organizations')
      expect((await readSource(path.dirname(root))).source).to.equal(root)
      expect((await readOrganizations(root, {host: '10.0.0.5'})).orgs[0].peers[0].address).to.equal('10.0.0.5:7051')
    })

    it("reads the port and the MSP ID from test-network's connection-org1.json next to the org", async () => {
      const profile = path.join(root, 'peerOrganizations/org1.example.com/connection-org1.json')
      writeFileSync(profile, org1Profile(root, '17051').replace('"Org1MSP"', '"AcmeMSP"'))
      try {
        const net = await readOrganizations(root)
        expect(net.orgs[0].mspId).to.equal('AcmeMSP')
        expect(net.orgs[0].peers[0]).to.include({
          address: 'localhost:17051',
          hostnameOverride: 'peer0.org1.example.com',
        })
        expect(net.orgs[0].peers[0].addressFrom).to.match(
          /connection-org1\.json peers\.peer0\.org1\.example\.com\.url$/,
        )
      } finally {
        rmSync(profile)
      }
    })

    it('a peer or orderer with no known port, or an org with no admin, is an error naming the flag', async () => {
      const other = path.join(dir, 'other', 'organizations')
      await writeOrganizations(other, {orgs: ['org1', 'org7'], peersPerOrg: 2})
      const net = await readOrganizations(other)
      expect(net.orgs[0].peers.map((p) => p.address)).to.deep.equal(['localhost:7051', ''])
      let e = throws(() => requireComplete(net))
      expect(e.exitCode).to.equal(2)
      expect(e.message).to.match(/peer peer1\.org1\.example\.com of Org1MSP: no address known/)
      expect(e.hint).to.equal('give it: --address peer1.org1.example.com=HOST:PORT')
      applyOverrides(net, {
        address: [
          'peer1.org1.example.com=localhost:8051',
          'peer0.org7.example.com=localhost:7071',
          'peer1.org7.example.com=h:1',
        ],
      })
      requireComplete(net)
      expect(net.orgs[1].peers.map((p) => [p.address, p.addressFrom])).to.deep.equal([
        ['localhost:7071', '--address'],
        ['h:1', '--address'],
      ])
      rmSync(path.join(other, 'peerOrganizations/org7.example.com/users/Admin@org7.example.com'), {recursive: true})
      const net2 = applyOverrides(await readOrganizations(other), {
        address: ['peer1.org1.example.com=localhost:8051', 'peer0.org7.example.com=a:1', 'peer1.org7.example.com=b:2'],
      })
      e = throws(() => requireComplete(net2))
      expect(e.message).to.equal('Org7MSP: no admin identity in the source')
      expect(e.hint).to.contain('--msp-path Org7MSP=DIR')
    })

    it('mspIdFor follows test-network: org1.example.com → Org1MSP, the orderer org → OrdererMSP', () => {
      expect(mspIdFor('org1.example.com')).to.equal('Org1MSP')
      expect(mspIdFor('org3')).to.equal('Org3MSP')
      expect(mspIdFor('example.com', true)).to.equal('OrdererMSP')
    })
  })

  describe('test-network-k8s build/', () => {
    let root: string

    before(async () => {
      root = path.join(dir, 'test-network-k8s', 'build')
      await writeK8sBuild(root)
    })

    it("finds each peer org's TLS CA and org admin, its two peers and the orderers behind the ingress", async () => {
      const net = await readK8sBuild(root)
      expect(net.kind).to.equal('k8s-build')
      expect(net.orgs.map((o) => [o.mspId, o.name])).to.deep.equal([
        ['Org1MSP', 'org1'],
        ['Org2MSP', 'org2'],
      ])
      const cm = path.join(root, 'channel-msp')
      expect(net.orgs[0].peers).to.deep.equal([
        {
          address: 'org1-peer1.localho.st:443',
          addressFrom: 'test-network-k8s ingress (localho.st:443)',
          name: 'org1-peer1',
          peername: 'org1peer1',
          tlsCA: {file: path.join(cm, 'peerOrganizations/org1/msp/tlscacerts/tlsca-signcert.pem')},
        },
        {
          address: 'org1-peer2.localho.st:443',
          addressFrom: 'test-network-k8s ingress (localho.st:443)',
          name: 'org1-peer2',
          peername: 'org1peer2',
          tlsCA: {file: path.join(cm, 'peerOrganizations/org1/msp/tlscacerts/tlsca-signcert.pem')},
        },
      ])
      expect(net.orgs[1].identity).to.deep.equal({
        from: 'enrollments/org2/users/org2admin/msp',
        kind: 'msp',
        mspPath: path.join(root, 'enrollments/org2/users/org2admin/msp'),
      })
      expect(net.orderers.map((o) => o.address)).to.deep.equal([
        'org0-orderer1.localho.st:443',
        'org0-orderer2.localho.st:443',
        'org0-orderer3.localho.st:443',
      ])
      expect(net.orderer?.tlsCA).to.deep.equal({
        file: path.join(cm, 'ordererOrganizations/org0/msp/tlscacerts/tlsca-signcert.pem'),
      })
      expect(net.notes.join('\n')).to.match(/using org0-orderer1 \(--orderer to choose\)/)

      expect(detectKind(path.dirname(root))).to.equal('k8s-build')
      const other = await readSource(path.dirname(root), {domain: 'example.org', port: 8443})
      expect(other.orgs[0].peers[0].address).to.equal('org1-peer1.example.org:8443')
      // --orderer by name picks another orderer of the source
      expect(applyOverrides(net, {orderer: 'org0-orderer2'}).orderer?.address).to.equal('org0-orderer2.localho.st:443')
    })

    it('a build/ folder without channel-msp peer orgs says to run `./network channel create`', async () => {
      const bare = path.join(dir, 'bare-build')
      writeMsp(path.join(bare, 'enrollments/org1/users/org1admin/msp'), await issue(await newCA('x'), {cn: 'a'}))
      writeFileSync(path.join(bare, 'README'), '')
      const {mkdirSync} = await import('node:fs')
      mkdirSync(path.join(bare, 'channel-msp'))
      try {
        await readK8sBuild(bare)
        expect.fail('expected an error')
      } catch (error) {
        expect((error as FabError).exitCode).to.equal(2)
        expect((error as FabError).hint).to.match(/network channel create/)
      }
    })
  })

  it('flags: --msp-id renames, --org keeps, --orderer HOST:PORT replaces the address, bad values name the flag', async () => {
    const root = path.join(dir, 'flags', 'organizations')
    await writeOrganizations(root)
    const net = applyOverrides(await readOrganizations(root), {
      mspId: ['org2.example.com=AcmeMSP'],
      orderer: 'orderer.example.com:17050',
      org: ['AcmeMSP'],
    })
    expect(net.orgs.map((o) => [o.name, o.mspId])).to.deep.equal([['org2.example.com', 'AcmeMSP']])
    expect(net.orderer).to.include({
      address: 'orderer.example.com:17050',
      addressFrom: '--orderer',
      name: 'orderer.example.com',
    })
    const fresh = async () => readOrganizations(root)
    const cases: [Parameters<typeof applyOverrides>[1], RegExp][] = [
      [
        {org: ['Org9MSP']},
        /^--org Org9MSP: no org Org9MSP in the source \(it has Org1MSP \(org1\.example\.com\), Org2MSP/,
      ],
      [
        {address: ['peer7=localhost:1']},
        /^--address peer7=localhost:1: no peer or orderer named "peer7" \(known: peer0\.org1/,
      ],
      [{address: ['peer0.org1.example.com=localhost']}, /^--address localhost: must be HOST:PORT/],
      [{address: ['peer0']}, /^--address peer0: expected NAME=HOST:PORT, the name of a peer or orderer \(peer0\.org1/],
      [
        {orderer: 'nope'},
        /^--orderer nope: no orderer of that name in the source \(it has orderer\.example\.com\), and not HOST:PORT$/,
      ],
      [{orderer: 'nope:99999'}, /^--orderer nope:99999: port 99999 out of range/],
      [{mspPath: [`Org1MSP=${dir}`]}, /has no signcerts\/ and keystore\//],
      [
        {mspPath: [dir]},
        /^--msp-path .*: several orgs \(Org1MSP \(org1\.example\.com\), Org2MSP \(org2\.example\.com\)\); write --msp-path ORG=/,
      ],
      [
        {cert: ['Org1MSP=/nonexistent.pem'], key: ['Org1MSP=/nonexistent.key']},
        /^--cert \/nonexistent\.pem: cannot read \(ENOENT\)/,
      ],
      [
        {
          ordererTlsCA: path.join(
            root,
            'peerOrganizations/org1.example.com/users/Admin@org1.example.com/msp/keystore/priv_sk',
          ),
        },
        /^--orderer-tls-ca .*priv_sk: not a PEM certificate/,
      ],
    ]
    for (const [o, re] of cases) {
      const n = await fresh()
      const e = throws(() => applyOverrides(n, o))
      expect(e.exitCode, JSON.stringify(o)).to.equal(2)
      expect(e.message, JSON.stringify(o)).to.match(re)
      expect(e.message).not.to.contain('PRIVATE KEY')
    }
  })

  it('a flag for another kind of source is exit 2 naming it, not ignored (--user on organizations/, --host on build/)', async () => {
    const orgs = path.join(dir, 'flags', 'organizations')
    const build = path.join(dir, 'flags', 'build')
    await writeOrganizations(orgs)
    await writeK8sBuild(build)
    const cases: [string, Parameters<typeof readSource>[1], RegExp][] = [
      [
        orgs,
        {users: {Org1MSP: 'User1'}},
        /^--user applies to a connection profile; SOURCE .* is an organizations\/ folder$/,
      ],
      [orgs, {domain: 'example.org'}, /^--ingress-domain applies to a test-network-k8s build\/ folder; SOURCE/],
      [orgs, {port: 8443}, /^--ingress-port applies to a test-network-k8s build\/ folder; SOURCE/],
      [
        build,
        {host: '10.0.0.5'},
        /^--host applies to an organizations\/ folder; SOURCE .* is a test-network-k8s build\/ folder$/,
      ],
    ]
    for (const [source, opts, re] of cases) {
      let e: unknown
      await readSource(source, opts).catch((error: unknown) => {
        e = error
      })
      expect(e, String(re)).to.be.instanceOf(FabError)
      expect((e as FabError).exitCode).to.equal(2)
      expect((e as FabError).message).to.match(re)
    }

    // an empty --user list (the command always passes one) is no flag
    expect((await readSource(orgs, {users: {}})).orgs).to.have.length(2)
  })

  it('SOURCE that is none of the kinds, or missing, is exit 2 naming it', () => {
    let e = throws(() => detectKind(path.join(dir, 'missing')))
    expect(e.exitCode).to.equal(2)
    expect(e.message).to.match(/SOURCE .*missing: no such file or folder/)
    e = throws(() => detectKind(dir))
    expect(e.message).to.match(
      /not an organizations\/ folder \(peerOrganizations\/\) nor a test-network-k8s build\/ folder/,
    )
  })
})
