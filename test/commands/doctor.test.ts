import {expect} from 'chai'
import {spawnSync} from 'node:child_process'
import {existsSync} from 'node:fs'
import {chmod, mkdir, mkdtemp, readdir, readFile, writeFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

import {CORPUS} from '../lib/doctor/helpers.js'
import {BIN, json, ROOT, runCli} from '../support/cli.js'

const F = (n: string) => path.join(CORPUS, n)

const CLEAN = `apiVersion: apps/v1
kind: Deployment
metadata: {name: cc, namespace: fabric}
spec:
  template:
    spec:
      securityContext: {runAsNonRoot: true, runAsUser: 1000}
      containers:
        - name: cc
          image: registry.local/cc:1.0
          env: [{name: CHAINCODE_SERVER_ADDRESS, value: "0.0.0.0:9999"}, {name: CHAINCODE_ID, value: "cc:abc"}]
          readinessProbe: {tcpSocket: {port: 9999}}
`
const LOW_ONLY = CLEAN.replace('securityContext: {runAsNonRoot: true, runAsUser: 1000}', 'securityContext: {}')

describe('fabk8s doctor (command)', () => {
  let dir: string

  before(async function () {
    if (!existsSync(path.join(ROOT, 'dist', 'commands', 'doctor.js'))) {
      console.log('    skipped: dist/commands/doctor.js missing; run npx tsc -p tsconfig.json first')
      this.skip()
    }

    dir = await mkdtemp(path.join(os.tmpdir(), 'doctor-cmd-'))
    await writeFile(path.join(dir, 'clean.yaml'), CLEAN)
    await writeFile(path.join(dir, 'low.yaml'), LOW_ONLY)
  })

  const corpus = function (this: Mocha.Context) {
    if (!existsSync(CORPUS)) {
      console.log(`    skipped: doctor corpus not found at ${CORPUS}`)
      this.skip()
    }
  }

  it('exit 0 on a clean manifest, with a summary line', async () => {
    const r = await runCli(['doctor', '-f', path.join(dir, 'clean.yaml')], {cwd: dir})
    expect(r.code, r.stderr).to.equal(0)
    expect(r.stdout).to.contain('no findings in 1 object from 1 file')
  })

  it('--fail-on decides between 0 and 1 for low findings', async () => {
    const low = path.join(dir, 'low.yaml')
    expect((await runCli(['doctor', '-f', low], {cwd: dir})).code).to.equal(0)
    expect((await runCli(['doctor', '-f', low, '--fail-on', 'low'], {cwd: dir})).code).to.equal(1)
    expect((await runCli(['doctor', '-f', low, '--fail-on', 'none'], {cwd: dir})).code).to.equal(0)
  })

  it('exit 1 with findings at or above high; --json prints exactly one document of the documented shape', async function () {
    corpus.call(this)
    const r = await runCli(['doctor', '-f', F('06-ibm-bnok-peersDeployment.yaml'), '--json'], {cwd: dir})
    expect(r.code, r.stderr).to.equal(1)
    const doc = json<any>(r)
    expect(Object.keys(doc)).to.deep.equal(['findings', 'errors', 'suppressed', 'summary'])
    expect(doc.findings.filter((f: any) => f.rule === 'docker-socket-mount')).to.have.length(4)
    expect(doc.summary.exitCode).to.equal(1)
  })

  it('exit 2 when an input is a raw template (2 wins over findings), error in "errors" with file:line', async function () {
    corpus.call(this)
    const tpl = F('11-ibm-container-service-helm-org1peer1.tpl.yaml')
    const r = await runCli(['doctor', '-f', F('12-feitnomore-fabric-tools-pod.yaml'), '-f', tpl, '--json'], {cwd: dir})
    expect(r.code).to.equal(2)
    const doc = json<any>(r)
    expect(doc.error).to.equal(undefined)
    expect(doc.errors).to.have.length(1)
    expect(doc.errors[0]).to.include({file: tpl, line: 5})
    expect(doc.findings.map((f: any) => f.rule)).to.include('docker-socket-mount')
    const text = await runCli(['doctor', '-f', tpl], {cwd: dir})
    expect(text.code).to.equal(2)
    expect(text.stdout).to.contain(`${tpl}:5`).and.contain('unparseable template')
  })

  it('exit 2 for a missing file, naming it', async () => {
    const r = await runCli(['doctor', '-f', path.join(dir, 'nope.yaml')], {cwd: dir})
    expect(r.code).to.equal(2)
    expect(r.stdout).to.contain('nope.yaml: no such file or directory')
  })

  it('--fix writes NAME.fixed.yaml, --in-place replaces, --diff prints a diff; --json result; exit from the fixed output', async () => {
    const d = await mkdtemp(path.join(os.tmpdir(), 'doctor-fix-cmd-'))
    const f = path.join(d, 'peer.yaml')
    const text = `# keep me\napiVersion: v1\nkind: Pod\nmetadata: {name: p0}\nspec:\n  containers:\n  - name: peer\n    image: hyperledger/fabric-peer:2.5\n    securityContext: {runAsNonRoot: true}\n    env:\n    - name: CORE_VM_ENDPOINT\n      value: unix:///host/var/run/docker.sock\n    volumeMounts:\n    - name: sock\n      mountPath: /host/var/run/docker.sock\n  volumes:\n  - name: sock\n    hostPath: {path: /var/run/docker.sock}\n`
    await writeFile(f, text)
    const diff = await runCli(['doctor', '--fix', '--diff', '-f', f], {cwd: d})
    expect(diff.code, diff.stderr).to.equal(0)
    expect(diff.stdout).to.contain('-      value: unix:///host/var/run/docker.sock\n+      value: ""')
    expect(await readdir(d)).to.deep.equal(['peer.yaml'])
    const beside = await runCli(['doctor', '--fix', '-f', f, '--json'], {cwd: d})
    const r = json<{files: {output: string}[]; fixes: unknown[]; notFixed: unknown[]; summary: {exitCode: number}}>(
      beside,
    )
    expect(beside.code).to.equal(0)
    expect(r.files.map((x) => path.basename(x.output))).to.deep.equal(['peer.fixed.yaml'])
    expect(r.notFixed).to.deep.equal([])
    expect(await readFile(f, 'utf8')).to.equal(text)
    const fixed = await readFile(path.join(d, 'peer.fixed.yaml'), 'utf8')
    expect(fixed.startsWith('# keep me\n')).to.equal(true)
    expect(fixed).to.not.contain('docker.sock')
    const again = await runCli(['doctor', '-f', path.join(d, 'peer.fixed.yaml')], {cwd: d})
    expect(again.code, again.stdout).to.equal(0)
    const inPlace = await runCli(['doctor', '--fix', '--in-place', '-f', f], {cwd: d})
    expect(inPlace.code, inPlace.stderr).to.equal(0)
    expect(await readFile(f, 'utf8')).to.equal(fixed)
    const stdin = await runCli(['doctor', '--fix', '-f', '-'], {cwd: d, input: text})
    expect(stdin.code).to.equal(2)
    expect(stdin.stdout + stdin.stderr).to.contain('--fix cannot write back to stdin')
  })

  it('--fix with a folder named like an output (b.fixed.yaml): exit 4, one line naming it, no file written', async () => {
    const d = await mkdtemp(path.join(os.tmpdir(), 'doctor-fix-eisdir-'))
    const peer = `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: peer0}\nspec:\n  template:\n    spec:\n      containers:\n      - name: peer\n        image: hyperledger/fabric-peer:2.5\n        securityContext: {runAsNonRoot: true}\n        volumeMounts:\n        - {name: sock, mountPath: /host/var/run/docker.sock}\n      volumes:\n      - name: sock\n        hostPath: {path: /var/run/docker.sock}\n`
    await writeFile(path.join(d, 'a.yaml'), peer)
    await writeFile(path.join(d, 'b.yaml'), peer)
    await mkdir(path.join(d, 'b.fixed.yaml'))
    const r = await runCli(['doctor', '--fix', '-f', 'a.yaml', '-f', 'b.yaml'], {cwd: d})
    expect(r.code, r.stderr).to.equal(4)
    expect(r.stderr.split('\n')[0]).to.equal(
      'Error: b.fixed.yaml: cannot write (EISDIR: a folder has that name); no file was changed',
    )
    expect(r.stderr).to.not.match(/bug/)
    expect((await readdir(d)).sort()).to.deep.equal(['a.yaml', 'b.fixed.yaml', 'b.yaml']) // no a.fixed.yaml, no .tmp
    expect(await readdir(path.join(d, 'b.fixed.yaml'))).to.deep.equal([])
    const j = await runCli(['doctor', '--fix', '-f', 'a.yaml', '-f', 'b.yaml', '--json'], {cwd: d})
    expect(j.code).to.equal(4)
    expect(json<any>(j).error).to.include({code: 'FILESYSTEM', exitCode: 4})
    expect((await readdir(d)).sort()).to.deep.equal(['a.yaml', 'b.fixed.yaml', 'b.yaml'])
  })

  it("README's exit-code tables give --fix's unwritable output as 4, the code it exits with, not 2", async () => {
    const readme = await readFile(path.join(ROOT, 'README.md'), 'utf8')
    const start = readme.indexOf('Doctor has its own exit codes:')
    const table = readme.slice(start, readme.indexOf('\n\n', readme.indexOf('| Code |', start)))
    const rows = new Map([...table.matchAll(/^\| (\d+) \| (.*) \|$/gm)].map((m) => [m[1], m[2]]))
    expect([...rows.keys()]).to.deep.equal(['0', '1', '2', '4'])
    expect(rows.get('2')).to.not.contain('--fix')
    expect(rows.get('4')).to.contain('`--fix`')
    const global = readme.slice(readme.indexOf('## Exit codes'))
    expect(global.match(/^\| 2 \| .*$/m)![0]).to.not.contain('--fix')
    expect(global.match(/^\| 4 \| .*$/m)![0]).to.contain('`doctor --fix`')
  })

  it('--fix --in-place with an input in a folder it cannot write: exit 4 naming it, no input changed', async () => {
    // as root, permissions do not bind: run the CLI as nobody (setpriv), the way a CI user meets the folder
    const d = await mkdtemp(path.join(os.tmpdir(), 'doctor-fix-ro-'))
    const text = `apiVersion: v1\nkind: Pod\nmetadata: {name: p0}\nspec:\n  containers:\n  - name: peer\n    image: hyperledger/fabric-peer:2.5\n    securityContext: {runAsNonRoot: true}\n    volumeMounts:\n    - {name: sock, mountPath: /host/var/run/docker.sock}\n  volumes:\n  - name: sock\n    hostPath: {path: /var/run/docker.sock}\n`
    await mkdir(path.join(d, 'rw'))
    await mkdir(path.join(d, 'ro'))
    await writeFile(path.join(d, 'rw', 'a.yaml'), text)
    await writeFile(path.join(d, 'ro', 'b.yaml'), text)
    await chmod(d, 0o755)
    await chmod(path.join(d, 'rw'), 0o777)
    await chmod(path.join(d, 'ro'), 0o555)
    const asRoot = process.getuid?.() === 0
    const args = [BIN, 'doctor', '--fix', '--in-place', '-f', 'rw/a.yaml', '-f', 'ro/b.yaml']
    const r = spawnSync(
      asRoot ? 'setpriv' : process.execPath,
      asRoot ? ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, ...args] : args,
      {cwd: d, encoding: 'utf8', env: {...process.env, CI: 'true', HOME: os.tmpdir(), NO_COLOR: '1'}},
    )
    await chmod(path.join(d, 'ro'), 0o755)
    expect(r.status, r.stderr).to.equal(4)
    expect(r.stderr.split('\n')[0]).to.equal(
      'Error: ro/b.yaml: cannot write (EACCES: its folder is not writable); no file was changed',
    )
    expect(await readFile(path.join(d, 'rw', 'a.yaml'), 'utf8')).to.equal(text)
    expect(await readFile(path.join(d, 'ro', 'b.yaml'), 'utf8')).to.equal(text)
    expect(await readdir(path.join(d, 'rw'))).to.deep.equal(['a.yaml'])
  })

  it('-f - reads stdin (helm template … | fabk8s doctor -f -)', async function () {
    corpus.call(this)
    const input = await readFile(F('07-ibm-bnok-docker-dind.yaml'), 'utf8')
    const r = await runCli(['doctor', '-f', '-', '--json'], {cwd: dir, input})
    expect(r.code).to.equal(1)
    const doc = json<any>(r)
    expect(doc.findings.find((f: any) => f.rule === 'dind-sidecar')).to.include({
      container: 'docker',
      file: '<stdin>',
      line: 24,
    })
  })

  it('recurses into directories and honours .fabk8s-doctor.yaml in the working folder', async function () {
    corpus.call(this)
    const r = await runCli(['doctor', '-f', CORPUS, '--json'], {cwd: dir})
    expect(r.code).to.equal(2) // the corpus holds raw templates
    const doc = json<any>(r)
    expect(doc.summary.files).to.equal(26)
    expect(new Set(doc.errors.map((e: any) => path.basename(e.file))).size).to.equal(9)
    const ig = await mkdtemp(path.join(os.tmpdir(), 'doctor-ig-'))
    await writeFile(path.join(ig, '.fabk8s-doctor.yaml'), 'ignore:\n  - rule: all\n    name: docker-dind\n')
    const s = json<any>(await runCli(['doctor', '-f', F('07-ibm-bnok-docker-dind.yaml'), '--json'], {cwd: ig}))
    expect(s.findings).to.deep.equal([])
    expect(s.suppressed).to.equal(3) // dind-sidecar, privileged-container, run-as-root
    // a CI step in a subfolder of the repository (working-directory: deploy) keeps the repository's ignore file
    await mkdir(path.join(ig, '.git'))
    await mkdir(path.join(ig, 'deploy'))
    const sub = json<any>(
      await runCli(['doctor', '-f', F('07-ibm-bnok-docker-dind.yaml'), '--json'], {cwd: path.join(ig, 'deploy')}),
    )
    expect(sub.findings).to.deep.equal([])
    expect(sub.suppressed).to.equal(3)
  })

  it('--format sarif --output writes SARIF 2.1.0; junit and text formats render', async function () {
    corpus.call(this)
    const out = path.join(dir, 'doctor.sarif')
    const r = await runCli(
      ['doctor', '-f', F('09-feitnomore-org1peer1-deploy.yaml'), '--format', 'sarif', '--output', out],
      {cwd: dir},
    )
    expect(r.code).to.equal(1)
    expect(r.stdout).to.equal('')
    expect(r.stderr).to.contain('sarif report written to')
    const sarif = JSON.parse(await readFile(out, 'utf8'))
    expect(sarif.version).to.equal('2.1.0')
    expect(sarif.runs[0].results.map((x: any) => x.ruleId)).to.include('docker-socket-mount')
    const clean = await runCli(['doctor', '-f', path.join(dir, 'clean.yaml'), '--format', 'sarif'], {cwd: dir})
    expect(JSON.parse(clean.stdout).runs[0].results).to.deep.equal([])
    const junit = await runCli(['doctor', '-f', F('09-feitnomore-org1peer1-deploy.yaml'), '--format', 'junit'], {
      cwd: dir,
    })
    expect(junit.stdout).to.match(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites /)
  })

  it('issue 12 #5: --output replaces the report atomically; a failed write keeps the previous report and exits 2', async () => {
    const out = path.join(await mkdtemp(path.join(os.tmpdir(), 'doctor-out-')), 'doctor.sarif')
    const first = await runCli(['doctor', '-f', path.join(dir, 'clean.yaml'), '--format', 'sarif', '-o', out], {
      cwd: dir,
    })
    expect(first.code, first.stderr).to.equal(0)
    const previous = await readFile(out, 'utf8')
    JSON.parse(previous)
    // the next report is larger than the file-size limit: the write fails part-way (EFBIG), as on a full disk
    const big = Array.from({length: 40}, (_, i) => LOW_ONLY.replace('name: cc\n', `name: cc${i}\n`)).join('---\n')
    await writeFile(path.join(dir, 'big.yaml'), big)
    const r = spawnSync(
      'bash',
      [
        '-c',
        'ulimit -f 8 && exec "$0" "$@"',
        process.execPath,
        BIN,
        'doctor',
        '-f',
        path.join(dir, 'big.yaml'),
        '--format',
        'sarif',
        '-o',
        out,
      ],
      {cwd: dir, encoding: 'utf8', env: {...process.env, CI: 'true', NO_COLOR: '1'}},
    )
    expect(r.status, r.stderr).to.equal(2)
    expect(r.stderr).to.match(/--output .*doctor\.sarif: cannot write the report/)
    expect(r.stderr).to.contain('the previous report is unchanged')
    expect(await readFile(out, 'utf8')).to.equal(previous)
    expect(await readdir(path.dirname(out))).to.deep.equal(['doctor.sarif'])
  })

  it('issue 12 #15: empty stdin is an input error (exit 2), not a clean pass', async () => {
    const r = await runCli(['doctor', '-f', '-', '--json'], {cwd: dir, input: ''})
    expect(r.code).to.equal(2)
    expect(json<any>(r).errors[0]).to.include({file: '<stdin>', message: '<stdin> is empty: nothing to check'})
  })

  it('issue 12 #15: an unreadable subfolder is an input error; the rest of the folder is still checked', async () => {
    // as root, permissions do not bind: run the CLI as nobody (setpriv), the way a CI user meets the folder
    const root = await mkdtemp(path.join(os.tmpdir(), 'doctor-perm-'))
    await mkdir(path.join(root, 'locked'))
    await writeFile(path.join(root, 'locked', 'x.yaml'), CLEAN)
    await writeFile(path.join(root, 'ok.yaml'), CLEAN)
    await chmod(path.join(root, 'locked'), 0o000)
    await chmod(root, 0o755)
    const asRoot = process.getuid?.() === 0
    const args = [BIN, 'doctor', '-f', root, '--json']
    const r = spawnSync(
      asRoot ? 'setpriv' : process.execPath,
      asRoot ? ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, ...args] : args,
      {cwd: os.tmpdir(), encoding: 'utf8', env: {...process.env, CI: 'true', HOME: os.tmpdir(), NO_COLOR: '1'}},
    )
    await chmod(path.join(root, 'locked'), 0o755)
    expect(r.status, r.stderr).to.equal(2)
    const doc = JSON.parse(r.stdout)
    expect(doc.errors).to.deep.equal([
      {file: path.join(root, 'locked'), line: null, message: `${path.join(root, 'locked')}: permission denied`},
    ])
    expect(doc.summary).to.include({files: 1, objects: 1})
  })

  it('issue 12 #15: reads a compose file and CI files (also from stdin); --help says so', async () => {
    const ci = path.join(ROOT, 'test', 'fixtures', 'doctor', 'ci')
    const compose = await readFile(path.join(ci, 'test-network', 'compose-test-net.yaml'), 'utf8')
    const r = await runCli(['doctor', '-f', '-', '--json'], {cwd: dir, input: compose})
    expect(r.code, r.stderr).to.equal(1)
    const doc = json<any>(r)
    expect(doc.summary).to.include({errors: 0, objects: 1})
    expect(doc.findings.find((f: any) => f.rule === 'docker-socket-mount')).to.include({
      file: '<stdin>',
      kind: 'Compose',
      line: 55,
    })
    const gitlab = json<any>(await runCli(['doctor', '-f', path.join(ci, '.gitlab-ci.yml'), '--json'], {cwd: dir}))
    expect(gitlab.findings.map((f: any) => f.rule)).to.include('dind-sidecar')
    const help = await runCli(['doctor', '--help'], {cwd: dir})
    expect(help.stdout.replaceAll(/\s+/g, ' ')).to.contain(
      'docker-compose files, .gitlab-ci.yml and GitHub Actions workflows',
    )
  })

  it('--list-rules prints the rules (text and --json)', async () => {
    const t = await runCli(['doctor', '--list-rules'], {cwd: dir})
    expect(t.code).to.equal(0)
    expect(t.stdout).to.contain('docker-socket-mount').and.contain('peer-vm-endpoint')
    const j = json<any[]>(await runCli(['doctor', '--list-rules', '--json'], {cwd: dir}))
    expect(j.map((r) => r.id)).to.include.members(['dind-sidecar', 'operator-docker-socket', 'chaincode-no-probes'])
    expect(j).to.have.length(16)
  })

  it('no input is a usage error (exit 2) naming -f and --cluster', async () => {
    const r = await runCli(['doctor'], {cwd: dir})
    expect(r.code).to.equal(2)
    expect(r.stderr).to.contain('-f').and.contain('--cluster')
  })

  it('flags that do nothing as given are usage errors: --diff or --in-place without --fix, --format sarif with --json', async () => {
    const file = path.join(dir, 'flags.yaml')
    await writeFile(file, 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n')
    for (const flag of ['--diff', '--in-place']) {
      const r = await runCli(['doctor', '-f', file, flag], {cwd: dir})
      expect(r.code, r.stderr).to.equal(2)
      expect(r.stderr.split('\n')[0]).to.equal(`Error: ${flag} only applies with --fix`)
    }

    const r = await runCli(['doctor', '-f', file, '--format', 'sarif', '--json'], {cwd: dir})
    expect(r.code).to.equal(2)
    expect(json<any>(r).error.message).to.equal('--format sarif and --json: --json prints the JSON report on stdout')
    // with -o the two go to different places: sarif to the file, JSON on stdout
    const out = path.join(dir, 'flags.sarif')
    const o = await runCli(['doctor', '-f', file, '--format', 'sarif', '--json', '-o', out], {cwd: dir})
    expect(o.code, o.stderr).to.equal(0)
    expect(JSON.parse(await readFile(out, 'utf8')).version).to.equal('2.1.0')
    expect(json<any>(o).summary.findings).to.equal(0)
  })

  it('--cluster with an unreachable API server → exit 2 with a clear line', async () => {
    const kc = path.join(dir, 'kubeconfig')
    await writeFile(
      kc,
      `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:9"}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
`,
    )
    const r = await runCli(['doctor', '--cluster', '--kubeconfig', kc, '--json'], {cwd: dir})
    expect(r.code).to.equal(2)
    const doc = json<any>(r)
    expect(doc.errors[0].message).to.match(/cannot reach the Kubernetes API at https:\/\/127\.0\.0\.1:9/)
  })
})
