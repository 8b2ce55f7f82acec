import {expect} from 'chai'
import {readFileSync} from 'node:fs'
import path from 'node:path'

import {buildPackage} from '../../../src/lib/fabric/package.js'
import {
  chaincodeEnv,
  formatManifests,
  type Manifest,
  packageIdLabel,
  readTlsFiles,
  renderManifests,
  TLS_DIR,
} from '../../../src/lib/kube/manifests.js'
import {cleanup, makeProject, project, pssRestrictedViolations, tmp} from './support.js'

type Any = any

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/

describe('kube manifests', () => {
  let dir: string

  before(() => {
    dir = tmp()
  })

  after(() => cleanup(dir))

  const render = async (tls: 'clientAuth' | 'off' | 'on', extra: {image?: string; name?: string} = {}) => {
    const d = makeProject(path.join(dir, `${tls}-${extra.name ?? 'kv'}`), {namespace: 'ns1', tls, ...extra})
    const p = await project(d)
    const {packageId} = await buildPackage(p)
    const manifests = renderManifests(p, {image: p.image, namespace: 'ns1', packageId, tls: await readTlsFiles(p)})
    const by = (k: string) => manifests.find((m) => m.kind === k) as Any
    return {by, manifests, p, packageId}
  }

  it('registry mode: the image by digest, IfNotPresent, imagePullSecrets from fabk8s.yaml (none without), still PSS restricted', async () => {
    const {by, p, packageId} = await render('off', {name: 'pull'})
    expect(by('Deployment').spec.template.spec.imagePullSecrets).to.equal(undefined)
    const digest = `localhost:5000/kv@sha256:${'ab'.repeat(32)}`
    const withSecrets = {...p, imagePull: {pullSecrets: ['ghcr-pull', 'other'], registry: 'localhost:5000'}}
    const ms = renderManifests(withSecrets, {image: digest, namespace: 'ns1', packageId})
    const d = ms.find((m) => m.kind === 'Deployment') as Any
    expect(d.spec.template.spec.imagePullSecrets).to.deep.equal([{name: 'ghcr-pull'}, {name: 'other'}])
    expect(d.spec.template.spec.containers[0]).to.include({image: digest, imagePullPolicy: 'IfNotPresent'})
    expect(pssRestrictedViolations(d.spec.template.spec)).to.deep.equal([])
  })

  it('renders Namespace, Service and Deployment in apply order, plus a TLS Secret only when TLS is on', async () => {
    const off = await render('off')
    expect(off.manifests.map((m) => m.kind)).to.deep.equal(['Namespace', 'Service', 'Deployment'])
    const on = await render('on')
    expect(on.manifests.map((m) => m.kind)).to.deep.equal(['Namespace', 'Secret', 'Service', 'Deployment'])
    expect(on.by('Secret').type).to.equal('kubernetes.io/tls')
    expect(Object.keys(on.by('Secret').data).sort()).to.deep.equal(['ca.crt', 'tls.crt', 'tls.key'])
    const cert = Buffer.from(on.by('Secret').data['tls.crt'], 'base64').toString()
    expect(cert).to.contain('BEGIN CERTIFICATE')
  })

  it('a NodePort service carries the fixed nodePort; the default is a ClusterIP without one', async () => {
    const {by, p, packageId} = await render('off')
    expect(by('Service').spec.type).to.equal('ClusterIP')
    expect(by('Service').spec.ports[0]).to.not.have.property('nodePort')
    const np = {...p, chaincode: {...p.chaincode, service: {nodePort: 30_999, type: 'NodePort' as const}}}
    const svc = renderManifests(np, {image: p.image, namespace: 'ns1', packageId}).find(
      (m) => m.kind === 'Service',
    ) as Any
    expect(svc.spec.type).to.equal('NodePort')
    expect(svc.spec.ports[0]).to.include({nodePort: 30_999, port: 9999, targetPort: 'chaincode'})
  })

  it('the pod spec passes Pod Security Standards "restricted"', async () => {
    for (const tls of ['off', 'on', 'clientAuth'] as const) {
      const {by} = await render(tls)
      const pod = by('Deployment').spec.template.spec
      expect(pssRestrictedViolations(pod), tls).to.deep.equal([])
      const c = pod.containers[0]
      expect(c.securityContext.readOnlyRootFilesystem).to.equal(true)
      expect(c.volumeMounts).to.deep.include({mountPath: '/tmp', name: 'tmp'})
      expect(pod.volumes.find((v: Any) => v.name === 'tmp').emptyDir).to.be.an('object')
      expect(c.securityContext.runAsUser).to.be.greaterThan(0)
      expect(pod.automountServiceAccountToken).to.equal(false)
    }
  })

  it('the PSS checker itself catches a violation (so the test above can fail)', () => {
    expect(pssRestrictedViolations({containers: [{name: 'x', securityContext: {}}]})).to.have.length.greaterThan(3)
  })

  it('TCP probes on the chaincode port, resources, IfNotPresent, and the Service targets the named port', async () => {
    const {by, p} = await render('off')
    const c = by('Deployment').spec.template.spec.containers[0]
    expect(c.readinessProbe.tcpSocket.port).to.equal('chaincode')
    expect(c.livenessProbe.tcpSocket.port).to.equal('chaincode')
    expect(c.ports[0]).to.include({containerPort: p.chaincode.port, name: 'chaincode'})
    expect(c.resources.requests).to.have.keys('cpu', 'memory')
    expect(c.resources.limits).to.have.keys('cpu', 'memory')
    expect(c.imagePullPolicy).to.equal('IfNotPresent')
    // the old pod stops only after kube-proxy has had time to move the Service to the new one (MIN_READY_SECONDS)
    expect(by('Deployment').spec.minReadySeconds).to.equal(2)
    const svc = by('Service')
    expect(svc.metadata.name).to.equal(p.name)
    expect(svc.spec.ports[0]).to.include({port: p.chaincode.port, targetPort: 'chaincode'})
    expect(svc.spec.selector).to.deep.equal(by('Deployment').spec.selector.matchLabels)
  })

  it('sets the CCaaS aliases for Node, Go and Java with the package ID (TLS off)', async () => {
    const {by, p, packageId} = await render('off')
    const env = Object.fromEntries(
      by('Deployment').spec.template.spec.containers[0].env.map((e: Any) => [e.name, e.value]),
    )
    const listen = `0.0.0.0:${p.chaincode.port}`
    expect(env).to.include({
      CHAINCODE_ID: packageId,
      CHAINCODE_SERVER_ADDRESS: listen,
      CHAINCODE_TLS_DISABLED: 'true',
      CORE_CHAINCODE_ADDRESS: listen,
      CORE_CHAINCODE_ID: packageId,
      CORE_CHAINCODE_ID_NAME: packageId,
    })
    expect(env).to.not.have.any.keys('CORE_CHAINCODE_TLS_CERT_FILE', 'CHAINCODE_TLS_KEY')
  })

  it('sets the TLS file variables for Node, Go and Java, client CA only with clientAuth, and mounts the Secret read-only', async () => {
    const on = await render('on')
    const envOn = Object.fromEntries(
      on.by('Deployment').spec.template.spec.containers[0].env.map((e: Any) => [e.name, e.value]),
    )
    expect(envOn).to.include({
      CHAINCODE_TLS_CERT: `${TLS_DIR}/tls.crt`,
      CHAINCODE_TLS_DISABLED: 'false',
      CHAINCODE_TLS_KEY: `${TLS_DIR}/tls.key`,
      CORE_CHAINCODE_TLS_CERT_FILE: `${TLS_DIR}/tls.crt`,
      CORE_CHAINCODE_TLS_KEY_FILE: `${TLS_DIR}/tls.key`,
      CORE_PEER_TLS_ENABLED: 'true',
      CORE_PEER_TLS_ROOTCERT_FILE: `${TLS_DIR}/ca.crt`,
      CORE_TLS_CLIENT_CERT_FILE: `${TLS_DIR}/tls.crt`,
      CORE_TLS_CLIENT_CERT_PATH: `${TLS_DIR}/tls.crt`,
      CORE_TLS_CLIENT_KEY_FILE: `${TLS_DIR}/tls.key`,
      CORE_TLS_CLIENT_KEY_PATH: `${TLS_DIR}/tls.key`,
    })
    expect(envOn).to.not.have.any.keys('CORE_CHAINCODE_TLS_CLIENT_CACERT_FILE', 'CHAINCODE_CLIENT_CA_CERT')
    const mount = on.by('Deployment').spec.template.spec.containers[0].volumeMounts.find((m: Any) => m.name === 'tls')
    expect(mount).to.deep.equal({mountPath: TLS_DIR, name: 'tls', readOnly: true})
    const vol = on.by('Deployment').spec.template.spec.volumes.find((v: Any) => v.name === 'tls')
    expect(vol.secret.secretName).to.equal(on.by('Secret').metadata.name)

    const ca = await render('clientAuth')
    const envCa = Object.fromEntries(
      ca.by('Deployment').spec.template.spec.containers[0].env.map((e: Any) => [e.name, e.value]),
    )
    expect(envCa).to.include({
      CHAINCODE_CLIENT_CA_CERT: `${TLS_DIR}/ca.crt`,
      CORE_CHAINCODE_TLS_CLIENT_CACERT_FILE: `${TLS_DIR}/ca.crt`,
    })
  })

  it('labels everything with name, managed-by, chaincode and a valid package-id label; the selector stays stable', async () => {
    const {manifests, p, packageId} = await render('on')
    for (const m of manifests.filter((x) => x.kind !== 'Namespace')) {
      expect(m.metadata.labels, m.kind).to.include({
        'app.kubernetes.io/managed-by': 'fabk8s',
        'app.kubernetes.io/name': p.name,
        'fabk8s.io/chaincode': p.name,
      })
      const v = m.metadata.labels!['fabk8s.io/package-id']
      expect(v.length).to.be.at.most(63)
      expect(v).to.match(LABEL_VALUE)
      expect(m.metadata.namespace).to.equal('ns1')
    }

    const d = manifests.find((m) => m.kind === 'Deployment') as Any
    expect(d.spec.selector.matchLabels).to.not.have.property('fabk8s.io/package-id')
    expect(d.spec.template.metadata.annotations['fabk8s.io/package-id']).to.equal(packageId)
  })

  it('packageIdLabel: dotted when short enough, else the package hash cut to 63', () => {
    expect(packageIdLabel('cc_1:abc')).to.equal('cc_1.abc')
    const long = `kv_1.0.0:${'a1'.repeat(32)}`
    expect(packageIdLabel(long)).to.equal('a1'.repeat(32).slice(0, 63))
    const weird = `${'x'.repeat(70)}:zz`
    expect(packageIdLabel(weird)).to.match(/^[a-f0-9]{63}$/)
  })

  it('a new package ID or image changes the pod template (that is what rolls the Deployment)', async () => {
    const {p, packageId} = await render('off')
    const tpl = (id: string, image: string) =>
      JSON.stringify((renderManifests(p, {image, namespace: 'ns1', packageId: id}).at(-1) as Any).spec.template)
    const base = tpl(packageId, 'a:1')
    expect(tpl(packageId, 'a:1')).to.equal(base)
    expect(tpl(packageId, 'a:2')).to.not.equal(base)
    expect(tpl(packageId.replace(/.$/, '0'), 'a:1')).to.not.equal(base)
  })

  it('chaincodeEnv listens on all interfaces at the configured port', async () => {
    const {p} = await render('off')
    const env = chaincodeEnv({...p, chaincode: {...p.chaincode, port: 7052}}, 'x:1')
    expect(env.find((e) => e.name === 'CHAINCODE_SERVER_ADDRESS')?.value).to.equal('0.0.0.0:7052')
  })

  it('formats as multi-document YAML and as a JSON List', async () => {
    const {manifests} = await render('on')
    const y = await formatManifests(manifests, 'yaml')
    const {parseAllDocuments} = await import('yaml')
    const docs = parseAllDocuments(y).map((d) => d.toJS() as Manifest)
    expect(docs).to.deep.equal(manifests)
    const j = JSON.parse(await formatManifests(manifests, 'json'))
    expect(j.kind).to.equal('List')
    expect(j.items).to.deep.equal(manifests)
  })

  it('readTlsFiles names the fabk8s.yaml field of a missing file', async () => {
    const {p} = await render('on', {name: 'missing'})
    const bad = {...p, chaincode: {...p.chaincode, tls: {...p.chaincode.tls, key: path.join(dir, 'nope.key')}}}
    const err = await readTlsFiles(bad).catch((error) => error)
    expect(err.code).to.equal('PROJECT')
    expect(err.message).to.contain('chaincode.tls.key').and.to.contain('nope.key')
  })

  it('readTlsFiles checks what goes into the Secret: the server certificate must match the server key', async () => {
    const {p} = await render('on', {name: 'mismatch'})
    const {tls} = p.chaincode
    expect(await readTlsFiles(p)).to.deep.equal({
      ca: readFileSync(tls.rootCert, 'utf8'),
      cert: readFileSync(tls.cert, 'utf8'),
      key: readFileSync(tls.key, 'utf8'),
    })
    const swapped = {...p, chaincode: {...p.chaincode, tls: {...tls, key: tls.clientKey}}}
    const err = await readTlsFiles(swapped).catch((error) => error)
    expect(err).to.include({code: 'PROJECT', exitCode: 3})
    expect(err.message).to.equal(`chaincode.tls.cert: ${tls.cert} does not match chaincode.tls.key (${tls.clientKey})`)
    const notCa = {...p, chaincode: {...p.chaincode, tls: {...tls, rootCert: tls.key}}}
    expect((await readTlsFiles(notCa).catch((error) => error)).message).to.equal(
      `chaincode.tls.rootCert: ${tls.key} is not a PEM certificate`,
    )
  })
})
