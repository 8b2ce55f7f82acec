import {expect} from 'chai'
import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {
  cleanup,
  currentContext,
  currentContextNote,
  fakeTarget,
  makeProject,
  pssRestrictedViolations,
  type Target,
  targetOrSkip,
  tmp,
} from '../lib/kube/support.js'
import {json, ROOT, runCli, startCli} from '../support/cli.js'

type Any = any

describe('fabk8s deploy --dry-run (no cluster)', () => {
  let dir: string
  let proj: string

  before(() => {
    dir = tmp('fabk8s-deploy-')
    proj = makeProject(path.join(dir, 'proj'), {tls: 'clientAuth'})
  })

  after(() => cleanup(dir))

  // a kubeconfig that does not exist: --dry-run must not need one
  const noCluster = {KUBECONFIG: '/nonexistent/kubeconfig'}

  it('-o yaml prints Namespace, Secret, Service, Deployment that pass PSS restricted', async () => {
    const r = await runCli(['deploy', '--dry-run', '-o', 'yaml', '-p', proj], {env: noCluster})
    expect(r.code, r.stderr).to.equal(0)
    const {parseAllDocuments} = await import('yaml')
    const docs = parseAllDocuments(r.stdout).map((d) => d.toJS() as Any)
    expect(docs.map((d) => d.kind)).to.deep.equal(['Namespace', 'Secret', 'Service', 'Deployment'])
    const pod = docs[3].spec.template.spec
    expect(pssRestrictedViolations(pod)).to.deep.equal([])
    expect(docs[0].metadata.labels['pod-security.kubernetes.io/enforce']).to.equal('restricted')
    expect(pod.containers[0].env.find((e: Any) => e.name === 'CHAINCODE_ID').value).to.match(
      /^kv_1\.0\.0:[a-f0-9]{64}$/,
    )
  })

  it('-o json prints a v1 List; --json prints the plan with the package ID', async () => {
    const r = await runCli(['deploy', '--dry-run', '-o', 'json', '-p', proj], {env: noCluster})
    expect(r.code, r.stderr).to.equal(0)
    const list = JSON.parse(r.stdout)
    expect(list.kind).to.equal('List')
    expect(list.items).to.have.length(4)
    const j = json<Any>(await runCli(['deploy', '--dry-run', '--json', '-p', proj], {env: noCluster}))
    expect(j.dryRun).to.equal(true)
    expect(j.namespace).to.equal('fabk8s-test')
    expect(j.packageId).to.match(/^kv_1\.0\.0:[a-f0-9]{64}$/)
    expect(j.manifests).to.have.length(4)
  })

  it('-n and --image change the rendered namespace and image', async () => {
    // an address that names no namespace (a Service of the peers' own namespace) goes where -n puts it
    const short = makeProject(path.join(dir, 'short'), {address: 'kv:9999'})
    const r = await runCli(['deploy', '--dry-run', '--json', '-n', 'other', '--image', 'reg.local/kv:9', '-p', short], {
      env: noCluster,
    })
    const j = json<Any>(r)
    expect(
      j.manifests.every((m: Any) =>
        m.kind === 'Namespace' ? m.metadata.name === 'other' : m.metadata.namespace === 'other',
      ),
    ).to.equal(true)
    expect(j.manifests.at(-1).spec.template.spec.containers[0].image).to.equal('reg.local/kv:9')
  })

  it('-n other than the namespace chaincode.address names is exit 2, naming both: the peers would dial nothing', async () => {
    const r = await runCli(['deploy', '--dry-run', '--json', '-n', 'other', '-p', proj], {env: noCluster})
    expect(r.code, r.stdout + r.stderr).to.equal(2)
    expect(json<Any>(r).error.message).to.equal(
      'chaincode.address kv.fabk8s-test.svc.cluster.local:9999 names namespace fabk8s-test, but the chaincode goes to namespace other: the peers would dial Services that are not there',
    )
  })

  it('-o without --dry-run, a bad --image and a bad --timeout are usage errors (exit 2)', async () => {
    const a = await runCli(['deploy', '-o', 'json', '-p', proj], {env: noCluster})
    expect(a.code).to.equal(2)
    expect(a.stderr).to.contain('dry-run')
    const b = await runCli(['deploy', '--dry-run', '--image', 'Bad Image', '-p', proj], {env: noCluster})
    expect(b.code).to.equal(2)
    expect(b.stderr).to.contain('--image')
    const c = await runCli(['deploy', '--timeout', 'soon', '-p', proj], {env: noCluster})
    expect(c.code).to.equal(2)
    expect(c.stderr).to.contain('--timeout')
  })

  it('a bad --image with a registry is the same usage error as load gives, before Docker or the registry is asked', async () => {
    const r = await runCli(['deploy', '--image', 'BAD IMAGE', '--registry', 'localhost:1', '-p', proj, '--json'], {
      env: {...noCluster, DOCKER_HOST: 'unix:///nonexistent/docker.sock'},
    })
    expect(r.code, r.stderr).to.equal(2)
    expect(json<Any>(r).error.message).to.equal('--image: "BAD IMAGE" is not an image reference like repository:tag')
  })

  it("a server certificate that is not the server key's: exit 3 naming both fields, nothing rendered", async () => {
    const p = makeProject(path.join(dir, 'mismatch'), {tls: 'on'})
    const cert = path.join(p, 'tls', 'server.crt')
    const key = path.join(p, 'tls', 'server.key')
    writeFileSync(cert, readFileSync(path.join(p, 'tls', 'client.crt')))
    const message = `chaincode.tls.cert: ${cert} does not match chaincode.tls.key (${key})`
    const y = await runCli(['deploy', '--dry-run', '-o', 'yaml', '-p', p], {env: noCluster})
    expect(y.code, y.stderr).to.equal(3)
    expect(y.stdout).to.equal('')
    expect(y.stderr).to.contain(message)
    const j = await runCli(['deploy', '--dry-run', '--json', '-p', p], {env: noCluster})
    expect(j.code, j.stderr).to.equal(3)
    expect(json<Any>(j).error).to.include({code: 'PROJECT', message})
    // and a server key that is no key at all
    writeFileSync(key, 'garbage\n')
    const g = await runCli(['deploy', '--dry-run', '--json', '-p', p], {env: noCluster})
    expect(g.code, g.stderr).to.equal(3)
    expect(json<Any>(g).error.message).to.equal(`chaincode.tls.key: ${key} is not a PEM private key`)
  })

  it('the rendered YAML is accepted by `fabk8s doctor -f -` with no finding at or above low', async function () {
    if (!existsSync(path.join(ROOT, 'dist', 'commands', 'doctor.js'))) {
      console.log(
        '      skipped: dist/commands/doctor.js is missing (fabk8s doctor not built yet; run npx tsc -p tsconfig.json)',
      )
      this.skip()
    }

    for (const tls of ['off', 'on', 'clientAuth'] as const) {
      const p = makeProject(path.join(dir, `doctor-${tls}`), {tls})
      const y = await runCli(['deploy', '--dry-run', '-o', 'yaml', '-p', p], {env: noCluster})
      expect(y.code, y.stderr).to.equal(0)
      const d = await runCli(['doctor', '-f', '-', '--fail-on', 'low', '--json'], {env: noCluster, input: y.stdout})
      const report = json<Any>(d)
      expect(report.findings, `${tls}: ${JSON.stringify(report.findings)}`).to.deep.equal([])
      expect(report.errors).to.deep.equal([])
      expect(report.summary.objects).to.be.greaterThan(2)
      expect(d.code).to.equal(0)
    }
  })
})

