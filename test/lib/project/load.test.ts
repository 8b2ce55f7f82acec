import {expect} from 'chai'
import {mkdtemp, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {FabError} from '../../../src/lib/errors.js'
import {loadIdentity} from '../../../src/lib/fabric/identity.js'
import {expandEnv, findProjectFile, loadProject} from '../../../src/lib/project/load.js'
import {runCli} from '../../support/cli.js'

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

  it('a bad definition.signaturePolicy is an error at its line, as other fields are, before any connection', async () => {
    const e = await loadError(
      `name: kv\nversion: "1.0"\ndefinition:\n  initRequired: false\n  signaturePolicy: "OR('Org1MSP.peer'"\n`,
    )
    expect(e.exitCode).to.equal(3)
    expect(e.message).to.match(
      /fabk8s\.yaml:5 definition\.signaturePolicy: invalid policy "OR\('Org1MSP\.peer'": expected ',' or '\)' at position 18$/,
    )
    const role = await loadError(`name: kv\nversion: "1.0"\ndefinition:\n  signaturePolicy: "OR('Org1MSP.boss')"\n`)
    expect(role.message).to.match(
      /fabk8s\.yaml:4 definition\.signaturePolicy: invalid policy .*"Org1MSP\.boss" is not MSPID\.role/,
    )
    // filled from the environment: checked as it is after ${VAR} expansion
    const env = await loadError(`name: kv\nversion: "1.0"\ndefinition:\n  signaturePolicy: \${POLICY}\n`, {
      POLICY: "OutOf(3, 'A.peer', 'B.peer')",
    })
    expect(env.message).to.match(
      /fabk8s\.yaml:4 definition\.signaturePolicy: invalid policy .*OutOf\(3\) with only 2 principals$/,
    )
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
    expect(lines[0]).to.match(/fabk8s\.yaml:3 language: must be one of typescript, javascript, go, java, got "cobol"$/)
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
    expect(e.message).to.match(/:4 imgae: unknown key; did you mean image\?/)
    expect(e.message).to.match(/:1 name: must be a lower-case DNS-1123 name/)
    expect(e.message).to.match(/:3 label: must match/)
  })

  it("rejects a name with '--': DNS-1123 allows it, Fabric's chaincode names do not (the peers refuse it at approve)", async () => {
    const e = await loadError('name: my--cc\nversion: "1.0"\n')
    expect(e.exitCode).to.equal(3)
    expect(e.message).to.match(
      /:1 name: must not hold '--' \(Fabric's chaincode name rule: one '-' between letters or digits\), got "my--cc"/,
    )
  })

  it('rejects a version Fabric refuses, also with label and image set (the peers would refuse it only at approve)', async () => {
    const e = await loadError('name: kv\nversion: "1.0 beta"\nlabel: kv_1\nimage: kv:1\n')
    expect(e.exitCode).to.equal(3)
    expect(e.message).to.match(
      /:2 version: must be letters, digits, '_', '\.', '\+', '-' \(Fabric's rule for chaincode versions\), got "1\.0 beta"/,
    )
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
    // a project file given by name: that file is what is missing
    expect(findProjectFile(file, '/')).to.equal(file)
    expect(() => findProjectFile('/nonexistent-dir/staging.yaml')).to.throw(
      FabError,
      /^--project: no file \/nonexistent-dir\/staging\.yaml$/,
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

  describe("network peers' peername and {{.peername}} in chaincode.address (issue 13, item 3)", () => {
    const net = (peers: string) => `network:
  orderer: {address: "localhost:7050", tlsCACert: o.pem}
  orgs:
    - mspId: Org1MSP
      mspPath: org1/msp
      peers:
${peers}
`

    it('a peername is read onto the peer; with the template, every peer has one', async () => {
      const file = await project(
        `name: kv\nversion: "1.0"\nchaincode:\n  address: "{{.peername}}-kv.fabk8s:9999"\n` +
          net('        - {address: "localhost:7051", tlsCACert: p.pem, peername: peer0org1}'),
      )
      const p = await loadProject(file, {})
      expect(p.network?.orgs[0].peers[0].peername).to.equal('peer0org1')
      expect(p.chaincode.address).to.equal('{{.peername}}-kv.fabk8s:9999')
    })

    it('errors name file, line and field: a missing or bad peername, the template outside the first label, NodePort, no network', async () => {
      const cases: [string, RegExp][] = [
        [
          'chaincode:\n  address: "{{.peername}}-kv:9999"\n' +
            net('        - {address: "localhost:7051", tlsCACert: p.pem}'),
          /fabk8s\.yaml:11 network\.orgs\[0\]\.peers\[0\]\.peername: required: chaincode\.address uses \{\{\.peername\}\}/,
        ],
        [
          'chaincode:\n  address: "{{.peername}}-kv:9999"\n' +
            net('        - {address: "localhost:7051", tlsCACert: p.pem, peername: peer0.org1}'),
          /fabk8s\.yaml:11 network\.orgs\[0\]\.peers\[0\]\.peername: must be lower-case letters, digits and '-'/,
        ],
        [
          'chaincode:\n  address: "{{.peername}}-kv:9999"\n' +
            net(`        - {address: "localhost:7051", tlsCACert: p.pem, peername: ${'p'.repeat(62)}}`),
          /fabk8s\.yaml:11 network\.orgs\[0\]\.peers\[0\]\.peername: "p+" makes the Service name "p+-kv".*not a DNS-1123 label of at most 63/,
        ],
        [
          'chaincode:\n  address: "kv.{{.peername}}.example.org:9999"\n' +
            net('        - {address: "localhost:7051", tlsCACert: p.pem, peername: p1}'),
          /fabk8s\.yaml:4 chaincode\.address: \{\{\.peername\}\} must be in the host's first label/,
        ],
        [
          'chaincode:\n  address: "{{.peername}}-{{.org}}:9999"\n' +
            net('        - {address: "localhost:7051", tlsCACert: p.pem, peername: p1}'),
          /chaincode\.address: fabk8s fills in only \{\{\.peername\}\}/,
        ],
        [
          'chaincode:\n  address: "{{.peername}}-kv:30001"\n  service: {type: NodePort, nodePort: 30001}\n' +
            net('        - {address: "localhost:7051", tlsCACert: p.pem, peername: p1}'),
          /fabk8s\.yaml:5 chaincode\.service\.type: NodePort cannot serve \{\{\.peername\}\}/,
        ],
        [
          'chaincode:\n  address: "{{.peername}}-kv:9999"\n',
          /fabk8s\.yaml:4 chaincode\.address: uses \{\{\.peername\}\}: list the peers, each with its peername/,
        ],
        [
          net('        - {address: "localhost:7051", tlsCACert: p.pem}').replace(
            'orderer: {address: "localhost:7050", tlsCACert: o.pem}',
            'orderer: {address: "localhost:7050", tlsCACert: o.pem, peername: o1}',
          ),
          /network\.orderer\.peername: only peers have a peername/,
        ],
      ]
      for (const [yaml, re] of cases) {
        const err = await loadError(`name: kv\nversion: "1.0"\n${yaml}`)
        expect(err.exitCode, yaml).to.equal(3)
        expect(err.message, yaml).to.match(re)
      }
    })
  })

  it('expandEnv keeps $$ as a literal dollar', () => {
    expect(expandEnv('a$${X}b', {X: 'y'}).value).to.equal('a${X}b')
    expect(expandEnv('${X}', {}).missing).to.deep.equal(['X'])
  })

  describe('unknown keys, types and ${VAR} (issue 12, item 14)', () => {
    it('unknown keys at any depth are errors naming the key path, its line and the nearest valid key', async () => {
      const text = `name: kv
version: "1.0"
kubernetes: {namspace: prod}
definition:
  signaturepolicy: "OR('Org1MSP.peer')"
chaincode:
  TLS: true
  service: {typ: NodePort}
  tls: {enabled: true, clientauth: true}
network:
  orderer: {address: "o:7050", tlsCACert: o.pem}
  orgs:
    - mspId: Org1MSP
      mspPath: msp
      peers: [{address: "p:7051", tlsCACert: p.pem, hostnameOveride: p0}]
      colour: blue
`
      const e = await loadError(text)
      expect(e.exitCode).to.equal(3)
      const lines = e.message.split('\n')
      const want = [
        /fabk8s\.yaml:3 kubernetes\.namspace: unknown key; did you mean namespace\?$/,
        /fabk8s\.yaml:5 definition\.signaturepolicy: unknown key; did you mean signaturePolicy\?$/,
        /fabk8s\.yaml:7 chaincode\.TLS: unknown key; did you mean tls\?$/,
        /fabk8s\.yaml:8 chaincode\.service\.typ: unknown key; did you mean type\?$/,
        /fabk8s\.yaml:9 chaincode\.tls\.clientauth: unknown key; did you mean clientAuth\?$/,
        /fabk8s\.yaml:15 network\.orgs\[0\]\.peers\[0\]\.hostnameOveride: unknown key; did you mean hostnameOverride\?$/,
        /fabk8s\.yaml:16 network\.orgs\[0\]\.colour: unknown key \(expected one of mspId, mspPath, peers\)$/,
      ]
      for (const re of want)
        expect(
          lines.some((l) => re.test(l)),
          `${re}\n${e.message}`,
        ).to.equal(true)
    })

    it('version must be a string: a YAML number is an error that says how to quote it; 1.10 never becomes 1.1', async () => {
      for (const v of ['1.0', '1.10', '2']) {
        const e = await loadError(`name: kv\nversion: ${v}\n`)
        expect(e.exitCode).to.equal(3)
        expect(e.message).to.match(
          new RegExp(
            `fabk8s\\.yaml:2 version: ${v.replace('.', String.raw`\.`)} is a number in YAML; quote it: "${v.replace('.', String.raw`\.`)}"$`,
          ),
        )
      }

      const p = await loadProject(await project('name: kv\nversion: "1.10"\n'), {})
      expect(p.version).to.equal('1.10')
      expect(p.image).to.equal('kv:1.10')
    })

    it('${VAR} fills numbers and booleans: expanded before typing', async () => {
      const text = `name: kv
version: \${VERSION}
chaincode:
  port: \${PORT}
  address: "\${NODE_IP}:\${NODE_PORT:-30999}"
  service: {type: NodePort, nodePort: "\${NODE_PORT:-30999}"}
  tls:
    enabled: \${TLS:-false}
    clientAuth: \${MTLS:-true}
definition:
  initRequired: \${INIT}
`
      const p = await loadProject(await project(text), {
        INIT: 'true',
        NODE_IP: '192.0.2.1',
        PORT: '7052',
        TLS: 'true',
        VERSION: '1.10',
      })
      expect(p.version).to.equal('1.10')
      expect(p.chaincode.port).to.equal(7052)
      expect(p.chaincode.service.nodePort).to.equal(30_999)
      expect(p.chaincode.address).to.equal('192.0.2.1:30999')
      expect(p.chaincode.tls.enabled).to.equal(true)
      expect(p.chaincode.tls.clientAuth).to.equal(true)
      expect(p.definition.initRequired).to.equal(true)
      const off = await loadProject(await project('name: kv\nversion: "1"\nchaincode: {tls: "${TLS:-false}"}\n'), {})
      expect(off.chaincode.tls.enabled).to.equal(false)
      const bad = await loadError('name: kv\nversion: "1"\nchaincode:\n  port: ${PORT}\n', {PORT: 'http'})
      expect(bad.message).to.match(/fabk8s\.yaml:4 chaincode\.port: must be a port number 1-65535, got "http"/)
    })

    it('nested defaults ${A:-${B:-x}} expand; `-` without colon keeps an empty value', async () => {
      expect(expandEnv('${A:-${B:-x}}', {}).value).to.equal('x')
      expect(expandEnv('${A:-${B:-x}}', {B: 'b'}).value).to.equal('b')
      expect(expandEnv('${A:-${B:-x}}', {A: 'a', B: 'b'}).value).to.equal('a')
      expect(expandEnv('${A:-pre-${B}-post}', {B: 'b'}).value).to.equal('pre-b-post')
      expect(expandEnv('${A:-${B}}', {A: 'a'}).missing).to.deep.equal([])
      expect(expandEnv('${A:-${B}}', {}).missing).to.deep.equal(['B'])
      expect(expandEnv('${A-x}', {A: ''}).value).to.equal('')
      expect(expandEnv('${A:-x}', {A: ''}).value).to.equal('x')
      expect(expandEnv('${A:-x', {}).error).to.match(/unterminated/)
      const p = await loadProject(await project('name: kv\nversion: "${V:-${W:-3.0}}"\n'), {})
      expect(p.version).to.equal('3.0')
      const e = await loadError('name: kv\nversion: "${V:-1"\n')
      expect(e.message).to.match(/fabk8s\.yaml:2 version: unterminated \$\{V/)
    })

    it('a version that cannot be an image tag is blamed on version (exit 3), not on the derived image', async () => {
      const e = await loadError('name: kv\nversion: "1.0+build.7"\n')
      expect(e.exitCode).to.equal(3)
      expect(e.message).to.match(/fabk8s\.yaml:2 version: "1\.0\+build\.7" cannot be an image tag/)
      expect(e.message).to.not.match(/image:/)
      // with an explicit image the version only needs to fit the label rule
      const p = await loadProject(await project('name: kv\nversion: "1.0+build.7"\nimage: kv:1.0-build.7\n'), {})
      expect(p.label).to.equal('kv_1.0+build.7')
    })

    it('ports outside 1-65535 in addresses, and over-long namespaces and names, are errors', async () => {
      const text = `name: kv
version: "1"
kubernetes: {namespace: ${'n'.repeat(64)}}
chaincode: {address: "kv.svc:99999"}
network:
  channel: ${'c'.repeat(250)}
  orderer: {address: "o:0", tlsCACert: o.pem}
  orgs:
    - mspId: Org1MSP
      mspPath: msp
      peers: [{address: "p:65536", tlsCACert: p.pem}]
`
      const e = await loadError(text)
      expect(e.message).to.match(/:3 kubernetes\.namespace: must be at most 63 characters/)
      expect(e.message).to.match(/:4 chaincode\.address: .*port 1-65535, got "kv\.svc:99999"/)
      expect(e.message).to.match(/:6 network\.channel: must be at most 249 characters/)
      expect(e.message).to.match(/:7 network\.orderer\.address: .*port 1-65535, got "o:0"/)
      expect(e.message).to.match(/:11 network\.orgs\[0\]\.peers\[0\]\.address: .*port 1-65535, got "p:65536"/)
      const ok = await loadProject(await project('name: kv\nversion: "1"\nchaincode: {address: "h:65535"}\n'), {})
      expect(ok.chaincode.address).to.equal('h:65535')
    })
  })

  it('a missing or empty network.orderer, or a network that is not a mapping, is one clear line each', async () => {
    const orgs = `  orgs:
    - mspId: Org1MSP
      mspPath: msp
      peers: [{address: "p:7051", tlsCACert: p.pem}]
`
    const errors = (e: FabError) =>
      (e.detail as {errors: string[]}).errors.map((l) => l.replace(/^.*fabk8s\.yaml/, 'fabk8s.yaml'))
    const missing = await loadError(`name: kv\nversion: "1"\nnetwork:\n  channel: mychannel\n${orgs}`)
    expect(errors(missing)).to.deep.equal(['fabk8s.yaml:4 network.orderer: required: {address, tlsCACert}'])
    const empty = await loadError(`name: kv\nversion: "1"\nnetwork:\n  orderer:\n${orgs}`)
    expect(errors(empty)).to.deep.equal(['fabk8s.yaml:4 network.orderer: required: {address, tlsCACert}'])
    const peer = await loadError(
      `name: kv\nversion: "1"\nnetwork:\n  orderer: {address: "o:7050", tlsCACert: o.pem}\n  orgs:\n    - mspId: A\n      mspPath: m\n      peers: [~]\n`,
    )
    expect(errors(peer)).to.deep.equal([
      'fabk8s.yaml:8 network.orgs[0].peers[0]: must be a mapping with address and tlsCACert, got an empty value',
    ])
    const scalar = await loadError('name: kv\nversion: "1"\nnetwork: mychannel\n')
    expect(errors(scalar)).to.deep.equal([
      'fabk8s.yaml:3 network: must be a mapping (channel, orderer, orgs), got string',
    ])
  })

  it('an org listed twice (the same mspId) is an error naming both entries, not an access-denied at the peer', async () => {
    const e = await loadError(`name: kv
version: "1"
network:
  orderer: {address: "o:7050", tlsCACert: o.pem}
  orgs:
    - mspId: Org1MSP
      mspPath: org1/msp
      peers: [{address: "p1:7051", tlsCACert: p1.pem}]
    - mspId: Org1MSP
      mspPath: org2/msp
      peers: [{address: "p2:9051", tlsCACert: p2.pem}]
`)
    expect(e.exitCode).to.equal(3)
    expect(e.message).to.match(
      /fabk8s\.yaml:9 network\.orgs\[1\]\.mspId: "Org1MSP" is also network\.orgs\[0\]\.mspId: list each org once/,
    )
  })

  describe('hostile files (issue 12, items 10 and 13)', () => {
    it('an alias bomb is exit 3 naming the file and the alias limit', async () => {
      const levels = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
      for (const [i, n] of ['b', 'c', 'd', 'e', 'f', 'g'].entries()) {
        const prev = 'abcdefg'[i]
        levels.push(`${n}: &${n} [${Array.from({length: 9}, () => `*${prev}`).join(',')}]`)
      }

      const e = await loadError(`${levels.join('\n')}\nname: [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n`)
      expect(e.exitCode).to.equal(3)
      expect(e.message).to.match(/fabk8s\.yaml:\d+ too many YAML aliases \(the limit is \d+\)/)
      expect(e.hint).to.not.match(/bug/)
    })

    it('a binary file gives one short error', async () => {
      const bytes = Buffer.alloc(200_000)
      for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919 + 13) % 256
      const dir = await mkdtemp(path.join(tmpdir(), 'fabk8s-proj-'))
      await writeFile(path.join(dir, 'fabk8s.yaml'), bytes)
      const r = await runCli(['lifecycle', 'package', '-p', dir])
      expect(r.code).to.equal(3)
      expect(r.stderr.split('\n').filter(Boolean)).to.have.length.at.most(2)
      expect(r.stderr).to.match(/fabk8s\.yaml: not a text file/)
      expect(r.stderr.length).to.be.below(500)
    })

    it('several YAML documents: says it must be one, in our words', async () => {
      const e = await loadError('name: kv\nversion: "1"\n---\nname: other\n')
      expect(e.message).to.match(/fabk8s\.yaml:3 fabk8s\.yaml holds several YAML documents; it must be one/)
      expect(e.message).to.not.match(/parseAllDocuments/)
    })

    it('a value with control characters is an error, so none can reach output later (exit 3)', async () => {
      const e = await loadError(
        'name: kv\nversion: "1"\nchaincode: {address: "kv\\e]0;pwned\\a.svc:9999"}\nkubernetes: {context: "a\\u009bb"}\n',
      )
      expect(e.message).to.match(
        /:3 chaincode\.address: must not hold control characters, got "kv\\u001b]0;pwned\\u0007\.svc:9999"/,
      )
      expect(e.message).to.match(/:4 kubernetes\.context: must not hold control characters/)
      const ok = await loadProject(
        await project('name: kv\nversion: "1"\ndefinition:\n  signaturePolicy: |\n    OR(\n    \t\'A.peer\')\n'),
        {},
      )
      expect(ok.definition.signaturePolicy).to.include('\n')
    })

    it('control characters from values and keys are escaped in terminal output and in messages', async () => {
      const dir = await mkdtemp(path.join(tmpdir(), 'fabk8s-proj-'))
      await writeFile(
        path.join(dir, 'fabk8s.yaml'),
        'name: kv\nversion: "1"\nimage: "\\e[31mRED\\e]0;title\\a"\n"x\\e[2J": 1\nlabel: "\\u009b31m"\n',
      )
      const r = await runCli(['lifecycle', 'package', '-p', dir])
      expect(r.code).to.equal(3)
      // eslint-disable-next-line no-control-regex
      expect(r.stderr).to.not.match(/[\u0000-\u0009\u000B-\u001F\u007F-\u009F]/)
      expect(r.stderr).to.include(String.raw`\u001b[31mRED`)
      expect(r.stderr).to.include(String.raw`x\u001b[2J: unknown key`)
    })
  })

  describe('~ in paths: the home folder, as the shell expands it', () => {
    let home: string
    let saved: string | undefined

    beforeEach(async () => {
      // os.homedir() reads HOME on POSIX: a home of the test's own, whatever the machine's
      home = await mkdtemp(path.join(tmpdir(), 'fabk8s-home-'))
      saved = process.env.HOME
      process.env.HOME = home
    })

    afterEach(() => {
      if (saved === undefined) delete process.env.HOME
      else process.env.HOME = saved
    })

    const network = (mspPath: string, ca = 'crypto/peer.pem') => `network:
  orderer: {address: "orderer:7050", tlsCACert: crypto/orderer.pem}
  orgs:
    - mspId: Org1MSP
      mspPath: ${mspPath}
      peers: [{address: "peer0:7051", tlsCACert: ${ca}}]
`

    it('~/ and ~ in every path field are the home folder; other paths stay relative to the file', async () => {
      const test = '~/fabric-samples/test-network/organizations'
      const file = await project(`name: kv
version: "1"
chaincode:
  tls: {cert: ~/tls/server.crt, key: ~/tls/server.key, rootCert: ~/tls/ca.crt, clientCert: ~/tls/client.crt, clientKey: "~"}
definition:
  collectionsConfig: ~/collections.json
network:
  orderer: {address: "orderer:7050", tlsCACert: ${test}/ordererOrganizations/example.com/tlsca/tlsca.example.com-cert.pem}
  orgs:
    - mspId: Org1MSP
      mspPath: ${test}/peerOrganizations/org1.example.com/users/Admin@org1.example.com/msp
      peers: [{address: "peer0:7051", tlsCACert: "\${CA:-~/org1-ca.pem}"}]
    - mspId: Org2MSP
      mspPath: ./~/msp
      peers: [{address: "peer0:9051", tlsCACert: a/~/ca.pem}]
`)
      const dir = path.dirname(file)
      const p = await loadProject(file, {})
      const organizations = path.join(home, 'fabric-samples/test-network/organizations')
      expect(p.chaincode.tls).to.deep.include({
        cert: path.join(home, 'tls/server.crt'),
        clientCert: path.join(home, 'tls/client.crt'),
        clientKey: home,
        key: path.join(home, 'tls/server.key'),
        rootCert: path.join(home, 'tls/ca.crt'),
      })
      expect(p.definition.collectionsConfig).to.equal(path.join(home, 'collections.json'))
      expect(p.network!.orderer.tlsCACert).to.equal(
        path.join(organizations, 'ordererOrganizations/example.com/tlsca/tlsca.example.com-cert.pem'),
      )
      expect(p.network!.orgs[0].mspPath).to.equal(
        path.join(organizations, 'peerOrganizations/org1.example.com/users/Admin@org1.example.com/msp'),
      )
      // after ${VAR} expansion too (a default written ~/…)
      expect(p.network!.orgs[0].peers[0].tlsCACert).to.equal(path.join(home, 'org1-ca.pem'))
      // a folder of the project named ~: ./~ (and ~ not at the start is no home)
      expect(p.network!.orgs[1].mspPath).to.equal(path.join(dir, '~/msp'))
      expect(p.network!.orgs[1].peers[0].tlsCACert).to.equal(path.join(dir, 'a/~/ca.pem'))
    })

    it('the default TLS files stay in the project folder', async () => {
      const file = await project('name: kv\nversion: "1"\nchaincode: {tls: true}\n')
      const p = await loadProject(file, {})
      expect(p.chaincode.tls.cert).to.equal(path.join(path.dirname(file), 'tls/server.crt'))
    })

    it('an MSP folder under ~/ that is missing is named expanded, with its field', async () => {
      const p = await loadProject(await project(`name: kv\nversion: "1"\n${network('~/missing/msp')}`), {})
      const e = await loadIdentity(p.network!.orgs[0]).catch((error: unknown) => error)
      expect(e).to.be.instanceOf(FabError)
      expect((e as FabError).message).to.equal(
        `network.orgs[Org1MSP].mspPath: no signcerts folder in ${path.join(home, 'missing/msp')}`,
      )
      expect((e as FabError).exitCode).to.equal(3)
    })

    it("~user/… (another user's home) is exit 3, one line naming file, line and field", async () => {
      const e = await loadError(
        `name: kv\nversion: "1"\ndefinition: {collectionsConfig: ~bob/c.json}\n${network('~bob/msp', '"~root"')}`,
      )
      expect(e.exitCode).to.equal(3)
      // the file is named relative to the current folder
      const lines = e.message.split('\n').map((l) => l.slice(l.indexOf('fabk8s.yaml:')))
      expect(lines).to.deep.equal([
        'fabk8s.yaml:3 definition.collectionsConfig: "~bob/c.json": only ~ and ~/ (your home folder) are expanded, not ~user; write the full path, or "./~bob/c.json" for a folder of the project',
        'fabk8s.yaml:8 network.orgs[0].mspPath: "~bob/msp": only ~ and ~/ (your home folder) are expanded, not ~user; write the full path, or "./~bob/msp" for a folder of the project',
        'fabk8s.yaml:9 network.orgs[0].peers[0].tlsCACert: "~root": only ~ and ~/ (your home folder) are expanded, not ~user; write the full path, or "./~root" for a folder of the project',
      ])
    })
  })
})
