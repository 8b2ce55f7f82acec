import {expect} from 'chai'
import {type ChildProcess, execFileSync, spawn} from 'node:child_process'
import {cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import type {UpResult} from '../../src/lib/up/up.js'

import {fabnetOrSkip, networkYaml, tempProject} from '../lib/fabric/fabnet.js'
import {silentServer} from '../support/bad-servers.js'
import {json, ROOT, runCli, startCli} from '../support/cli.js'
import {dockerCmd, nodeImages, requireDocker, uniq} from '../support/docker.js'
import {FakeKubeApiServer} from '../support/kube-api-server.js'
import {freePort} from '../support/net.js'
import {startUpFixture, type UpFixture} from '../support/up-fixture.js'

const actions = (r: UpResult) => Object.fromEntries(r.steps.map((s) => [s.step, s.action]))

describe('fabk8s up @integration (real Docker engine, stand-in kind nodes, kube API server)', function () {
  this.timeout(900_000)
  let fx: UpFixture
  let dir: string
  let fake: FakeKubeApiServer
  let name: string
  const images: string[] = []

  const up = async (...extra: string[]) => {
    const r = await runCli(fx.upArgs('--json', '--timeout', '60s', ...extra))
    expect(r.code, r.stderr + r.stdout).to.equal(0)
    const out = json<UpResult>(r)
    if (out.image) images.push(out.image)
    return out
  }

  before(async function () {
    await requireDocker(this)
    fx = await startUpFixture('up', 'upns')
    ;({dir, fake, name} = fx)
  })

  after(async () => {
    await fx?.stop(images)
  })

  it('first run builds, loads into every node and deploys; no network → register/ready skipped', async () => {
    const r = await up()
    expect(actions(r)).to.deep.equal({
      build: 'changed',
      deploy: 'changed',
      load: 'changed',
      package: 'unchanged',
      ready: 'skipped',
      register: 'skipped',
    })
    expect(r.image).to.match(new RegExp(`^fabk8s-test/${name}:0\\.1\\.0-[0-9a-f]{12}$`))
    for (const n of fx.nodes) expect(await nodeImages(n)).to.include(`docker.io/${r.image}`)
    const d = fake.get('Deployment', 'upns', name)!
    expect(d.spec.template.spec.containers[0].image).to.equal(r.image)
    expect(d.spec.template.spec.containers[0].env).to.deep.include({name: 'CHAINCODE_ID', value: r.packageId})
  })

  it('second run with no change: every step unchanged, no write reaches the API server, no build', async () => {
    const before = fake.requests.length
    const imageId = (
      await dockerCmd(['image', 'inspect', '--format', '{{.Id}}', `fabk8s-test/${name}:0.1.0`])
    ).stdout.trim()
    const r = await up()
    expect(actions(r)).to.deep.equal({
      build: 'unchanged',
      deploy: 'unchanged',
      load: 'unchanged',
      package: 'unchanged',
      ready: 'skipped',
      register: 'skipped',
    })
    expect(fx.writes(before)).to.deep.equal([])
    expect(
      (await dockerCmd(['image', 'inspect', '--format', '{{.Id}}', `fabk8s-test/${name}:0.1.0`])).stdout.trim(),
    ).to.equal(imageId)
    // where: the namespace and the kube context (the kubeconfig's current one, "fake")
    expect(r.context).to.equal('fake')
    expect(r.steps.find((s) => s.step === 'deploy')!.detail).to.match(
      /^deployment\/\S+ runs \S+ with this package ID in namespace upns \(context fake\)$/,
    )
  })

  it('--dry-run after a source change plans build, load and deploy, and changes nothing', async () => {
    const server = path.join(dir, 'server.js')
    writeFileSync(server, readFileSync(server, 'utf8') + '\n// a change\n')
    const before = fake.requests.length
    const plan = await up('--dry-run')
    expect(plan.dryRun).to.equal(true)
    expect(actions(plan)).to.include({build: 'planned', deploy: 'planned', load: 'planned'})
    expect(plan.steps.find((s) => s.step === 'build')!.detail).to.match(/sources changed/)
    expect(plan.steps.find((s) => s.step === 'deploy')!.detail).to.equal(
      'would deploy the new image in namespace upns (context fake)',
    )
    // the context (fake) names no tool; the Docker engine runs the kind cluster fabk8s.yaml names
    expect(plan.cluster).to.include({cluster: fx.cluster, images: 'load', kind: 'kind'})
    expect(plan.cluster!.why).to.equal(`the Docker engine runs kind cluster ${fx.cluster}`)
    expect(fx.writes(before)).to.deep.equal([])
  })

  it('a remote cluster and no registry: exit 6 naming --registry and image.registry; with --registry the plan pushes instead of loading', async () => {
    const file = path.join(dir, 'fabk8s.yaml')
    const orig = readFileSync(file, 'utf8')
    writeFileSync(file, orig.replace(/kind: \{cluster: .*\}/, 'kind: {cluster: no-such-cluster}'))
    try {
      const before = fake.requests.length
      const r = await runCli(fx.upArgs('--dry-run'))
      expect(r.code, r.stderr).to.equal(6)
      expect(r.stderr).to.match(/context fake is a remote cluster: its nodes cannot see images built here/)
      expect(r.stderr).to.include('--registry').and.include('image.registry')
      const j = await runCli(fx.upArgs('--dry-run', '--json', '--registry', 'localhost:1'))
      expect(j.code, j.stderr).to.equal(0)
      const plan = json<UpResult>(j)
      expect(actions(plan)).to.deep.equal({
        build: 'planned',
        deploy: 'planned',
        package: 'unchanged',
        push: 'planned',
        ready: 'skipped',
        register: 'skipped',
      })
      expect(plan.registry).to.equal('localhost:1')
      expect(plan.cluster).to.include({images: 'registry', kind: 'remote'})
      expect(fx.writes(before)).to.deep.equal([])
    } finally {
      writeFileSync(file, orig)
    }
  })

  it('bad input: a --registry with a scheme is a usage error naming the flag', async () => {
    const r = await runCli(fx.upArgs('--registry', 'https://ghcr.io/acme'))
    expect(r.code).to.equal(2)
    expect(r.stderr).to.match(/--registry "https:\/\/ghcr.io\/acme": expected a registry host\[:port\]\[\/path\]/)
  })

  it('a source change rebuilds, reloads and rolls out under a new tag, with the same package ID', async () => {
    const first = fake.get('Deployment', 'upns', name)!
    const r = await up()
    expect(actions(r)).to.include({build: 'changed', deploy: 'changed', load: 'changed', package: 'unchanged'})
    const d = fake.get('Deployment', 'upns', name)!
    expect(d.spec.template.spec.containers[0].image)
      .to.equal(r.image)
      .and.not.equal(first.spec.template.spec.containers[0].image)
    expect(d.spec.template.spec.containers[0].env).to.deep.include({name: 'CHAINCODE_ID', value: r.packageId})
    expect(first.spec.template.spec.containers[0].env).to.deep.include({name: 'CHAINCODE_ID', value: r.packageId})
  })

  it('Ctrl-C stops after the step in progress with exit 130; running up again resumes', async () => {
    const server = path.join(dir, 'server.js')
    writeFileSync(server, readFileSync(server, 'utf8') + '\n// another change\n')
    const args = fx.upArgs('--timeout', '60s')
    const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'run.js'), ...args], {
      env: {...process.env, CI: 'true', NO_COLOR: '1'},
    })
    let stderr = ''
    child.stderr.on('data', (d) => (stderr += d))
    child.stdout.resume()
    // interrupt once the build step has started
    for (let i = 0; i < 300 && !/Build/.test(stderr); i++) await new Promise((r) => setTimeout(r, 100))
    child.kill('SIGINT')
    const code = await new Promise<null | number>((resolve) => child.on('close', resolve))
    expect(code, stderr).to.equal(130)
    expect(stderr).to.match(
      /Error: interrupted during up: build interrupted: [^\n]*; run `fabk8s up` again to resume\n/,
    )
    const r = await up()
    expect(r.steps.find((x) => x.step === 'deploy')!.action).to.equal('changed')
    expect(fake.get('Deployment', 'upns', name)!.spec.template.spec.containers[0].image).to.equal(r.image)
  })

  it('--json: a run that builds, loads and rolls out prints the result on stdout and nothing else', async () => {
    const server = path.join(dir, 'server.js')
    writeFileSync(server, readFileSync(server, 'utf8') + '\n// json change\n')
    const r = await runCli(fx.upArgs('--json', '--timeout', '60s'))
    expect(r.code, r.stderr).to.equal(0)
    const out = json<UpResult>(r)
    if (out.image) images.push(out.image)
    expect(actions(out)).to.include({build: 'changed', deploy: 'changed', load: 'changed'})
    expect(r.stderr).to.equal('')
  })

  it('--verbose streams the docker build log, and the steps show what build, load and deploy show', async () => {
    const server = path.join(dir, 'server.js')
    writeFileSync(server, readFileSync(server, 'utf8') + '\n// verbose change\n')
    const r = await runCli(fx.upArgs('--verbose', '--timeout', '60s'))
    expect(r.code, r.stderr).to.equal(0)
    // lines of the log itself, not only the build steps a plain run shows
    expect(r.stderr).to.match(/COPY server\.js|load build definition|Sending build context/)
    expect(r.stderr).to.match(/DONE|---> [0-9a-f]{6,}|naming to|Successfully (built|tagged)/)
    // the subtasks of build, load and deploy, as those commands print them
    expect(r.stderr).to.match(/Built fabk8s-test\/\S+ \(sha256:/)
    expect(r.stderr).to.match(/loaded and verified/)
    expect(r.stderr).to.match(/Rolled out deployment\//)
    expect(r.stdout).to.match(/Done in [\d.]+s/)
    expect(r.stdout).to.not.match(/\d\.\d{3,}s/) // durations: at most two decimals
    // where it deployed, and once (stderr) that the context is the current one: the kubeconfig has no kind-<cluster>
    expect(r.stdout).to.match(/deploy\s+rolled out \S+ in namespace upns \(context fake\); ready/)
    const note = `using current context "fake" (no context kind-${fx.cluster} in the kubeconfig; `
    expect(r.stderr.split(note)).to.have.length(2)
  })

  it('the rollout progress shows while up waits for it', async () => {
    const server = path.join(dir, 'server.js')
    writeFileSync(server, readFileSync(server, 'utf8') + '\n// rollout change\n')
    fake.controller = 'NotReady'
    try {
      const r = await runCli(fx.upArgs('--timeout', '4s'))
      expect(r.code, r.stderr).to.equal(8)
      expect(r.stderr).to.match(/Wait for deployment\/\S+ \(timeout 4s\)/)
      // what the rollout waits for, as `fabk8s deploy` shows it
      expect(r.stderr).to.match(/Wait for deployment[^\n]*\n› [^\n]*: NotReady/)
    } finally {
      fake.controller = 'ready'
    }
  })

  it('a failing build prints the last lines of the build log (without colour codes), exit 5', async () => {
    const dockerfile = path.join(dir, 'Dockerfile')
    const good = readFileSync(dockerfile, 'utf8')
    writeFileSync(
      dockerfile,
      good.replace(
        'COPY server.js ./',
        'COPY server.js ./\nRUN printf "\\033[0m\\033[91mabout-to-fail\\033[0m\\n" && exit 3',
      ),
    )
    try {
      const r = await runCli(fx.upArgs('--timeout', '60s'))
      expect(r.code, r.stderr).to.equal(5)
      expect(r.stderr).to.match(/^ {2}\| .*about-to-fail/m)
      expect(r.stderr).to.not.contain('\u001B[')
      expect(r.stderr).to.match(/Error: docker build failed \(exit \d+\) at /)
      expect(r.stderr).to.contain('the last lines of the build log are above')
    } finally {
      writeFileSync(dockerfile, good)
    }
  })

  it('a Kubernetes API that never answers: exit 7 within the --timeout, not a hang', async () => {
    const srv = await silentServer()
    try {
      const kc = srv.kubeconfig(path.join(dir, 'silent.kubeconfig'))
      const args = fx.upArgs('--timeout', '3s', '--json')
      args[args.indexOf('--kubeconfig') + 1] = kc
      const r = await runCli(args)
      expect(r.code, r.stderr).to.equal(7)
      expect(json<{error: {message: string}}>(r).error.message).to.match(
        new RegExp(`^the Kubernetes API at ${srv.url} \\(context "bad"\\) did not answer GET /\\S+ within 3s$`),
      )
    } finally {
      await srv.stop()
    }
  })

  it('Ctrl-C while the API server hangs in the rollout: the first SIGINT stops up (exit 130) and says where', async () => {
    const server = path.join(dir, 'server.js')
    writeFileSync(server, readFileSync(server, 'utf8') + '\n// hang change\n')
    let applied = false
    fake.hang = (r) => {
      if (r.method === 'PATCH' && r.path.endsWith(`/deployments/${name}`)) applied = true
      return applied && r.method === 'GET' && r.path.endsWith(`/deployments/${name}`)
    }

    try {
      const cli = startCli(fx.upArgs('--timeout', '5m'))
      await cli.waitFor(/Wait for deployment\//)
      for (let i = 0; i < 100 && !fake.requests.some((x) => fake.hang!(x)); i++)
        await new Promise((r) => setTimeout(r, 50))
      cli.kill('SIGINT')
      const r = await cli.done
      expect(r.code, r.stderr).to.equal(130)
      expect(r.stderr).to.contain(
        'Error: interrupted during up: build, load, package done; deploy interrupted: the Deployment was applied, rollout not finished; run `fabk8s up` again to resume',
      )
    } finally {
      fake.hang = undefined
    }

    // run again: it picks up where it stopped (here the apply had landed and the rollout finished meanwhile)
    const again = await up()
    expect(fake.get('Deployment', 'upns', name)!.spec.template.spec.containers[0].image).to.equal(again.image)
  })

  it('--dry-run names the nodes it would load into; a kind cluster that is not there is exit 6, as the run would be', async () => {
    // a source change: the build is planned, so the plan has no image to look for on the nodes
    const marker = path.join(dir, `dry-run-${uniq()}.txt`)
    writeFileSync(marker, 'changed\n')
    try {
      const plan = await up('--dry-run')
      expect(actions(plan)).to.include({build: 'planned', load: 'planned'})
      const load = plan.steps.find((s) => s.step === 'load')!
      for (const n of fx.nodes) expect(load.detail).to.contain(n)
      const missing = `fabk8s-none-${uniq()}`
      const r = await runCli(fx.upArgs('--json', '--dry-run', '--cluster', missing))
      expect(r.code, r.stdout + r.stderr).to.equal(6)
      expect(json<{error: {message: string}}>(r).error.message).to.equal(`kind cluster "${missing}" not found`)
    } finally {
      rmSync(marker, {force: true})
    }
  })

  it('bad input: an unknown --skip step is a usage error', async () => {
    const r = await runCli(['up', '-p', dir, '--skip', 'everything'])
    expect(r.code).to.equal(2)
    expect(r.stderr).to.match(/--skip/)
  })

  it('a bad chaincode TLS file fails up before the build (exit 3 naming the field), and no image is built', async () => {
    const bad = mkdtempSync(path.join(tmpdir(), 'fabk8s-up-badtls-'))
    try {
      cpSync(dir, bad, {recursive: true})
      const image = `fabk8s-test/badtls${uniq()}:0.1.0`
      writeFileSync(
        path.join(bad, 'fabk8s.yaml'),
        readFileSync(path.join(dir, 'fabk8s.yaml'), 'utf8').replace(/^image: .*$/m, `image: ${image}`) +
          'chaincode: {tls: {enabled: true, rootCert: ca.crt, cert: ca.crt, key: ca.crt}}\n',
      )
      writeFileSync(path.join(bad, 'ca.crt'), 'garbage\n')
      const r = await runCli(['up', '-p', bad, '--kubeconfig', fx.kubeconfig, '--base-image', fx.base, '--json'])
      expect(r.code, r.stderr + r.stdout).to.equal(3)
      expect(json<{error: {message: string}}>(r).error.message).to.match(/^chaincode\.tls\.\w+: .*ca\.crt /)
      const inspect = await dockerCmd(['image', 'inspect', image])
      expect(inspect.code, 'no image was built').to.not.equal(0)
    } finally {
      rmSync(bad, {force: true, recursive: true})
    }
  })

  it('step by step after a source change: build → load → deploy roll out the new build, and up then has nothing to do', async () => {
    await up() // what runs now, whatever ran before
    const server = path.join(dir, 'server.js')
    writeFileSync(server, readFileSync(server, 'utf8') + '\n// a change for build, load, deploy\n')
    const running = fake.get('Deployment', 'upns', name)!.spec.template.spec.containers[0].image
    const cli = async <T>(...args: string[]) => {
      const r = await runCli([...args, '-p', dir, '--json'])
      expect(r.code, `${args.join(' ')}: ${r.stderr}${r.stdout}`).to.equal(0)
      return json<T>(r)
    }

    const built = await cli<{buildTag: string; id: string; image: string}>(
      'build',
      '--base-image',
      fx.base,
      ...(fx.network ? ['--network', fx.network] : []),
    )
    expect(built.image).to.equal(fx.image)
    expect(built.buildTag)
      .to.equal(`${fx.image}-${built.id.slice(7, 19)}`)
      .and.not.equal(running)
    images.push(built.buildTag)
    const loaded = await cli<{image: string}>('load')
    expect(loaded.image).to.equal(built.buildTag)
    for (const n of fx.nodes) expect(await nodeImages(n)).to.include(`docker.io/${built.buildTag}`)
    const deployed = await cli<{image: string; rolledOut: boolean}>('deploy', '--kubeconfig', fx.kubeconfig)
    expect(deployed).to.include({image: built.buildTag, rolledOut: true})
    expect(fake.get('Deployment', 'upns', name)!.spec.template.spec.containers[0].image).to.equal(built.buildTag)

    // the same inputs as up's build: up keeps that image, and every step finds its work done
    const before = fake.requests.length
    const r = await up()
    expect(actions(r)).to.include({build: 'unchanged', deploy: 'unchanged', load: 'unchanged'})
    expect(r.image).to.equal(built.buildTag)
    expect(fx.writes(before)).to.deep.equal([])
  })

  it('an edit loop does not pile up images: Docker keeps the build tags of the 3 newest builds, build and up remove older ones, and the nodes keep what Docker keeps', async () => {
    const server = path.join(dir, 'server.js')
    const buildTags = async () =>
      (await dockerCmd(['image', 'ls', fx.image.replace(/:[^:/]+$/, ''), '--format', '{{.Tag}}'])).stdout
        .split('\n')
        .filter((t) => /^0\.1\.0-[0-9a-f]{12}$/.test(t))
        .map((t) => `${fx.image}-${t.slice(6)}`)
    const made: string[] = []
    for (let i = 0; i < 4; i++) {
      writeFileSync(server, readFileSync(server, 'utf8') + `\n// edit ${i} of the loop\n`)
      const r = await runCli([
        'build',
        '-p',
        dir,
        '--base-image',
        fx.base,
        ...(fx.network ? ['--network', fx.network] : []),
        '--json',
      ])
      expect(r.code, r.stderr).to.equal(0)
      made.push(json<{buildTag: string}>(r).buildTag)
      images.push(made.at(-1)!)
      // the loop's first build goes onto the nodes too
      if (i === 0) expect((await runCli(['load', '-p', dir])).code).to.equal(0)
    }

    // the three newest stay; everything older went, this loop's first build included
    expect(await buildTags()).to.have.members(made.slice(1))
    // up builds too, and prunes the same way
    writeFileSync(server, readFileSync(server, 'utf8') + '\n// an edit up builds\n')
    const u = await up()
    expect(u.steps.find((x) => x.step === 'build')!.detail).to.match(/removed 1 older build tag\(s\)$/)
    expect(await buildTags()).to.have.members([u.image, ...made.slice(2)])
    // and its load leaves on the nodes only the build tags Docker keeps (no pod uses an older one here)
    expect(u.steps.find((x) => x.step === 'load')!.detail).to.match(
      /; removed \d+ older build tag\(s\) from the nodes$/,
    )
    for (const n of fx.nodes) {
      const onNode = (await nodeImages(n)).filter((ref) => ref.startsWith(`docker.io/${fx.image}-`))
      expect(onNode).to.include(`docker.io/${u.image}`).and.not.include(`docker.io/${made[0]}`)
      const kept = new Set([u.image, ...made.slice(2)].map((t) => `docker.io/${t}`))
      expect(
        onNode.filter((ref) => !kept.has(ref)),
        n,
      ).to.deep.equal([])
    }

    // the project's own tag still names the newest build
    const id = (await dockerCmd(['image', 'inspect', '--format', '{{.Id}}', fx.image])).stdout.trim()
    expect(u.image).to.equal(`${fx.image}-${id.slice(7, 19)}`)
  })
})

describe('fabk8s up with a real Fabric network @integration', function () {
  this.timeout(900_000)
  let dir: string
  let server: ChildProcess | undefined
  const name = `upcc${uniq()}`

  before(async function () {
    const f = fabnetOrSkip(this)
    dir = mkdtempSync(path.join(tmpdir(), 'fabk8s-upcc-'))
    const port = await freePort()
    // the scaffolded JavaScript chaincode, run here as a local process at the address connection.json names
    const init = await runCli(['init', name, '--language', 'javascript', '--yes', '--dir', dir, '--port', String(port)])
    expect(init.code, init.stderr).to.equal(0)
    const yaml = readFileSync(path.join(dir, 'fabk8s.yaml'), 'utf8').replace(
      /address: .*/,
      `address: 127.0.0.1:${port}`,
    )
    writeFileSync(path.join(dir, 'fabk8s.yaml'), `${yaml}\n${networkYaml(f)}`)
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], {cwd: dir, stdio: 'pipe'})
    const pkg = json<{packageId: string}>(await runCli(['lifecycle', 'package', '-p', dir, '--json', '--output', dir]))
    server = spawn(process.execPath, ['lib/server.js'], {
      cwd: dir,
      env: {...process.env, CHAINCODE_ID: pkg.packageId, CHAINCODE_SERVER_ADDRESS: `127.0.0.1:${port}`},
      stdio: 'ignore',
    })
  })

  after(() => {
    server?.kill('SIGKILL')
    if (dir) rmSync(dir, {force: true, recursive: true})
  })

  const up = async (...extra: string[]) => {
    const r = await runCli([
      'up',
      '-p',
      dir,
      '--skip',
      'build',
      '--skip',
      'load',
      '--skip',
      'deploy',
      '--json',
      '--timeout',
      '60s',
      ...extra,
    ])
    expect(r.code, r.stderr + r.stdout).to.equal(0)
    return json<UpResult>(r)
  }

  it('registers for both orgs, then the scaffolded chaincode answers invoke and query through the peers', async () => {
    const r = await up()
    expect(actions(r)).to.include({ready: 'unchanged', register: 'changed'})
    expect(r.sequence).to.equal(1)
    expect(r.ready).to.equal(true)
    const inv = await runCli(['invoke', '-p', dir, 'CreateAsset', 'a1', 'blue', 'alice', '--json'])
    expect(inv.code, inv.stderr).to.equal(0)
    const q = await runCli(['query', '-p', dir, 'ReadAsset', 'a1', '--json'])
    expect(q.code, q.stderr).to.equal(0)
    expect(JSON.parse(json<{result: string}>(q).result)).to.deep.equal({
      docType: 'asset',
      id: 'a1',
      owner: 'alice',
      value: 'blue',
    })
  })

  it('a second run changes nothing on the network', async () => {
    const r = await up()
    expect(actions(r)).to.include({ready: 'unchanged', register: 'unchanged'})
  })

  it('status compares the running CHAINCODE_ID with the approvals and installs, loudly on a mismatch', async () => {
    const fake = await new FakeKubeApiServer().start()
    try {
      const kubeconfig = fake.kubeconfig(path.join(dir, 'kubeconfig'))
      const dep = await runCli(['deploy', '-p', dir, '--kubeconfig', kubeconfig, '--json', '--timeout', '30s'])
      expect(dep.code, dep.stderr).to.equal(0)
      const ok = await runCli(['status', '-p', dir, '--kubeconfig', kubeconfig, '--json'])
      expect(ok.code, ok.stderr).to.equal(0)
      const s = json<{
        fabric: {approved: Record<string, string>; missingOn: string[]}
        packageId: string
        packageIdMatches: boolean
      }>(ok)
      expect(s.fabric.approved).to.deep.equal({Org1MSP: s.packageId, Org2MSP: s.packageId})
      expect(s.fabric.missingOn).to.deep.equal([])
      expect(s.packageIdMatches).to.equal(true)
      // the pods run another package (a label change gives another package ID) that nobody installed or approved
      const other = await runCli([
        'deploy',
        '-p',
        dir,
        '--kubeconfig',
        kubeconfig,
        '--json',
        '--timeout',
        '30s',
        '--image',
        'other:1',
      ])
      expect(other.code, other.stderr).to.equal(0)
      const file = path.join(dir, 'fabk8s.yaml')
      const yaml = readFileSync(file, 'utf8')
      writeFileSync(file, yaml.replace(/^# label: .*$/m, `label: ${name}_other`))
      const dep2 = await runCli(['deploy', '-p', dir, '--kubeconfig', kubeconfig, '--json', '--timeout', '30s'])
      expect(dep2.code, dep2.stderr).to.equal(0)
      writeFileSync(file, yaml)
      const bad = await runCli(['status', '-p', dir, '--kubeconfig', kubeconfig])
      expect(bad.code).to.equal(0)
      expect(bad.stdout).to.match(/PACKAGE ID MISMATCH: the peers expect /)
      expect(bad.stdout).to.match(/missing on /)
    } finally {
      await fake.stop()
    }
  })

  it('status after an edit of the definition: the committed approvals still match the pods; the next sequence is named', async () => {
    const fake = await new FakeKubeApiServer().start()
    const file = path.join(dir, 'fabk8s.yaml')
    const yaml = readFileSync(file, 'utf8')
    try {
      const kubeconfig = fake.kubeconfig(path.join(dir, 'kubeconfig'))
      const dep = await runCli(['deploy', '-p', dir, '--kubeconfig', kubeconfig, '--json', '--timeout', '30s'])
      expect(dep.code, dep.stderr).to.equal(0)
      // a new endorsement policy, not registered yet: the peers still run the committed sequence with this package
      writeFileSync(file, yaml.replace(/^definition:\n/m, `definition:\n  signaturePolicy: "OR('Org1MSP.member')"\n`))
      const r = await runCli(['status', '-p', dir, '--kubeconfig', kubeconfig, '--json'])
      expect(r.code, r.stderr).to.equal(0)
      const s = json<{
        fabric: {
          approved: Record<string, string>
          committedSequence: number
          planned?: {reason: string; sequence: number}
        }
        packageId: string
        packageIdMatches: boolean
      }>(r)
      expect(s.fabric.approved).to.deep.equal({Org1MSP: s.packageId, Org2MSP: s.packageId})
      expect(s.packageIdMatches).to.equal(true)
      expect(s.fabric.planned).to.deep.include({sequence: s.fabric.committedSequence + 1})
      expect(s.fabric.planned?.reason).to.match(/endorsementPolicy/)
      const text = await runCli(['status', '-p', dir, '--kubeconfig', kubeconfig])
      expect(text.stdout).to.not.match(/no approval/)
      expect(text.stdout).to.match(/next\s+sequence \d+: definition changed \(endorsementPolicy\)/)
      expect(text.stdout).to.match(/package ID matches the expected/)
    } finally {
      writeFileSync(file, yaml)
      await fake.stop()
    }
  })

  it('Ctrl-C while a peer never answers: the first SIGINT stops up at once (exit 130)', async () => {
    const silent = await silentServer()
    const file = path.join(dir, 'fabk8s.yaml')
    const yaml = readFileSync(file, 'utf8')
    const {port} = new URL(silent.url)
    writeFileSync(file, yaml.replaceAll(/address: "?localhost:\d+"?/g, `address: "127.0.0.1:${port}"`))
    try {
      const cli = startCli(['up', '-p', dir, '--skip', 'build', '--skip', 'load', '--skip', 'deploy'])
      await cli.waitFor(/Register with Fabric/)
      for (let i = 0; i < 100 && silent.hits === 0; i++) await new Promise((r) => setTimeout(r, 50))
      cli.kill('SIGINT')
      const r = await cli.done
      expect(r.code, r.stderr).to.equal(130)
      expect(r.stderr).to.contain(
        'Error: interrupted during up: package done; register interrupted: nothing changed in this step; run `fabk8s up` again to resume',
      )
    } finally {
      writeFileSync(file, yaml)
      await silent.stop()
    }
  })

  it('a definition change (endorsement policy) bumps the sequence', async () => {
    const file = path.join(dir, 'fabk8s.yaml')
    writeFileSync(
      file,
      readFileSync(file, 'utf8').replace(
        /# signaturePolicy: .*/,
        `signaturePolicy: "OR('Org1MSP.peer','Org2MSP.peer')"`,
      ),
    )
    const r = await up()
    expect(actions(r)).to.include({register: 'changed'})
    expect(r.sequence).to.equal(2)
  })
})

describe('fabk8s up: the peers cannot reach the chaincode @integration (real Fabric network)', function () {
  this.timeout(300_000)
  let dir: string

  before(function () {
    const f = fabnetOrSkip(this)
    dir = tempProject(f, {address: 'rn.fabk8s.svc.cluster.local:9999', name: `uprn${uniq()}`})
  })

  after(() => {
    if (dir) rmSync(dir, {force: true, recursive: true})
  })

  it("says once, plainly, what is wrong (not the peers' error on every retry); --verbose keeps the raw error", async () => {
    const args = ['up', '-p', dir, '--skip', 'build', '--skip', 'load', '--skip', 'deploy', '--timeout', '8s']
    const r = await runCli(args)
    expect(r.code, r.stderr).to.equal(8)
    const said = r.stderr.match(/waiting: .*/g) ?? []
    expect(said).to.deep.equal([
      'waiting: the peers cannot resolve rn.fabk8s.svc.cluster.local, the host of the chaincode at rn.fabk8s.svc.cluster.local:9999 (no such host)',
    ])
    expect(r.stderr).to.contain(
      'Error: the chaincode did not answer within 8s: the peers cannot resolve rn.fabk8s.svc.cluster.local, the host of the chaincode at rn.fabk8s.svc.cluster.local:9999 (no such host)',
    )
    expect(r.stderr).to.match(/Hint: the peers must reach the chaincode Service at that name.*NodePort/)
    expect(r.stderr).to.not.contain('could not launch chaincode')
    const v = await runCli([...args, '--verbose'])
    expect(v.code).to.equal(8)
    expect(v.stderr).to.contain('could not launch chaincode').and.to.contain('no such host')
  })

  it('connection refused: says what to check from up itself, not "start it with `fabk8s up`"', async function () {
    const refused = tempProject(fabnetOrSkip(this), {address: '127.0.0.1:1', name: `uprf${uniq()}`})
    try {
      const r = await runCli([
        'up',
        '-p',
        refused,
        '--skip',
        'build',
        '--skip',
        'load',
        '--skip',
        'deploy',
        '--timeout',
        '8s',
      ])
      expect(r.code, r.stderr).to.equal(8)
      expect(r.stderr).to.contain(
        'Error: the chaincode did not answer within 8s: the peers cannot reach the chaincode at 127.0.0.1:1 (connection refused): is it running? `fabk8s status` shows its pods, and why one is not ready',
      )
      expect(r.stderr).to.not.contain('start it with `fabk8s up`')
    } finally {
      rmSync(refused, {force: true, recursive: true})
    }
  })
})

describe('fabk8s up: steps that cannot be left out', () => {
  it('--skip package while deploy or register still run is exit 2 naming them, before any step runs', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'fabk8s-up-skip-'))
    try {
      const base = 'name: kv\nversion: "1.0"\n'
      const network =
        'network:\n  orderer: {address: "localhost:1", tlsCACert: o.pem}\n  orgs:\n' +
        '    - {mspId: Org1MSP, mspPath: msp, peers: [{address: "localhost:2", tlsCACert: p.pem}]}\n'
      // no Docker, no cluster: the error comes first
      const env = {DOCKER_HOST: 'unix:///nonexistent/docker.sock', KUBECONFIG: path.join(dir, 'none')}
      writeFileSync(path.join(dir, 'fabk8s.yaml'), base)
      const a = await runCli(['up', '-p', dir, '--skip', 'package', '--json'], {env})
      expect(a.code, a.stdout + a.stderr).to.equal(2)
      expect(json<{error: {message: string}}>(a).error.message).to.equal('--skip package: deploy needs its package ID')
      writeFileSync(path.join(dir, 'fabk8s.yaml'), base + network)
      const b = await runCli(
        ['up', '-p', dir, ...['build', 'load', 'package', 'deploy'].flatMap((x) => ['--skip', x])],
        {env},
      )
      expect(b.code, b.stderr).to.equal(2)
      expect(b.stderr).to.contain('Error: --skip package: register needs its package ID')
      expect(b.stderr).to.contain('add --skip register, or leave the package step in')
      expect(b.stderr).not.to.match(/bug in fabk8s|Cannot read properties/)
    } finally {
      rmSync(dir, {force: true, recursive: true})
    }
  })

  it('-n other than the namespace chaincode.address names is exit 2 before any step runs (not after the build)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'fabk8s-up-ns-'))
    try {
      writeFileSync(
        path.join(dir, 'fabk8s.yaml'),
        'name: kv\nversion: "1.0"\nchaincode:\n  address: basic-cc.fabk8s.svc.cluster.local:9999\n',
      )
      const env = {DOCKER_HOST: 'unix:///nonexistent/docker.sock', KUBECONFIG: path.join(dir, 'none')}
      const r = await runCli(['up', '-p', dir, '-n', 'other', '--json'], {env})
      expect(r.code, r.stdout + r.stderr).to.equal(2)
      expect(json<{error: {message: string}}>(r).error.message).to.equal(
        'chaincode.address basic-cc.fabk8s.svc.cluster.local:9999 names namespace fabk8s, but the chaincode goes to namespace other: the peers would dial Services that are not there',
      )
      // with deploy left out, nothing goes to a namespace: the build is what fails here (no Docker)
      const b = await runCli(['up', '-p', dir, '-n', 'other', '--skip', 'deploy', '--json'], {env})
      expect(json<{error: {code: string}}>(b).error.code).to.equal('DOCKER')
    } finally {
      rmSync(dir, {force: true, recursive: true})
    }
  })
})
