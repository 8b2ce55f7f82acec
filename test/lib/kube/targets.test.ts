import {expect} from 'chai'
import {mkdtemp, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {FabError} from '../../../src/lib/errors.js'
import {buildPackage} from '../../../src/lib/fabric/package.js'
import {LABEL_CHAINCODE, LABEL_NAME, LABEL_PEER, renderManifests} from '../../../src/lib/kube/manifests.js'
import {chaincodeTargets} from '../../../src/lib/kube/targets.js'
import {loadProject} from '../../../src/lib/project/load.js'
import {renderPeerAddress, usesPeername} from '../../../src/lib/project/schema.js'

type Any = any

/** A fabk8s.yaml with a two-org network; `peers` gives each org's peers as [address, peername?]. */
async function perPeerProject(o: {
  address: string
  namespace?: string
  peers?: [string, string | undefined][][]
}): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'fabk8s-targets-'))
  const orgs = (o.peers ?? [[['localhost:7051', 'peer0org1']], [['localhost:9051', 'peer0org2']]]).map(
    (peers, i) =>
      `    - mspId: Org${i + 1}MSP\n      mspPath: org${i + 1}/msp\n      peers:\n` +
      peers
        .map(([a, n]) => `        - {address: "${a}", tlsCACert: ca.pem${n === undefined ? '' : `, peername: ${n}`}}`)
        .join('\n'),
  )
  const text = [
    'name: kv',
    'version: "1.0"',
    'kubernetes:',
    `  namespace: ${o.namespace ?? 'cc'}`,
    'chaincode:',
    `  address: "${o.address}"`,
    '  tls: false',
    'network:',
    '  orderer: {address: "localhost:7050", tlsCACert: o.pem}',
    '  orgs:',
    ...orgs,
  ].join('\n')
  await writeFile(path.join(dir, 'fabk8s.yaml'), text + '\n')
  return path.join(dir, 'fabk8s.yaml')
}

