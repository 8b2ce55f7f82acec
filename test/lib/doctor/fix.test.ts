import {expect} from 'chai'
import {cpSync, mkdtempSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {parseAllDocuments} from 'yaml'

import {FIXED_RULES} from '../../../src/lib/doctor/fix/plan.js'
import {besidePath, LISTED_RULES, runFix} from '../../../src/lib/doctor/fix/run.js'
import {renderFix} from '../../../src/lib/doctor/report/fix.js'
import {runDoctor} from '../../../src/lib/doctor/run.js'
import {onlyDiffLinesChanged, patched} from './fix/helpers.js'
import {CORPUS, corpusMissing, ROOT} from './helpers.js'

const PEER = `# peer of org1 — comments, key order and quoting stay
apiVersion: apps/v1
kind: Deployment
metadata: {name: org1-peer0, namespace: fabric}
spec:
  template:
    spec:
      containers:
        - name: peer   # the peer
          image: hyperledger/fabric-peer:2.5
          envFrom:
            - configMapRef: {name: peer-env}
          env:
            - name: CORE_PEER_ID
              value: 'peer0.org1'
          securityContext:
            privileged: true
          volumeMounts:
            - name: docker-sock
              mountPath: /host/var/run/docker.sock
            - name: data
              mountPath: /var/hyperledger
        - name: dind
          image: docker:24-dind
          securityContext: {privileged: true}
          volumeMounts:
            - {name: dind-storage, mountPath: /var/lib/docker}
      volumes:
        - name: docker-sock
          hostPath: {path: /var/run/docker.sock}
        - name: dind-storage
          emptyDir: {}
        - name: data
          emptyDir: {}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: peer-env, namespace: fabric}
data:
  CORE_VM_ENDPOINT: unix:///host/var/run/docker.sock   # set by the old chart
  CORE_PEER_LOCALMSPID: Org1MSP
---
apiVersion: v1
kind: ConfigMap
metadata: {name: peer-core, namespace: fabric}
data:
  core.yaml: |
    peer:
      id: x
    vm:
      endpoint: unix:///var/run/docker.sock
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: org2-peer0}
spec:
  template:
    spec:
      containers:
      - command: [peer, node, start]
        image: example/peer:1
        name: peer
        volumeMounts:
        - {mountPath: /etc/hyperledger/fabric, name: core}
      volumes:
      - configMap: {name: peer-core}
        name: core
---
apiVersion: v1
kind: Pod
metadata: {name: log-shipper}
spec:
  containers:
  - name: shipper
    image: fluent/fluent-bit:2
    volumeMounts: [{name: sock, mountPath: /var/run/docker.sock}]
  volumes:
  - name: sock
    hostPath: {path: /var/run/docker.sock}
`

describe('doctor --fix (issue 14 #3)', () => {
  it('own fixture: socket, DinD, envFrom ConfigMap, core.yaml, privileged fixed; a non-Fabric socket user listed, not touched', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'doctor-fix-'))
    const file = path.join(dir, 'peer.yaml')
    writeFileSync(file, PEER)
    const r = await runFix({files: [file], mode: 'beside', noDefaultIgnoreFile: true})
    const out = readFileSync(besidePath(file), 'utf8')
    expect(readFileSync(file, 'utf8')).to.equal(PEER) // the original stays
    for (const d of parseAllDocuments(out) as unknown as {errors: unknown[]}[]) expect(d.errors).to.deep.equal([])
    expect(out).to.not.match(/docker\.sock\n[\s\S]*kind: ConfigMap/) // the peer's socket mount and volume are gone
    expect(out).to.not.include('docker:24-dind')
    expect(out).to.not.include('dind-storage')
    expect(out).to.include('  CORE_VM_ENDPOINT: ""   # set by the old chart')
    expect(out).to.include('      endpoint: ""\n')
    expect(out).to.include('value: \'{"peername":"peer0.org1"}\'')
    expect(out).to.include('privileged: false')
    expect(out).to.include('# peer of org1 — comments, key order and quoting stay')
    // the non-Fabric log shipper keeps its socket, listed with the reason
    expect(out).to.include('volumeMounts: [{name: sock, mountPath: /var/run/docker.sock}]')
    expect(r.notFixed.map((n) => [n.rule, n.name])).to.deep.equal([['docker-socket-mount', 'log-shipper']])
    expect(r.notFixed[0].reason).to.match(/not a Fabric container/)
    // doctor on the output: only the log shipper's finding among the fixed rules
    const again = await runDoctor({failOn: 'none', files: [besidePath(file)], noDefaultIgnoreFile: true})
    const fixedRules = new Set<string>(FIXED_RULES)
    expect(again.findings.filter((f) => fixedRules.has(f.rule)).map((f) => `${f.rule} ${f.name}`)).to.deep.equal([
      'docker-socket-mount log-shipper',
    ])
    // the diff says exactly what changed: applied with patch(1) to the original it gives the output
    const d = await runFix({files: [file], mode: 'diff', noDefaultIgnoreFile: true})
    expect(patched(dir, file, d.files[0].diff)).to.equal(out)
    onlyDiffLinesChanged(PEER, out, d.files[0].diff)
  })

  it("README's walk-through: the builder env lands where the emptied volumeMounts key was removed", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'doctor-fix-walk-'))
    const file = path.join(dir, 'peer.yaml')
    cpSync(path.join(ROOT, 'test', 'fixtures', 'doctor', 'fix-walkthrough-peer.yaml'), file)
    const r = await runFix({files: [file], mode: 'in-place', noDefaultIgnoreFile: true})
    const out = readFileSync(file, 'utf8')
    expect(out).to.include(
      `            - name: CORE_VM_ENDPOINT\n              value: ""\n            - name: CORE_CHAINCODE_EXTERNALBUILDERS\n`,
    )
    expect(out).to.include(`value: '{"peername":"peer0.org1"}'\n`)
    expect(out).to.not.match(/volumeMounts|volumes|docker\.sock/)
    expect(r.fixes.map((f) => f.rule).sort()).to.deep.equal([
      'docker-socket-mount',
      'docker-socket-mount',
      'peer-no-external-builder',
      'peer-vm-endpoint',
    ])
  })

  it('shared corpus: output parses, re-running doctor shows none of the fixed rules except those listed, the diff is the whole change', async function () {
    const missing = corpusMissing()
    if (missing) {
      console.log(`      skipped: ${missing}`)
      this.skip()
    }

    const dir = mkdtempSync(path.join(os.tmpdir(), 'doctor-fix-corpus-'))
    cpSync(CORPUS, path.join(dir, 'c'), {recursive: true})
    const src = path.join(dir, 'c')
    const diffRun = await runFix({files: [src], mode: 'diff', noDefaultIgnoreFile: true})
    expect(readdirSync(src).some((f) => f.includes('.fixed.'))).to.equal(false) // --diff writes nothing
    const r = await runFix({files: [src], mode: 'in-place', noDefaultIgnoreFile: true})
    expect(r.summary.filesChanged).to.be.greaterThan(3)
    expect(r.fixes.map((f) => f.rule)).to.include.members(['dind-sidecar', 'docker-socket-mount', 'peer-vm-endpoint'])
    for (const f of r.files) {
      const after = readFileSync(f.file, 'utf8')
      for (const d of parseAllDocuments(after) as unknown as {errors: unknown[]}[])
        expect(d.errors, f.file).to.deep.equal([])
      const before = readFileSync(path.join(CORPUS!, path.basename(f.file)), 'utf8')
      const {diff} = diffRun.files.find((x) => x.file === f.file)!
      expect(patched(dir, path.join(CORPUS!, path.basename(f.file)), diff), f.file).to.equal(after)
      onlyDiffLinesChanged(before, after, diff)
    }

    const again = await runDoctor({failOn: 'none', files: [src], noDefaultIgnoreFile: true})
    const listedRules = new Set<string>(LISTED_RULES)
    const remaining = again.findings.filter((f) => listedRules.has(f.rule)).map((f) => `${f.file}:${f.line} ${f.rule}`)
    expect(remaining.sort()).to.deep.equal(r.notFixed.map((f) => `${f.file}:${f.line} ${f.rule}`).sort())
    for (const n of r.notFixed) expect(n.reason, `${n.file}:${n.line}`).to.be.a('string').and.not.equal('')
    // unchanged files are byte for byte the same
    const changed = new Set(r.files.map((f) => path.basename(f.file)))
    for (const f of readdirSync(CORPUS!))
      if (!changed.has(f))
        expect(readFileSync(path.join(src, f), 'utf8'), f).to.equal(readFileSync(path.join(CORPUS!, f), 'utf8'))
  })

  it('a file with CRLF line breaks stays CRLF throughout, and the printed --diff applies to it with patch(1)', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'doctor-fix-crlf-'))
    const file = path.join(dir, 'peer.yaml')
    const lf = [
      'apiVersion: v1',
      'kind: Pod',
      'metadata: {name: p0}',
      'spec:',
      '  containers:',
      '  - volumeMounts:', // the item's first key: its value becomes []
      '    - name: sock',
      '      mountPath: /host/var/run/docker.sock',
      '    name: peer',
      '    image: hyperledger/fabric-peer:2.5',
      '    env:',
      '    - name: CORE_PEER_ID',
      '      value: peer0',
      '    - name: CORE_VM_ENDPOINT',
      '      value: unix:///host/var/run/docker.sock',
      '  volumes:',
      '  - name: sock',
      '    hostPath: {path: /var/run/docker.sock}',
      '',
    ].join('\n')
    writeFileSync(file, lf.replaceAll('\n', '\r\n'))
    const d = await runFix({files: [file], mode: 'diff', noDefaultIgnoreFile: true})
    const r = await runFix({files: [file], mode: 'beside', noDefaultIgnoreFile: true})
    expect(r.fixes.map((f) => f.rule)).to.include.members(['docker-socket-mount', 'peer-no-external-builder'])
    const out = readFileSync(besidePath(file), 'utf8')
    expect(out).to.contain('  - volumeMounts: []\r\n')
    const lines = out.split('\n').slice(0, -1)
    expect(lines.filter((l) => !l.endsWith('\r'))).to.deep.equal([])
    // the text report prints the diff with its CRs (they are not control characters to escape there)
    const printed = renderFix(d)
    expect(printed.startsWith(d.files[0].diff)).to.equal(true)
    expect(patched(dir, file, printed.slice(0, d.files[0].diff.length))).to.equal(out)
  })

  it('a Fabric operator resource asking for the socket is listed as not fixed with the reason, not only counted', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'doctor-fix-cr-'))
    const file = path.join(dir, 'peer-cr.yaml')
    writeFileSync(
      file,
      'apiVersion: hlf.kungfusoftware.es/v1alpha1\nkind: FabricPeer\nmetadata: {name: peer2-org1}\nspec:\n  dockerSocketPath: "/var/run/docker.sock"\n',
    )
    const r = await runFix({files: [file], mode: 'beside', noDefaultIgnoreFile: true})
    expect(r.summary.exitCode).to.equal(1) // high, and --fix does not change it
    expect(r.notFixed.map((n) => `${n.rule}@${n.name}:${n.line}`)).to.deep.equal([
      'operator-docker-socket@peer2-org1:5',
    ])
    expect(r.notFixed[0].reason).to.match(/operator resource.*by hand/)
    expect(r.otherFindings).to.equal(0)
    expect(readdirSync(dir)).to.deep.equal(['peer-cr.yaml'])
  })

  it('the other findings that keep the exit code at 1 are named with their remediation, not only counted', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'doctor-fix-others-'))
    const file = path.join(dir, 'peer.yaml')
    writeFileSync(
      file,
      [
        'apiVersion: apps/v1',
        'kind: Deployment',
        'metadata: {name: peer0, namespace: fabric}',
        'spec:',
        '  template:',
        '    spec:',
        '      hostNetwork: true',
        '      containers:',
        '        - name: peer',
        '          image: hyperledger/fabric-peer:2.5',
        '          env: [{name: CORE_VM_ENDPOINT, value: "unix:///host/var/run/docker.sock"}]',
        '          volumeMounts: [{name: sock, mountPath: /host/var/run/docker.sock}]',
        '      volumes:',
        '        - {name: sock, hostPath: {path: /var/run/docker.sock}}',
        '',
      ].join('\n'),
    )
    const r = await runFix({files: [file], mode: 'diff', noDefaultIgnoreFile: true})
    expect(r.fixes.length).to.be.greaterThan(0)
    expect(r.summary.exitCode).to.equal(1)
    const high = r.others.filter((o) => o.severity === 'high' || o.severity === 'critical')
    expect(high.map((o) => o.rule)).to.deep.equal(['host-namespaces'])
    expect(r.otherFindings).to.equal(r.others.length)
    const lines = renderFix(r).split('\n')
    const other = lines.filter((l) => l.startsWith('other '))
    // only those at or above --fail-on (high): the low ones (run-as-root) stay in the count and in --json
    expect(other).to.have.length(1)
    expect(other[0]).to.match(new RegExp(`^other ${file}:7 \\[host-namespaces\\] .* — not --fix's to change: `))
    const low = await runFix({failOn: 'low', files: [file], mode: 'diff', noDefaultIgnoreFile: true})
    expect(
      renderFix(low)
        .split('\n')
        .filter((l) => l.startsWith('other ')).length,
    ).to.equal(low.others.length)
  })

  it('a container that merges another (<<: *peer): the anchor is fixed, what only the merge brings is listed, never a crash', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'doctor-fix-merge-'))
    const file = path.join(dir, 'peer.yaml')
    writeFileSync(
      file,
      [
        'apiVersion: apps/v1',
        'kind: Deployment',
        'metadata: {name: peer0}',
        'spec:',
        '  template:',
        '    spec:',
        '      containers:',
        '        - &peer',
        '          name: peer',
        '          image: hyperledger/fabric-peer:2.5',
        '          env:',
        '            - name: CORE_VM_ENDPOINT',
        '              value: unix:///host/var/run/docker.sock',
        '          volumeMounts:',
        '            - {name: sock, mountPath: /host/var/run/docker.sock}',
        '        - <<: *peer',
        '          name: peer-b',
        '      volumes:',
        '        - name: sock',
        '          hostPath: {path: /var/run/docker.sock}',
        '',
      ].join('\n'),
    )
    const r = await runFix({files: [file], mode: 'diff', noDefaultIgnoreFile: true})
    expect(r.errors).to.deep.equal([])
    expect(r.fixes.map((f) => [f.rule, f.container])).to.deep.include(['peer-vm-endpoint', 'peer'])
    const mounts = r.notFixed.filter((n) => n.rule === 'docker-socket-mount')
    expect(mounts.map((n) => n.container).sort()).to.deep.equal(['peer', 'peer-b'])
    for (const n of mounts)
      expect(n.reason).to.match(/volumeMounts of container "peer-b" may come from a `<<` merge key/)
  })

  it('compose: a service whose volumes come from a `<<` merge is listed as such, not as "not a list"', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'doctor-fix-merge-'))
    const file = path.join(dir, 'docker-compose.yaml')
    writeFileSync(
      file,
      'x-peer: &peer\n  image: hyperledger/fabric-peer:2.5\n  volumes:\n    - /var/run/:/host/var/run/\nservices:\n  peer0:\n    <<: *peer\n',
    )
    const r = await runFix({files: [file], mode: 'diff', noDefaultIgnoreFile: true})
    expect(r.errors).to.deep.equal([])
    const sock = r.notFixed.find((n) => n.rule === 'docker-socket-mount')
    expect(sock?.reason).to.match(/volumes of service "peer0" may come from a `<<` merge key/)
  })
})