for (const kind of ['fake', 'real'] as const) {
  describe(`fabk8s deploy against the ${kind === 'fake' ? 'fake API server' : 'test-bed kube-apiserver @integration'}`, function () {
    this.timeout(kind === 'real' ? 300_000 : 90_000)
    let dir: string
    let t: Target
    let proj: string

    before(async function () {
      dir = tmp('fabk8s-deploy-')
      t = await targetOrSkip(this, kind, dir)
      proj = makeProject(path.join(dir, 'proj'), {namespace: t.namespace, tls: 'on'})
    })

    after(async () => {
      await t?.stop()
      cleanup(dir)
    })

    const cli = (args: string[], kubeconfig = t.kubeconfig) =>
      runCli(['deploy', '-p', proj, '--kubeconfig', kubeconfig, '--timeout', kind === 'real' ? '3m' : '30s', ...args])

    it('first deploy creates everything and prints {namespace, deployment, service (as status gives it), packageId, image, ready}', async () => {
      const r = await cli(['--json'])
      const j = json<Any>(r)
      expect(r.code, r.stdout).to.equal(0)
      expect(j).to.include({
        deployment: 'kv',
        image: 'kv-chaincode:1.0.0',
        namespace: t.namespace,
        ready: true,
      })
      // the shape `status --json` gives its service field, with the same values
      expect(j.service).to.include({name: 'kv', port: 9999})
      const st = await runCli(['status', '-p', proj, '--kubeconfig', t.kubeconfig, '--json'])
      expect(st.code, st.stdout + st.stderr).to.equal(0)
      expect(j.service).to.deep.equal(json<Any>(st).service)
      expect(j.packageId).to.match(/^kv_1\.0\.0:[a-f0-9]{64}$/)
      expect(j.changed).to.equal(true)
      expect(j.resources.map((x: Any) => x.action)).to.deep.equal(['created', 'created', 'created', 'created'])
    })

    it('second deploy with no change reports no change', async () => {
      const r = await cli([])
      expect(r.code, r.stderr).to.equal(0)
      expect(r.stdout).to.match(
        /^no change: deployment\/kv in namespace \S+ \(context \S+\) already runs kv-chaincode:1\.0\.0 with package ID kv_1\.0\.0:/,
      )
      expect(r.stderr).to.contain('No change in')
    })

    it('names the context and namespace it deploys to; says on stderr, not under --json, that the current context stood in for kind-kind', async () => {
      const context = currentContext(t.kubeconfig)
      const r = await cli([])
      expect(r.code, r.stderr).to.equal(0)
      expect(r.stdout).to.contain(
        `no change: deployment/kv in namespace ${t.namespace} (context ${context}) already runs`,
      )
      expect(r.stderr).to.contain(`No change in ${t.namespace} (context ${context}): `)
      // the project names no kubernetes.context, and kind.cluster (default kind) has no context in this kubeconfig
      expect(r.stderr.split(currentContextNote(context))).to.have.length(2)
      const j = await cli(['--json'])
      expect(j.code, j.stderr).to.equal(0)
      expect(json<Any>(j)).to.include({context, namespace: t.namespace})
      expect(j.stderr + j.stdout).to.not.contain('using current context')
      // chosen with --context: nothing to point out
      const chosen = await cli(['--context', context])
      expect(chosen.code, chosen.stderr).to.equal(0)
      expect(chosen.stdout).to.contain(`in namespace ${t.namespace} (context ${context})`)
      expect(chosen.stderr).to.not.contain('using current context')
    })

    it('a changed package ID rolls out (human output names the new package ID)', async () => {
      makeProject(proj, {namespace: t.namespace, tls: 'on', version: '2.0.0'})
      const r = await cli([])
      expect(r.code, r.stderr).to.equal(0)
      expect(r.stdout).to.match(/^rolled out: deployment\/kv .*package ID kv_2\.0\.0:[a-f0-9]{64}, ready/)
    })

    it('credentials the server rejects → exit 7, unauthorized', async () => {
      const r = await cli([], t.badTokenKubeconfig())
      expect(r.code).to.equal(7)
      expect(r.stderr).to.contain('unauthorized (401)')
      expect(r.stderr).to.contain('Hint:')
    })

    it('a user without rights in the namespace → exit 7, forbidden, with an RBAC hint', async function () {
      const f = t.forbiddenKubeconfig()
      if (!f) {
        console.log('      skipped: the test bed has no non-admin kubeconfig (FABK8S_TEST_KUBECONFIG_NOAUTH)')
        this.skip()
      }

      const r = await cli(['--json'], f)
      expect(r.code).to.equal(7)
      const j = json<Any>(r)
      expect(j.error.code).to.equal('KUBERNETES')
      expect(j.error.message).to.contain('forbidden (403)')
      expect(j.error.hint).to.contain('RBAC')
    })

    it('an unreachable API server → exit 7 naming the server', async () => {
      const f = path.join(dir, 'closed.kubeconfig')
      writeFileSync(
        f,
        'apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters:\n- name: c\n  cluster: {server: "https://127.0.0.1:9"}\nusers:\n- name: u\n  user: {token: x}\ncontexts:\n- name: c\n  context: {cluster: c, user: u}\n',
      )
      const r = await cli([], f)
      expect(r.code).to.equal(7)
      expect(r.stderr).to.contain('cannot reach the Kubernetes API at https://127.0.0.1:9')
    })
  })
}