describe('kube targets: one Deployment per peer name ({{.peername}})', () => {
  it('renders the address the way the ccaas builder does, Go template spacing included', () => {
    expect(usesPeername('{{.peername}}-kv.cc.svc.cluster.local:9999')).to.equal(true)
    expect(usesPeername('{{ .peername }}-kv:9999')).to.equal(true)
    expect(usesPeername('kv.cc.svc.cluster.local:9999')).to.equal(false)
    expect(renderPeerAddress('{{.peername}}-kv.cc.svc.cluster.local:9999', 'peer0org1')).to.equal(
      'peer0org1-kv.cc.svc.cluster.local:9999',
    )
    expect(renderPeerAddress('{{ .peername }}-kv:{{.peername}}', 'p')).to.equal('p-kv:p')
  })

  it('one target per peer name, named after the first label of the address that peer dials', async () => {
    const p = await loadProject(await perPeerProject({address: '{{.peername}}-kv.cc.svc.cluster.local:9999'}))
    expect(chaincodeTargets(p, 'cc')).to.deep.equal([
      {
        address: 'peer0org1-kv.cc.svc.cluster.local:9999',
        mspId: 'Org1MSP',
        name: 'peer0org1-kv',
        peername: 'peer0org1',
        peers: ['localhost:7051'],
      },
      {
        address: 'peer0org2-kv.cc.svc.cluster.local:9999',
        mspId: 'Org2MSP',
        name: 'peer0org2-kv',
        peername: 'peer0org2',
        peers: ['localhost:9051'],
      },
    ])
  })

  it('peers that share a peername share its Deployment; an address without the template keeps the one named after the chaincode', async () => {
    const shared = await loadProject(
      await perPeerProject({
        address: '{{.peername}}-kv:9999',
        peers: [
          [
            ['a:7051', 'org1peers'],
            ['b:7051', 'org1peers'],
          ],
          [['c:9051', 'org2']],
        ],
      }),
    )
    const t = chaincodeTargets(shared, 'cc')
    expect(t.map((x) => [x.name, x.peers, x.mspId])).to.deep.equal([
      ['org1peers-kv', ['a:7051', 'b:7051'], 'Org1MSP'],
      ['org2-kv', ['c:9051'], 'Org2MSP'],
    ])
    // one peername for peers of two orgs: one Deployment serves both orgs, so no one MSP ID
    const mixed = await loadProject(
      await perPeerProject({address: '{{.peername}}-kv:9999', peers: [[['a:7051', 'all']], [['c:9051', 'all']]]}),
    )
    expect(chaincodeTargets(mixed, 'cc').map((x) => [x.name, x.mspId])).to.deep.equal([['all-kv', undefined]])
    const single = await loadProject(await perPeerProject({address: 'kv.cc.svc.cluster.local:9999'}))
    expect(chaincodeTargets(single, 'cc')).to.deep.equal([
      {address: 'kv.cc.svc.cluster.local:9999', name: 'kv', peers: []},
    ])
  })

  it('an address naming another namespace than the one deployed to is an error (the peers would dial nothing)', async () => {
    const p = await loadProject(await perPeerProject({address: '{{.peername}}-kv.other.svc.cluster.local:9999'}))
    let err: unknown
    try {
      chaincodeTargets(p, 'cc')
    } catch (error) {
      err = error
    }

    expect(err).to.be.instanceOf(FabError)
    expect((err as FabError).exitCode).to.equal(2)
    expect((err as FabError).message).to.match(/names namespace other, but the chaincode goes to namespace cc/)
    // the short in-cluster form names the namespace too; an outside name does not
    expect(chaincodeTargets(p, 'other')).to.have.length(2)
    const outside = await loadProject(await perPeerProject({address: '{{.peername}}-kv.example.org:443'}))
    expect(chaincodeTargets(outside, 'cc').map((x) => x.name)).to.deep.equal(['peer0org1-kv', 'peer0org2-kv'])
  })

  it('renders a Service and a Deployment per peer name: own names and selectors, the same package ID and listen address', async () => {
    const p = await loadProject(await perPeerProject({address: '{{.peername}}-kv.cc.svc.cluster.local:9999'}))
    const {packageId} = await buildPackage(p)
    const ms = renderManifests(p, {image: p.image, namespace: 'cc', packageId}) as Any[]
    expect(ms.map((m) => `${m.kind}/${m.metadata.name}`)).to.deep.equal([
      'Namespace/cc',
      'Service/peer0org1-kv',
      'Deployment/peer0org1-kv',
      'Service/peer0org2-kv',
      'Deployment/peer0org2-kv',
    ])
    for (const peer of ['peer0org1', 'peer0org2']) {
      const svc = ms.find((m) => m.kind === 'Service' && m.metadata.name === `${peer}-kv`)
      const dep = ms.find((m) => m.kind === 'Deployment' && m.metadata.name === `${peer}-kv`)
      const selector = {[LABEL_CHAINCODE]: 'kv', [LABEL_NAME]: `${peer}-kv`}
      expect(svc.spec.selector).to.deep.equal(selector)
      expect(dep.spec.selector.matchLabels).to.deep.equal(selector)
      expect(dep.spec.template.metadata.labels).to.include({...selector, [LABEL_PEER]: peer})
      const env = Object.fromEntries(dep.spec.template.spec.containers[0].env.map((e: Any) => [e.name, e.value]))
      expect(env).to.include({CHAINCODE_ID: packageId, CHAINCODE_SERVER_ADDRESS: '0.0.0.0:9999'})
      // as a peer tells the chaincode it launches: the org of the peers that dial these pods (shim.GetMSPID())
      expect(env.CORE_PEER_LOCALMSPID).to.equal(peer === 'peer0org1' ? 'Org1MSP' : 'Org2MSP')
    }

    // each object has its own hash, so `up` compares each one with what runs
    const hashes = ms.map((m) => m.metadata.annotations['fabk8s.io/manifest-hash'])
    expect(new Set(hashes).size).to.equal(hashes.length)
  })
})

