import {expect} from 'chai'
import {mkdtemp, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {FabError} from '../../../src/lib/errors.js'
import {expandEnv, findProjectFile, loadProject} from '../../../src/lib/project/load.js'

async function project(text: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'fabk8s-proj-'))
  const file = path.join(dir, 'fabk8s.yaml')
  await writeFile(file, text)
  return file
}

async function loadError(text: string, env: NodeJS.ProcessEnv = {}): Promise<FabError> {
  try {
    await loadProject(await project(text), env)
  } catch (error) {
    expect(error).to.be.instanceOf(FabError)
    return error as FabError
  }

  throw new Error('expected loadProject to fail')
}

describe('project/load', () => {
  it('applies the defaults', async () => {
    const file = await project('name: kv\nversion: "1.0"\n')
    const p = await loadProject(file, {})
    expect(p.label).to.equal('kv_1.0')
    expect(p.language).to.equal('typescript')
    expect(p.image).to.equal('kv:1.0')
    expect(p.chaincode).to.include({address: 'kv.fabk8s.svc.cluster.local:9999', dialTimeout: '10s', port: 9999})
    expect(p.chaincode.tls.enabled).to.equal(false)
    expect(p.kubernetes.namespace).to.equal('fabk8s')
    expect(p.kind.cluster).to.equal('kind')
    expect(p.dir).to.equal(path.dirname(file))
    expect(p.network).to.equal(undefined)
  })

  it('derives the address from namespace and port', async () => {
    const p = await loadProject(
      await project('name: kv\nversion: "2"\nchaincode: {port: 7052}\nkubernetes: {namespace: cc}\n'),
      {},
    )
    expect(p.chaincode.address).to.equal('kv.cc.svc.cluster.local:7052')
  })

  it('expands ${VAR} and ${VAR:-default}, and resolves paths against the file', async () => {
    const text = `name: kv
version: \${VERSION}
image: \${REGISTRY:-localhost:5000}/kv:\${VERSION}
network:
  channel: mychannel
  orderer: {address: "orderer:7050", tlsCACert: crypto/orderer.pem}
  orgs:
    - mspId: Org1MSP
      mspPath: \${MSP_DIR}
      peers: [{address: "peer0:7051", tlsCACert: crypto/peer.pem}]
`
    const file = await project(text)
    const p = await loadProject(file, {MSP_DIR: 'org1/admin', VERSION: '3.1'})
    expect(p.version).to.equal('3.1')
    expect(p.image).to.equal('localhost:5000/kv:3.1')
    expect(p.network!.orderer.tlsCACert).to.equal(path.join(path.dirname(file), 'crypto/orderer.pem'))
    expect(p.network!.orgs[0].mspPath).to.equal(path.join(path.dirname(file), 'org1/admin'))
  })

  it('names file, line and field of an unset variable', async () => {
    const e = await loadError('name: kv\nversion: "1"\nimage: ${REGISTRY}/kv:1\n')
    expect(e.code).to.equal('PROJECT')
    expect(e.message).to.match(/fabk8s\.yaml:3 image: environment variable REGISTRY is not set/)
  })

  it('reports every schema error with its line', async () => {
    const text = `name: kv
version: "1.0"
language: cobol
chaincode:
  port: 99999
network:
  orderer: {address: "orderer:7050", tlsCACert: o.pem}
  orgs:
    - mspPath: org1/msp
      peers: [{address: nohostport, tlsCACert: p.pem}]
`
    const e = await loadError(text)
    const lines = e.message.split('\n')
    expect(lines).to.have.length(4)
    expect(lines[0]).to.match(/fabk8s\.yaml:3 language: must be one of typescript, javascript, go, got "cobol"$/)
    expect(lines[1]).to.match(/fabk8s\.yaml:5 chaincode\.port: must be a port number/)
    expect(lines.some((l) => /fabk8s\.yaml:9 network\.orgs\[0\]\.mspId: required$/.test(l))).to.equal(true)
    expect(
      lines.some((l) => /fabk8s\.yaml:10 network\.orgs\[0\]\.peers\[0\]\.address: must be host:port/.test(l)),
    ).to.equal(true)
    expect(e.exitCode).to.equal(3)
  })

  it('reports YAML syntax errors with their line', async () => {
    const e = await loadError('name: kv\nversion: "1.0\nimage: x\n')
    expect(e.message).to.match(/^.*fabk8s\.yaml:\d+ /)
    expect(e.code).to.equal('PROJECT')
  })

  it('rejects unknown top-level fields, bad names and labels', async () => {
    const e = await loadError('name: My_CC\nversion: "1.0"\nlabel: "-bad"\nimgae: x\n')
    expect(e.message).to.match(/:4 imgae: unknown field/)
    expect(e.message).to.match(/:1 name: must be a lower-case DNS-1123 name/)
    expect(e.message).to.match(/:3 label: must match/)
  })

  it('requires name and version', async () => {
    const e = await loadError('language: go\n')
    expect(e.message).to.match(/name: required/)
    expect(e.message).to.match(/version: required/)
  })

  it('finds fabk8s.yaml in a parent folder, or says where it looked', async () => {
    const file = await project('name: kv\nversion: "1"\n')
    const sub = path.join(path.dirname(file), 'src', 'deep')
    await import('node:fs/promises').then((fs) => fs.mkdir(sub, {recursive: true}))
    expect(findProjectFile(undefined, sub)).to.equal(file)
    expect(findProjectFile(path.dirname(file), '/')).to.equal(file)
    expect(() => findProjectFile('/nonexistent-dir')).to.throw(
      FabError,
      /--project: no fabk8s\.yaml in \/nonexistent-dir/,
    )
  })

  it('chaincode.service: NodePort with a fixed nodePort and an explicit address; ClusterIP by default', async () => {
    const dflt = await loadProject(await project('name: kv\nversion: "1.0"\n'), {})
    expect(dflt.chaincode.service).to.deep.equal({nodePort: undefined, type: 'ClusterIP'})
    const np = await loadProject(
      await project(
        'name: kv\nversion: "1.0"\nchaincode:\n  address: ${NODE_IP}:30999\n  service: {type: NodePort, nodePort: 30999}\n',
      ),
      {NODE_IP: '192.0.2.7'},
    )
    expect(np.chaincode.service).to.deep.equal({nodePort: 30_999, type: 'NodePort'})
    expect(np.chaincode.address).to.equal('192.0.2.7:30999')
  })

  it('chaincode.service: bad type, port out of range, missing nodePort or address are errors naming the field', async () => {
    const cases: [string, RegExp][] = [
      ['chaincode: {service: {type: LoadBalancer}}', /chaincode\.service\.type: must be one of ClusterIP, NodePort/],
      [
        'chaincode: {address: "h:80", service: {type: NodePort, nodePort: 8080}}',
        /chaincode\.service\.nodePort: must be a node port 30000-32767, got 8080/,
      ],
      [
        'chaincode: {address: "h:80", service: {type: NodePort}}',
        /chaincode\.service\.nodePort: required with type NodePort/,
      ],
      [
        'chaincode: {service: {type: NodePort, nodePort: 30001}}',
        /chaincode\.address: required with chaincode\.service\.type NodePort/,
      ],
      ['chaincode: {service: {nodePort: 30001}}', /chaincode\.service\.nodePort: only with type: NodePort/],
    ]
    for (const [yaml, re] of cases) {
      const err = await loadError(`name: kv\nversion: "1.0"\n${yaml}\n`)
      expect(err.exitCode, yaml).to.equal(3)
      expect(err.message, yaml).to.match(re)
    }
  })

  it('expandEnv keeps $$ as a literal dollar', () => {
    expect(expandEnv('a$${X}b', {X: 'y'}).value).to.equal('a${X}b')
    expect(expandEnv('${X}', {}).missing).to.deep.equal(['X'])
  })
})