describe('fabk8s deploy rollout failures (fake API server)', function () {
  this.timeout(90_000)
  let dir: string
  let t: Target

  before(async () => {
    dir = tmp('fabk8s-deploy-')
    t = await fakeTarget(dir)
  })

  after(async () => {
    await t.stop()
    cleanup(dir)
  })

  let n = 0
  const fail = async (mode: Any, timeout = '20s') => {
    t.fake!.controller = mode
    const proj = makeProject(path.join(dir, `p${++n}`), {name: `cc${n}`, namespace: t.namespace})
    return runCli(['deploy', '-p', proj, '--kubeconfig', t.kubeconfig, '--timeout', timeout])
  }

  it('image not on the node → exit 8, "run fabk8s load"', async () => {
    const r = await fail('ErrImageNeverPull')
    expect(r.code).to.equal(8)
    expect(r.stderr).to.contain('ErrImageNeverPull').and.to.contain('run fabk8s load')
  })

  it('crash loop → exit 8 with the last log lines', async () => {
    t.fake!.crashLog = 'boot\npanic: CHAINCODE_SERVER_ADDRESS must be set\n'
    const r = await fail('CrashLoopBackOff')
    expect(r.code).to.equal(8)
    expect(r.stderr).to.contain('CrashLoopBackOff').and.to.contain('| panic: CHAINCODE_SERVER_ADDRESS must be set')
  })

  it('unschedulable → exit 8 at the timeout with the scheduler message (also under --json)', async () => {
    t.fake!.controller = 'Unschedulable'
    const proj = makeProject(path.join(dir, 'pending'), {name: 'pending', namespace: t.namespace})
    const r = await runCli(['deploy', '-p', proj, '--kubeconfig', t.kubeconfig, '--timeout', '2s', '--json'])
    expect(r.code).to.equal(8)
    const j = json<Any>(r)
    expect(j.error.code).to.equal('ROLLOUT')
    expect(j.error.message).to.contain('cannot be scheduled').and.to.contain('Insufficient memory')
  })

  it('--no-wait returns at once even when the pods will not start', async () => {
    t.fake!.controller = 'ErrImageNeverPull'
    const proj = makeProject(path.join(dir, 'nowait'), {name: 'nowait', namespace: t.namespace})
    const j = json<Any>(await runCli(['deploy', '-p', proj, '--kubeconfig', t.kubeconfig, '--no-wait', '--json']))
    expect(j.ready).to.equal(false)
    expect(j.changed).to.equal(true)
  })
})