describe('kube targets: one address', () => {
  const targetOf = async (address: string, namespace = 'cc') => {
    const p = await loadProject(await perPeerProject({address}))
    return chaincodeTargets(p, namespace)
  }

  const usage = async (address: string, namespace: string) => {
    try {
      await targetOf(address, namespace)
    } catch (error) {
      return error as FabError
    }

    throw new Error(`${address} in namespace ${namespace}: no error`)
  }

  it('names the Deployment and Service after the Service the peers dial, when the address is a cluster name', async () => {
    // the chaincode is kv; the peers dial Service basic-cc: that is the Service to make
    // peers of two orgs dial the same pods: no one MSP ID for them
    expect(await targetOf('basic-cc.cc.svc.cluster.local:9999')).to.deep.equal([
      {address: 'basic-cc.cc.svc.cluster.local:9999', name: 'basic-cc', peers: []},
    ])
    expect((await targetOf('basic-cc.cc:9999'))[0].name).to.equal('basic-cc')
    // a Service of the peers' own namespace
    expect((await targetOf('basic-cc:9999'))[0].name).to.equal('basic-cc')
    // not a Service name: an IP (a NodePort on a node), localhost, an outside host: named after the chaincode
    for (const address of ['172.18.0.2:30999', 'localhost:9999', 'cc.example.org:443', '[::1]:9999'])
      expect((await targetOf(address))[0].name, address).to.equal('kv')
  })

  it('an address naming another namespace than the one deployed to is an error (exit 2), as with {{.peername}}', async () => {
    for (const address of ['kv.fabk8s.svc.cluster.local:9999', 'kv.fabk8s:9999']) {
      const err = await usage(address, 'other')
      expect(err).to.be.instanceOf(FabError)
      expect(err.exitCode, address).to.equal(2)
      expect(err.message).to.equal(
        `chaincode.address ${address} names namespace fabk8s, but the chaincode goes to namespace other: the peers would dial Services that are not there`,
      )
    }

    // no namespace in the address: it goes where it is deployed
    expect(await targetOf('kv:9999', 'other')).to.have.length(1)
    expect(await targetOf('10.0.0.1:30999', 'other')).to.have.length(1)
  })

  it('a network of one org: its pods get CORE_PEER_LOCALMSPID (shim.GetMSPID()), as chaincode a peer launches does', async () => {
    const one = await loadProject(
      await perPeerProject({address: 'kv.cc.svc.cluster.local:9999', peers: [[['localhost:7051', undefined]]]}),
    )
    expect(chaincodeTargets(one, 'cc')).to.deep.equal([
      {address: 'kv.cc.svc.cluster.local:9999', mspId: 'Org1MSP', name: 'kv', peers: []},
    ])
    const {packageId} = await buildPackage(one)
    const envOf = (p: typeof one) =>
      Object.fromEntries(
        (renderManifests(p, {image: p.image, namespace: 'cc', packageId}) as Any[])
          .find((m) => m.kind === 'Deployment')
          .spec.template.spec.containers[0].env.map((e: Any) => [e.name, e.value]),
      )
    expect(envOf(one).CORE_PEER_LOCALMSPID).to.equal('Org1MSP')
    // two orgs' peers dial the one Deployment: which org it is depends on the peer calling, so it is not set
    const two = await loadProject(await perPeerProject({address: 'kv.cc.svc.cluster.local:9999'}))
    expect(envOf(two)).to.not.have.property('CORE_PEER_LOCALMSPID')
  })

  it('renders the Service the peers dial, selecting the Deployment of the same name', async () => {
    const p = await loadProject(await perPeerProject({address: 'basic-cc.cc.svc.cluster.local:9999'}))
    const {packageId} = await buildPackage(p)
    const ms = renderManifests(p, {image: p.image, namespace: 'cc', packageId}) as Any[]
    expect(ms.map((m) => `${m.kind}/${m.metadata.name}`)).to.deep.equal([
      'Namespace/cc',
      'Service/basic-cc',
      'Deployment/basic-cc',
    ])
    const selector = {[LABEL_CHAINCODE]: 'kv', [LABEL_NAME]: 'basic-cc'}
    expect(ms[1].spec.selector).to.deep.equal(selector)
    expect(ms[2].spec.selector.matchLabels).to.deep.equal(selector)
  })
})
