import {expect} from 'chai'
import {mkdir, mkdtemp, writeFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {pathToFileURL} from 'node:url'

import type {Finding, Report} from '../../../src/lib/doctor/types.js'

import {renderJson} from '../../../src/lib/doctor/report/json.js'
import {renderJunit} from '../../../src/lib/doctor/report/junit.js'
import {sarifDocument} from '../../../src/lib/doctor/report/sarif.js'
import {renderText} from '../../../src/lib/doctor/report/text.js'
import {RULES} from '../../../src/lib/doctor/rules/index.js'
import {runDoctor} from '../../../src/lib/doctor/run.js'

const finding: Finding = {
  container: 'peer',
  file: 'k8s/peer.yaml',
  kind: 'Deployment',
  line: 12,
  message: 'Deployment fabric/peer0: container "peer" mounts <docker.sock> & more',
  name: 'peer0',
  namespace: 'fabric',
  remediation: 'Remove it.',
  rule: 'docker-socket-mount',
  severity: 'critical',
}

function report(findings: Finding[], errors: Report['errors'] = []): Report {
  const exitCode = errors.length > 0 ? 2 : findings.length > 0 ? 1 : 0
  return {
    checked: [],
    errors,
    findings,
    sources: [],
    summary: {
      bySeverity: {critical: findings.length, high: 0, info: 0, low: 0, medium: 0},
      errors: errors.length,
      exitCode,
      failOn: 'high',
      files: 1,
      findings: findings.length,
      objects: 1,
      source: 'files',
      suppressed: 0,
    },
    suppressed: 0,
  }
}

/** A small XML well-formedness check: balanced tags, quoted attributes, only known entities, one root. */
function assertWellFormedXml(xml: string): void {
  expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n')).to.equal(true)
  const body = xml.slice(xml.indexOf('?>') + 2)
  const stack: string[] = []
  let roots = 0
  const re = /<(\/?)([A-Za-z_][\w.-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>|([^<]+)|(<)/g
  let m: null | RegExpExecArray
  while ((m = re.exec(body)) !== null) {
    if (m[6]) throw new Error(`stray < at ${m.index}: ${body.slice(m.index, m.index + 40)}`)
    const text = m[5] ?? m[3] ?? ''
    for (const ent of text.match(/&[^;\s]*;?/g) ?? []) expect(ent).to.match(/^&(amp|lt|gt|quot|apos);$/)
    if (m[5]) {
      if (stack.length === 0) expect(m[5].trim()).to.equal('')
      continue
    }

    if (m[1]) expect(stack.pop(), `closing ${m[2]}`).to.equal(m[2])
    else if (!m[4]) {
      if (stack.length === 0) roots++
      stack.push(m[2])
    } else if (stack.length === 0) roots++
  }

  expect(stack).to.deep.equal([])
  expect(roots).to.equal(1)
}

describe('doctor reporters', () => {
  it('JSON is exactly {findings, errors, suppressed, summary} with the documented finding keys in order', () => {
    const doc = JSON.parse(renderJson(report([finding], [{file: 'bad.yaml', line: 3, message: 'invalid YAML: x'}])))
    expect(Object.keys(doc)).to.deep.equal(['findings', 'errors', 'suppressed', 'summary'])
    expect(Object.keys(doc.findings[0])).to.deep.equal([
      'rule',
      'severity',
      'kind',
      'name',
      'namespace',
      'container',
      'file',
      'line',
      'message',
      'remediation',
    ])
    expect(doc.findings[0]).to.deep.equal(finding)
    expect(doc.errors).to.deep.equal([{file: 'bad.yaml', line: 3, message: 'invalid YAML: x'}])
    expect(doc.summary).to.include({exitCode: 2, failOn: 'high', findings: 1})
    const nulls = JSON.parse(
      renderJson(report([{...finding, container: null, file: null, line: null, namespace: null}])),
    )
    expect(nulls.findings[0]).to.include({container: null, file: null, line: null, namespace: null})
  })

  it('SARIF 2.1.0: all rules with metadata, results with ruleIndex and file/line locations', () => {
    const s = sarifDocument(report([finding]), {cwd: '/repo', version: '1.2.3'}) as any
    expect(s.version).to.equal('2.1.0')
    expect(s.$schema).to.match(/sarif-2\.1\.0/)
    const run = s.runs[0]
    expect(run.tool.driver.name).to.equal('fabk8s doctor')
    expect(run.tool.driver.rules.map((r: any) => r.id)).to.deep.equal(RULES.map((r) => r.id))
    for (const r of run.tool.driver.rules) {
      expect(r.shortDescription.text).to.be.a('string').and.not.empty
      expect(r.fullDescription.text).to.be.a('string').and.not.empty
      expect(r.help.text).to.match(/^Remediation: /)
      expect(r.defaultConfiguration.level).to.be.oneOf(['error', 'warning', 'note'])
      expect(Number(r.properties['security-severity'])).to.be.within(0, 10)
    }

    const res = run.results[0]
    expect(res.ruleId).to.equal('docker-socket-mount')
    expect(run.tool.driver.rules[res.ruleIndex].id).to.equal('docker-socket-mount')
    expect(res.level).to.equal('error')
    expect(res.message.text).to.contain(finding.message)
    expect(res.locations[0].physicalLocation).to.deep.equal({
      artifactLocation: {uri: 'k8s/peer.yaml', uriBaseId: '%SRCROOT%'},
      region: {startLine: 12},
    })
    expect(res.locations[0].logicalLocations[0].fullyQualifiedName).to.equal('Deployment/fabric/peer0/peer')
  })

  it('SARIF uris are relative to the repository root when doctor runs in a subfolder of it', async () => {
    const repo = await mkdtemp(path.join(os.tmpdir(), 'doctor-sarif-repo-'))
    const sub = path.join(repo, 'deploy', 'k8s')
    await mkdir(path.join(repo, '.git'), {recursive: true})
    await mkdir(sub, {recursive: true})
    // `cd deploy/k8s && fabk8s doctor -f peer.yaml -f ../../other/cm.yaml --format sarif`
    const f2: Finding = {...finding, file: '../../other/cm.yaml', line: 3}
    const s = sarifDocument(report([{...finding, file: 'peer.yaml'}, f2]), {cwd: sub}) as any
    const uris = s.runs[0].results.map((r: any) => r.locations[0].physicalLocation.artifactLocation)
    expect(uris).to.deep.equal([
      {uri: 'deploy/k8s/peer.yaml', uriBaseId: '%SRCROOT%'},
      {uri: 'other/cm.yaml', uriBaseId: '%SRCROOT%'},
    ])
    expect(s.runs[0].originalUriBaseIds['%SRCROOT%'].uri).to.equal(pathToFileURL(repo).href + '/')
    // outside any repository: relative to the working folder, as before
    const plain = await mkdtemp(path.join(os.tmpdir(), 'doctor-sarif-plain-'))
    const p = sarifDocument(report([{...finding, file: 'peer.yaml'}]), {cwd: plain}) as any
    expect(p.runs[0].results[0].locations[0].physicalLocation.artifactLocation.uri).to.equal('peer.yaml')
  })

  it('SARIF partialFingerprints: one per result (same object in two files, two volumes), stable when lines move', () => {
    const hp: Finding = {...finding, line: 30, message: 'volume "a" is hostPath /a', rule: 'host-path', severity: 'low'}
    const findings: Finding[] = [
      finding,
      {...finding, file: 'k8s/prod/peer.yaml'}, // the same Deployment in an overlay
      hp,
      {...hp, line: 34, message: 'volume "b" is hostPath /b'}, // a second hostPath of the same container
    ]
    const prints = (fs: Finding[]) =>
      (sarifDocument(report(fs), {cwd: '/repo', root: '/repo'}) as any).runs[0].results.map(
        (r: any) => r.partialFingerprints.fabk8sObject,
      )
    const p = prints(findings)
    expect(new Set(p).size).to.equal(4)
    expect(prints(findings.map((f) => ({...f, line: (f.line ?? 0) + 7})))).to.deep.equal(p)
  })

  it('SARIF from a live cluster: every result has an artifact location (GitHub refuses an upload with one without)', () => {
    const live: Finding[] = [
      {...finding, file: null, line: null},
      {...finding, container: null, file: null, kind: 'FabricPeer', line: null, name: 'org1 peer', namespace: null},
    ]
    const [run] = (sarifDocument(report(live), {cwd: '/repo', root: '/repo'}) as any).runs
    const {results} = run
    expect(results.map((r: any) => r.locations[0].physicalLocation)).to.deep.equal([
      {artifactLocation: {uri: 'cluster/fabric/Deployment/peer0'}},
      {artifactLocation: {uri: 'cluster/FabricPeer/org1%20peer'}},
    ])
    expect(results[0].locations[0].logicalLocations).to.deep.equal([
      {fullyQualifiedName: 'Deployment/fabric/peer0/peer', kind: 'resource'},
    ])
  })

  it('SARIF has results: [] when clean, and input errors as tool notifications', () => {
    const clean = sarifDocument(report([])) as any
    expect(clean.runs[0].results).to.deep.equal([])
    expect(clean.runs[0].invocations[0].executionSuccessful).to.equal(true)
    const bad = sarifDocument(report([], [{file: 'x.yaml', line: 4, message: 'unparseable template'}]), {
      cwd: '/',
    }) as any
    expect(bad.runs[0].invocations[0].executionSuccessful).to.equal(false)
    expect(bad.runs[0].invocations[0].toolExecutionNotifications[0].message.text).to.equal('unparseable template')
  })

  it('JUnit XML is well-formed, escapes text, and fails objects at or above --fail-on', () => {
    const low: Finding = {...finding, line: 20, message: 'low one', rule: 'run-as-root', severity: 'low'}
    const xml = renderJunit(report([finding, low], [{file: 'bad.yaml', line: 2, message: 'invalid YAML: "x" < y'}]))
    assertWellFormedXml(xml)
    expect(xml).to.contain('&lt;docker.sock&gt; &amp; more')
    expect(xml).to.match(/<testsuites name="fabk8s doctor" tests="2" failures="1" errors="1">/)
    expect(xml).to.contain('<system-out>[low] run-as-root')
    assertWellFormedXml(renderJunit(report([])))
    expect(() => assertWellFormedXml('<?xml version="1.0" encoding="UTF-8"?>\n<a><b></a>')).to.throw()
  })

  it('text groups by object and ends with the summary and verdict', () => {
    const t = renderText(report([finding]))
    expect(t).to.contain('Deployment fabric/peer0')
    expect(t).to.contain('k8s/peer.yaml:12')
    expect(t).to.match(/critical\s+docker-socket-mount\s+peer\s+L12/)
    expect(t).to.contain('How to fix')
    expect(t).to.match(/1 finding .* 0 suppressed\nexit 1: findings at or above --fail-on high\n$/)
  })

  it('issue 12 #13: text escapes control characters that come from the data (names, messages, files, errors)', () => {
    const evil = 'peer\u001B]0;pwned\u0007\u001B[2J\r\u009B31m\u202Egnp.exe'
    const t = renderText(
      report(
        [
          {
            ...finding,
            container: evil,
            message: `Deployment fabric/${evil}: bad`,
            name: evil,
            namespace: 'fab\u001Bric',
          },
        ],
        [{file: `x\u001B[1m.yaml`, line: 1, message: `invalid YAML: ${evil}`}],
      ),
    )
    // eslint-disable-next-line no-control-regex -- the point of the test
    expect(t.replaceAll('\n', '')).to.not.match(/[\u0000-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/)
    expect(t).to.contain(String.raw`peer\x1b]0;pwned\x07\x1b[2J\r\x9b31m\u202egnp.exe`)
    expect(t).to.contain(String.raw`x\x1b[1m.yaml:1`)
  })

  it('issue 12 #15: JUnit has one testsuite per file read, clean ones included, and one testcase per object', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'doctor-junit-'))
    const pod = (name: string, priv: boolean) =>
      `apiVersion: v1\nkind: Pod\nmetadata: {name: ${name}, namespace: n}\nspec:\n  securityContext: {runAsNonRoot: true, runAsUser: 1}\n  containers: [{name: c, image: "a:1", securityContext: {privileged: ${priv}}}]\n`
    await writeFile(path.join(dir, 'a-clean.yaml'), `${pod('ok1', false)}---\n${pod('ok2', false)}`)
    await writeFile(path.join(dir, 'b-mixed.yaml'), `${pod('bad', true)}---\n${pod('ok3', false)}`)
    await writeFile(path.join(dir, 'c-values.yaml'), 'replicaCount: 1\n')
    const r = await runDoctor({files: [dir], noDefaultIgnoreFile: true})
    const xml = renderJunit(r)
    assertWellFormedXml(xml)
    const suites = [...xml.matchAll(/<testsuite name="([^"]+)" tests="(\d+)" failures="(\d+)"/g)].map((m) => [
      path.basename(m[1]),
      Number(m[2]),
      Number(m[3]),
    ])
    expect(suites).to.deep.equal([
      ['a-clean.yaml', 2, 0],
      ['b-mixed.yaml', 2, 1],
      ['c-values.yaml', 1, 0],
    ])
    const cases = [...xml.matchAll(/<testcase classname="[^"]+" name="([^"]+)"/g)].map((m) => m[1])
    expect(cases).to.deep.equal(['Pod n/ok1', 'Pod n/ok2', 'Pod n/bad', 'Pod n/ok3', 'no objects doctor checks'])
    expect(xml).to.match(/<testsuites name="fabk8s doctor" tests="5" failures="1" errors="0">/)
    expect(xml).to.contain('<skipped message="no Kubernetes objects, compose services or CI jobs in this file"/>')
  })
})