describe('fabk8s deploy: Ctrl-C while the API server hangs (fake API server)', function () {
  this.timeout(90_000)
  let dir: string
  let t: Target

  before(async () => {
    dir = tmp('fabk8s-deploy-int-')
    t = await fakeTarget(dir)
  })

  after(async () => {
    await t.stop()
    cleanup(dir)
  })

  it('the first SIGINT stops it with exit 130 and says the Deployment was applied, the rollout not finished', async () => {
    const proj = makeProject(path.join(dir, 'hang'), {name: 'hang', namespace: t.namespace})
    const fake = t.fake!
    // after the Deployment is applied, the rollout's reads get no answer at all
    fake.hang = (r) =>
      r.method === 'GET' &&
      r.path.endsWith('/deployments/hang') &&
      fake.requests.some((x) => x.method === 'PATCH' && x.path.endsWith('/deployments/hang'))
    try {
      const cli = startCli(['deploy', '-p', proj, '--kubeconfig', t.kubeconfig, '--timeout', '5m'])
      await cli.waitFor(/Wait for deployment\/hang/)
      const seen = fake.requests.length
      // the read that hangs has been sent
      for (let i = 0; i < 100 && !fake.requests.slice(seen - 1).some((x) => fake.hang!(x)); i++)
        await new Promise((r) => setTimeout(r, 50))
      cli.kill('SIGINT')
      const r = await cli.done
      expect(r.code, r.stderr).to.equal(130)
      expect(r.stderr).to.contain(
        'Error: interrupted during deploy: the Deployment was applied, rollout not finished; run `fabk8s deploy` again to resume',
      )
    } finally {
      fake.hang = undefined
    }
  })
})

for (const kind of ['fake', 'real'] as const) {
  describe(`one Deployment per peer name: deploy, status, down against the ${kind === 'fake' ? 'fake API server' : 'test-bed kube-apiserver @integration'}`, function () {
    this.timeout(kind === 'real' ? 300_000 : 90_000)
    let dir: string
    let t: Target
    let proj: string
    const names = ['org1peer1-kv', 'org2peer1-kv']

    before(async function () {
      dir = tmp('fabk8s-perpeer-')
      t = await targetOrSkip(this, kind, dir)
      proj = makeProject(path.join(dir, 'proj'), {
        address: `"{{.peername}}-kv.${t.namespace}.svc.cluster.local:9999"`,
        namespace: t.namespace,
        peernames: ['org1peer1', 'org2peer1'],
      })
    })

    after(async () => {
      await t?.stop()
      cleanup(dir)
    })

    const cli = (...args: string[]) => runCli([...args, '-p', proj, '--kubeconfig', t.kubeconfig])

    it('deploy --json lists each Deployment with the address its peer dials; a second deploy changes nothing', async () => {
      const r = await cli('deploy', '--json', '--timeout', kind === 'real' ? '3m' : '30s')
      expect(r.code, r.stderr).to.equal(0)
      const j = json<Any>(r)
      expect(j.ready).to.equal(true)
      expect(j.targets.map((x: Any) => [x.name, x.peername, x.address, x.peers, x.ready])).to.deep.equal([
        [names[0], 'org1peer1', `${names[0]}.${t.namespace}.svc.cluster.local:9999`, ['localhost:7051'], true],
        [names[1], 'org2peer1', `${names[1]}.${t.namespace}.svc.cluster.local:9999`, ['localhost:9051'], true],
      ])
      expect(j.resources.slice(1).map((x: Any) => `${x.kind}/${x.name} ${x.action}`)).to.deep.equal([
        `Service/${names[0]} created`,
        `Deployment/${names[0]} created`,
        `Service/${names[1]} created`,
        `Deployment/${names[1]} created`,
      ])
      const again = await cli('deploy')
      expect(again.code, again.stderr).to.equal(0)
      expect(again.stdout).to.match(new RegExp(`^no change: deployments ${names.join(', ')} in namespace`))
      expect(again.stdout).to.contain(
        `${names[1]}: ${names[1]}.${t.namespace}.svc.cluster.local:9999 for peername org2peer1`,
      )
    })

    it('status shows each Deployment (json and text); down deletes each', async () => {
      const st = await cli('status', '--json', '--no-fabric')
      expect(st.code, st.stderr).to.equal(0)
      const s = json<Any>(st)
      // named as deploy's result names them: `deployment` the first Deployment, each one's `name` in the list
      expect(s).to.include({deployment: names[0], found: true, ready: true})
      expect(s.deployments.every((d: Any) => !('deployment' in d))).to.equal(true)
      expect(s.deployments.map((d: Any) => [d.name, d.peername, d.found, d.ready])).to.deep.equal([
        [names[0], 'org1peer1', true, true],
        [names[1], 'org2peer1', true, true],
      ])
      expect(s.pods).to.have.length(2)
      const text = await cli('status', '--no-fabric')
      expect(text.stdout).to.match(new RegExp(`org1peer1\\s+ready deployment/${names[0]} 1/1`))
      expect(text.stdout).to.match(new RegExp(`org2peer1\\s+ready deployment/${names[1]} 1/1`))

      const down = await cli('down', '--yes', '--json')
      expect(down.code, down.stderr).to.equal(0)
      expect(json<Any>(down).deleted.map((x: Any) => `${x.kind}/${x.name}`)).to.have.members([
        ...names.map((n) => `Deployment/${n}`),
        ...names.map((n) => `Service/${n}`),
      ])
      const gone = json<Any>(await cli('status', '--json', '--no-fabric'))
      expect(gone.found).to.equal(false)
      expect(gone.deployments.map((d: Any) => d.found)).to.deep.equal([false, false])
    })

    it('what fabk8s.yaml no longer asks for goes: a peer name dropped, then back to one Deployment for every peer', async () => {
      const timeout = kind === 'real' ? '3m' : '30s'
      let r = await cli('deploy', '--json', '--timeout', timeout)
      expect(r.code, r.stderr).to.equal(0)
      expect(json<Any>(r).removed).to.deep.equal([])

      makeProject(proj, {
        address: `"{{.peername}}-kv.${t.namespace}.svc.cluster.local:9999"`,
        namespace: t.namespace,
        peernames: ['org1peer1'],
      })
      r = await cli('deploy', '--json', '--timeout', timeout)
      expect(r.code, r.stderr).to.equal(0)
      let j = json<Any>(r)
      expect(j.targets.map((x: Any) => x.name)).to.deep.equal([names[0]])
      expect(j.removed.map((x: Any) => `${x.kind}/${x.name}`)).to.have.members([
        `Deployment/${names[1]}`,
        `Service/${names[1]}`,
      ])
      expect(j.changed).to.equal(true)

      makeProject(proj, {namespace: t.namespace})
      r = await cli('deploy', '--timeout', timeout)
      expect(r.code, r.stderr).to.equal(0)
      expect(r.stdout).to.contain(`removed: deployment/${names[0]}, service/${names[0]} (no longer in fabk8s.yaml)`)
      j = json<Any>(await cli('status', '--json', '--no-fabric'))
      expect(j).to.include({deployment: 'kv', found: true, ready: true})
      const down = json<Any>(await cli('down', '--yes', '--json'))
      expect(down.deleted.map((x: Any) => `${x.kind}/${x.name}`)).to.have.members(['Deployment/kv', 'Service/kv'])
    })
  })
}
