/**
 * `fabk8s dev` for real: the test bed's Fabric peers call chaincode that runs on this machine, through the relay
 * that replaced the chaincode's pods on the bed's real node and the port-forward streams through the
 * kube-apiserver. Per language: start dev, invoke, change the contract, invoke again and get the new behaviour;
 * the debugger answers; Ctrl-C puts the Deployment back (its spec equal to before); `kill -9` of dev is repaired
 * by the next `fabk8s dev` and by `fabk8s up`. And --in-cluster: a save rolls a new image.
 *
 * Needs: a Docker engine, the bed's Fabric network and real node (`bash test/bed/bed.sh up`, source its env
 * file), npm (the scaffolds' dependencies) and go.
 */
import type {AppsV1Api, CoreV1Api} from '@kubernetes/client-node'

import {expect} from 'chai'
import {spawnSync} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {homedir, tmpdir} from 'node:os'
import path from 'node:path'

import type {UpResult} from '../../src/lib/up/up.js'

import {stateFile, stopLeftovers} from '../../src/lib/dev/local/process.js'
import {type Fabnet, fabnetOrSkip} from '../lib/fabric/fabnet.js'
import {makeProject} from '../lib/kube/support.js'
import {type BedProject, BedProjects, CONTRACT, type Language} from '../support/bed-project.js'
import {type BedNode, bedNodeOrSkip} from '../support/bed.js'
import {type CliSession, startCli} from '../support/cli-session.js'
import {json} from '../support/cli.js'
import {buildNetwork, cleanup, nodeBaseImage, requireDocker} from '../support/docker.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('fabk8s dev: Ctrl-C names the Deployment the relay stands in for @integration', function () {
  this.timeout(120_000)
  let dir: string | undefined

  after(() => {
    if (dir) rmSync(dir, {force: true, recursive: true})
  })

  it('chaincode.address hbsvc.<ns>…: the Ctrl-C line names deployment/hbsvc (the Service the peers dial), not the project', async function () {
    const kubeconfig = process.env.FABK8S_TEST_KUBECONFIG
    if (!kubeconfig) {
      console.log(
        "      skipped: FABK8S_TEST_KUBECONFIG is not set (the test bed's kube part: bash test/bed/bed.sh up kube)",
      )
      this.skip()
    }

    dir = makeProject(mkdtempSync(path.join(tmpdir(), 'hb-dev-name-')), {
      address: 'hbsvc.hb-dev-name.svc.cluster.local:9999',
      name: 'hbproj',
      namespace: 'hb-dev-name',
    })
    // enough of a Node project for dev to start setting up; the Ctrl-C comes before anything runs
    mkdirSync(path.join(dir, 'node_modules'))
    writeFileSync(path.join(dir, 'package.json'), JSON.stringify({scripts: {start: 'node index.js'}}))
    const s = startCli(['dev', '--no-debug', '--local-port', '0'], {
      cwd: dir,
      env: {...process.env, KUBECONFIG: kubeconfig},
    })
    await s.waitFor(/package ID/, {timeoutMs: 60_000})
    s.child.kill('SIGINT')
    // the line a second Ctrl-C would print ("left at once: deployment/…") names the same Deployment; whether a second
    // one lands before the put-back ends is a race, so it is not sent here (the real-node suite below sends it)
    const r = await s.exited
    expect(r.code, s.stderr()).to.equal(130)
    expect(s.stderr()).to.match(/stopping: putting deployment\/hbsvc back \(Ctrl-C again leaves at once/)
    expect(s.stderr()).to.not.contain('deployment/hbproj')
  })
})

describe('fabk8s dev on the real node with the bed’s peers @integration', function () {
  this.timeout(1_800_000)
  let bed: BedNode
  let net: Fabnet
  let core: CoreV1Api
  let apps: AppsV1Api
  let projects: BedProjects
  let dockerNetwork: string | undefined
  const images: string[] = []
  const sessions: CliSession[] = []
  const dirs: string[] = []

  before(async function () {
    await requireDocker(this)
    net = fabnetOrSkip(this)
    bed = bedNodeOrSkip(this)
    const k8s = await import('@kubernetes/client-node')
    const kc = new k8s.KubeConfig()
    kc.loadFromFile(bed.kubeconfig)
    core = kc.makeApiClient(k8s.CoreV1Api)
    apps = kc.makeApiClient(k8s.AppsV1Api)
    projects = new BedProjects(bed, net, core, 'dev')
    dockerNetwork = await buildNetwork()
  })

  afterEach(async function () {
    for (const s of sessions.splice(0)) {
      if (this.currentTest?.state === 'failed')
        console.log(`      --- fabk8s ${s.args.join(' ')} (stderr, end):\n${s.stderr().slice(-6000)}`)
      if (s.child.exitCode === null) s.child.kill('SIGKILL')
      await s.exited
    }
  })

  after(async () => {
    // the local chaincode of a dev that was killed outlives it: stop it the way the next dev would
    for (const d of dirs) await stopLeftovers(stateFile(d))
    await projects?.cleanup()
    await cleanup({images})
  })

  async function create(language: Language, o: {mtls?: boolean} = {}): Promise<BedProject> {
    // mTLS: init makes the certificates for the address the peers dial (the node's IP and the NodePort)
    const p = await projects.create(language, {clientAuth: o.mtls, restricted: true, tls: o.mtls})
    dirs.push(p.dir)
    // the dependencies a developer installs once (Java: dev has Maven resolve them itself)
    const install =
      language === 'go'
        ? spawnSync('go', ['mod', 'download'], {cwd: p.dir, encoding: 'utf8'})
        : language === 'java'
          ? undefined
          : spawnSync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], {
              cwd: p.dir,
              encoding: 'utf8',
            })
    if (install) expect(install.status, `${install.stdout}\n${install.stderr}`).to.equal(0)
    return p
  }

  function dev(p: BedProject, ...args: string[]): CliSession {
    const s = startCli(['dev', '--local-port', '0', '--debug-port', '0', '--timeout', '180s', ...args], {
      cwd: p.dir,
      env: p.env,
    })
    sessions.push(s)
    return s
  }

  /** Query until the answer (or error) matches: the first call after a restart may race the peer's reconnect. */
  async function queryUntil(p: BedProject, args: string[], re: RegExp, timeoutMs = 30_000): Promise<string> {
    const end = Date.now() + timeoutMs
    let last = ''
    while (Date.now() < end) {
      const r = await p.fabk8s('query', ...args)
      last = `${r.stdout}${r.stderr}`
      if (re.test(last)) return last
      await sleep(500)
    }

    throw new Error(`query ${args.join(' ')} never matched ${re}; last answer:\n${last}`)
  }

  /** Invoke; a failure shows the dev session's output too (its peer connections, restarts and chaincode log). */
  async function invoke(p: BedProject, s: CliSession, ...args: string[]) {
    const r = await p.fabk8s('invoke', ...args, '--json')
    expect(r.code, `${r.stdout}${r.stderr}\n--- fabk8s dev so far:\n${s.stderr().slice(-6000)}`).to.equal(0)
    expect(json<{validation: string}>(r).validation).to.equal('VALID')
  }

  function change(p: BedProject, language: Language, from: string, to: string) {
    const file = path.join(p.dir, CONTRACT[language])
    const src = readFileSync(file, 'utf8')
    expect(src, `${CONTRACT[language]} holds "${from}"`).to.include(from)
    writeFileSync(file, src.replaceAll(from, to))
  }

  async function deployment(p: BedProject) {
    try {
      return await apps.readNamespacedDeployment({name: p.name, namespace: p.namespace})
    } catch {}
  }

  async function upArgs(): Promise<string[]> {
    const args = ['up', '--json', '--timeout', '180s', '--base-image', await nodeBaseImage()]
    if (dockerNetwork) args.push('--docker-network', dockerNetwork)
    return args
  }

  async function up(p: BedProject, ...more: string[]): Promise<UpResult> {
    const args = [...(await upArgs()), ...more]
    const r = await p.fabk8s(...args)
    expect(r.code, `fabk8s up: ${r.stderr}\n${r.stdout}`).to.equal(0)
    const out = json<UpResult>(r)
    if (out.image) images.push(out.image)
    return out
  }

  async function stop(s: CliSession) {
    s.child.kill('SIGINT')
    const r = await s.exited
    expect(r.code, s.stderr().slice(-3000)).to.equal(0)
  }

  describe('typescript, deployed with up first', () => {
    let p: BedProject
    let before: unknown

    it('dev: invoke → change → invoke answers with the new code; the inspector answers; the relay pod is restricted and doctor-clean; Ctrl-C restores the spec', async () => {
      p = await create('typescript')
      await up(p)
      before = structuredClone((await deployment(p))?.spec)
      expect(before).to.not.equal(undefined)

      const s = dev(p)
      await s.waitFor(/ready: peers reach the local chaincode/, {timeoutMs: 600_000})
      expect(s.stderr()).to.match(/Register with Fabric: sequence 1 committed/)
      expect(s.stderr()).to.match(/it ran .*:1\.0-[0-9a-f]{12}/)

      // the relay runs on the real node in a namespace that enforces Pod Security "restricted"
      const pods = (await core.listNamespacedPod({namespace: p.namespace})).items.filter(
        (x) => !x.metadata?.deletionTimestamp,
      )
      expect(pods.map((x) => x.spec?.containers[0].image)).to.satisfy((l: string[]) =>
        l.every((i) => i.startsWith('fabk8s-relay:')),
      )
      expect(pods[0].spec?.nodeName).to.equal(bed.nodeName)
      // status says the pods are dev's relay, and whose
      const st = await p.fabk8s('status', '--json')
      expect(json<{dev?: string}>(st).dev).to.match(/ pid \d+ since /)
      expect((await p.fabk8s('status')).stdout).to.match(
        /^dev\s+the pods are `fabk8s dev`'s relay \(\S+ pid \d+ since /m,
      )
      const doctor = await p.fabk8s('doctor', '--cluster', '-n', p.namespace, '--fail-on', 'info', '--json')
      expect(doctor.code, doctor.stdout + doctor.stderr).to.equal(0)
      expect(json<{findings: unknown[]}>(doctor).findings).to.deep.equal([])

      // the inspector of the local chaincode answers
      const port = Number(/debugger on 127\.0\.0\.1:(\d+)/.exec(s.stderr())![1])
      const targets = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as {type: string}[]
      expect(targets[0].type).to.equal('node')

      await invoke(p, s, 'CreateAsset', 'a1', 'blue', 'alice')
      await queryUntil(p, ['ReadAsset', 'nope'], /asset nope does not exist/)
      expect(s.stderr()).to.match(/peer connection \d+ from \d+\.\d+\.\d+\.\d+:\d+/)

      const mark = s.mark()
      change(p, 'typescript', 'does not exist', 'is not here (v2)')
      await s.waitFor(/restarted in [\d.]+s \(build [\d.]+s, start [\d.]+s\)/, {from: mark, timeoutMs: 120_000})
      await queryUntil(p, ['ReadAsset', 'nope'], /asset nope is not here \(v2\)/)
      const a1 = await p.fabk8s('query', 'ReadAsset', 'a1', '--json')
      expect(JSON.parse(json<{result: string}>(a1).result)).to.include({id: 'a1', value: 'blue'})

      // a type error: reported with file and line, the running chaincode stays
      const bad = s.mark()
      change(p, 'typescript', 'is not here (v2)', 'is not here (v2) ${noSuchName42}')
      await s.waitFor(/build failed[^\n]*\n[\d:]+\s+✖ src\/asset\.ts:\d+:\d+ TS2304: Cannot find name 'noSuchName42'/, {
        from: bad,
        timeoutMs: 120_000,
      })
      await queryUntil(p, ['ReadAsset', 'nope'], /asset nope is not here \(v2\)/)

      await stop(s)
      expect(s.stderr()).to.match(/Restore: deployment\/\S+ is back as it was/)
      expect((await deployment(p))?.spec).to.deep.equal(before)
      expect(json<{dev?: string}>(await p.fabk8s('status', '--json')).dev).to.equal(undefined)
      change(p, 'typescript', 'is not here (v2) ${noSuchName42}', 'does not exist')
      // the real pod answers again, with the image's code (the change above was never built into it)
      await queryUntil(p, ['ReadAsset', 'nope'], /asset nope does not exist/, 120_000)
    })

    it('dev killed with SIGKILL: the next dev repairs and restores; after another SIGKILL, `fabk8s up` puts the real Deployment back', async function () {
      if (!p) this.skip()
      const first = dev(p)
      await first.waitFor(/ready: peers reach/, {timeoutMs: 600_000})
      first.child.kill('SIGKILL')
      await first.exited
      const swapped = await deployment(p)
      expect(swapped?.metadata?.annotations?.['fabk8s.io/dev']).to.be.a('string')

      const second = dev(p)
      await second.waitFor(/ready: peers reach/, {timeoutMs: 600_000})
      expect(second.stderr()).to.match(/stopped .* left running by an earlier fabk8s dev/)
      expect(second.stderr()).to.match(/repaired what a session that did not exit cleanly left/)
      await queryUntil(p, ['ReadAsset', 'a1'], /"id":"a1"/)
      await stop(second)
      expect((await deployment(p))?.spec).to.deep.equal(before)

      const third = dev(p)
      await third.waitFor(/ready: peers reach/, {timeoutMs: 600_000})
      third.child.kill('SIGKILL')
      await third.exited
      await stopLeftovers(stateFile(p.dir))
      const r = await up(p)
      expect(r.steps.find((x) => x.step === 'deploy')?.action).to.equal('changed')
      expect(r.steps.find((x) => x.step === 'register')?.action).to.equal('unchanged')
      const after = await deployment(p)
      expect(after?.spec).to.deep.equal(before)
      expect(after?.metadata?.annotations?.['fabk8s.io/dev']).to.equal(undefined)
      await queryUntil(p, ['ReadAsset', 'a1'], /"id":"a1"/, 120_000)
    })

    it('a second Ctrl-C while the Deployment is put back: exit 130 at once, saying the relay may still run; `fabk8s up` puts it back', async function () {
      if (!p) this.skip()
      const s = dev(p)
      await s.waitFor(/ready: peers reach/, {timeoutMs: 600_000})
      const mark = s.mark()
      s.child.kill('SIGINT')
      await s.waitFor(/Restore: putting deployment\/\S+ back/, {from: mark, timeoutMs: 60_000})
      s.child.kill('SIGINT')
      const r = await s.exited
      expect(r.code, s.stderr().slice(-3000)).to.equal(130)
      expect(s.stderr().slice(mark)).to.match(
        /left at once: deployment\/\S+ may still run the relay instead of the chaincode; `fabk8s dev` or `fabk8s up` puts it back/,
      )
      await stopLeftovers(stateFile(p.dir))
      await up(p)
      expect((await deployment(p))?.spec).to.deep.equal(before)
    })

    it('fabk8s up, deploy and another dev while dev runs: refused (exit 11) naming the session; up --take-over puts the chaincode back, and dev says so and stops (exit 11)', async function () {
      if (!p) this.skip()
      const s = dev(p)
      await s.waitFor(/ready: peers reach/, {timeoutMs: 600_000})
      const relay = structuredClone((await deployment(p))?.spec)
      const session = new RegExp(String.raw`\(\S+@\S+ pid ${s.child.pid} since \S+\)`)

      // up: refused before the build, one line naming the session, the hint naming --take-over
      const u = await p.fabk8s(...(await upArgs()).filter((a) => a !== '--json'))
      expect(u.code, u.stderr).to.equal(11)
      const line = /^Error: (.*)$/m.exec(u.stderr)?.[1] ?? ''
      expect(line).to.match(/^deployment\/\S+ runs the relay of a `fabk8s dev` session that is still running /)
      expect(line)
        .to.match(session)
        .and.to.match(/: fabk8s up would replace it$/)
      expect(u.stderr).to.match(/Hint: end that session with Ctrl-C in its terminal .*--take-over/)
      expect(u.stderr).to.not.match(/built \S+ in/)
      // --dry-run says so, and changes nothing
      const plan = await p.fabk8s('up', '--dry-run', '--json')
      expect(plan.code, plan.stdout + plan.stderr).to.equal(0)
      const deployStep = json<UpResult>(plan).steps.find((x) => x.step === 'deploy')
      expect(deployStep?.action).to.equal('planned')
      expect(deployStep?.detail).to.match(
        /^would stop \(exit 11\): deployment\/\S+ runs the relay of a `fabk8s dev` session that is still running/,
      )
      // deploy --json: the error document, exit 11
      const d = await p.fabk8s('deploy', '--json')
      expect(d.code, d.stdout + d.stderr).to.equal(11)
      const e = json<{error: {code: string; exitCode: number; message: string}}>(d).error
      expect(e).to.include({code: 'IN_USE', exitCode: 11})
      expect(e.message)
        .to.match(session)
        .and.to.match(/fabk8s deploy would replace it$/)
      // another dev: refused too, and it changes nothing
      const other = dev(p)
      const o = await other.exited
      expect(o.code, other.stderr().slice(-3000)).to.equal(11)
      expect(other.stderr()).to.match(/fabk8s dev would replace it/)
      // the relay is untouched and dev still serves the peers
      expect((await deployment(p))?.spec).to.deep.equal(relay)
      await queryUntil(p, ['ReadAsset', 'a1'], /"id":"a1"/)

      const mark = s.mark()
      await up(p, '--take-over')
      const r = await s.exited
      expect(r.code, s.stderr().slice(-3000)).to.equal(11)
      const said = s.stderr().slice(mark)
      expect(said).to.match(
        /Restore: left deployment\/\S+ alone: it no longer runs the relay \(fabk8s up or deploy applied the chaincode while dev ran\)/,
      )
      expect(said).to.match(
        /Error: deployment\/\S+ no longer runs this session's relay: fabk8s up or fabk8s deploy \(--take-over\) put the chaincode back; the peers no longer reach this session, so fabk8s dev stopped/,
      )
      expect((await deployment(p))?.spec).to.deep.equal(before)
    })

    it('--in-cluster: a save rebuilds, loads and rolls the image; each iteration prints its step times', async function () {
      if (!p) this.skip()
      const args = ['dev', '--in-cluster', '--timeout', '180s', '--base-image', await nodeBaseImage()]
      if (dockerNetwork) args.push('--docker-network', dockerNetwork)
      const s = startCli(args, {cwd: p.dir, env: p.env})
      sessions.push(s)
      await s.waitFor(/iteration 1 done in [\d.]+s/, {timeoutMs: 600_000})
      const mark = s.mark()
      change(p, 'typescript', 'does not exist', 'is gone (cluster)')
      const done = await s.waitFor(/iteration \d+ done in [\d.]+s: (\S+)\n[\d:]+\s+(build [^\n]+)/, {
        from: mark,
        timeoutMs: 900_000,
      })
      expect(done[2]).to.match(/^build [\d.]+s, load [\d.]+s, package unchanged, deploy [\d.]+s/)
      images.push(done[1])
      await queryUntil(p, ['ReadAsset', 'nope'], /asset nope is gone \(cluster\)/, 120_000)
      await stop(s)
    })
  })

  describe('javascript with mutual TLS, from nothing (dev registers first)', () => {
    it('registers, relays mTLS untouched, answers with the new code after a save, reports a syntax error with file and line, and deletes its Deployment, Service and TLS Secret at the end', async () => {
      const p = await create('javascript', {mtls: true})
      const s = dev(p)
      await s.waitFor(/ready: peers reach/, {timeoutMs: 600_000})
      expect(s.stderr()).to.match(/Register with Fabric: sequence 1: install on/)
      expect(s.stderr()).to.match(/there was no Deployment before/)
      await invoke(p, s, 'CreateAsset', 'm1', 'green', 'bob')
      await queryUntil(p, ['ReadAsset', 'nope'], /asset nope does not exist/)

      const mark = s.mark()
      change(p, 'javascript', 'does not exist', 'is missing (js2)')
      await s.waitFor(/restarted in/, {from: mark, timeoutMs: 120_000})
      await queryUntil(p, ['ReadAsset', 'nope'], /asset nope is missing \(js2\)/)

      const bad = s.mark()
      change(p, 'javascript', 'is missing (js2)`)', 'is missing (js2)`)))')
      await s.waitFor(/build failed[^\n]*\n[\d:]+\s+✖ lib\/asset\.js:\d+(:\d+)? SyntaxError/, {
        from: bad,
        timeoutMs: 60_000,
      })
      change(p, 'javascript', 'is missing (js2)`)))', 'is missing (js2)`)')
      await s.waitFor(/restarted in/, {from: bad, timeoutMs: 120_000})

      await stop(s)
      expect(s.stderr()).to.match(
        /Restore: deleted deployment\/\S+ \(there was none before fabk8s dev\) and what dev made for it: secret\/\S+, service\/\S+/,
      )
      expect(await deployment(p)).to.equal(undefined)
      // nothing of the session is left: the Service (holding its NodePort) and the TLS Secret (the server key) go too
      const left = await core.listNamespacedService({namespace: p.namespace})
      expect(left.items.map((i) => i.metadata?.name)).to.deep.equal([])
      const secrets = await core.listNamespacedSecret({
        labelSelector: 'app.kubernetes.io/managed-by=fabk8s',
        namespace: p.namespace,
      })
      expect(secrets.items.map((i) => i.metadata?.name)).to.deep.equal([])
    })
  })

  describe('go', () => {
    it('builds with go build, answers with the new code after a save, reports a compile error with file and line; Delve answers when installed', async () => {
      const p = await create('go')
      const s = dev(p)
      await s.waitFor(/ready: peers reach/, {timeoutMs: 900_000})
      await invoke(p, s, 'CreateAsset', 'g1', 'red', 'carol')
      await queryUntil(p, ['ReadAsset', 'nope'], /asset nope does not exist/)

      const dlv = ['dlv', path.join(process.env.GOPATH || path.join(homedir(), 'go'), 'bin', 'dlv')].some((d) =>
        d.includes('/') ? existsSync(d) : spawnSync('which', [d]).status === 0,
      )
      if (dlv) {
        const port = Number(/debugger on 127\.0\.0\.1:(\d+)/.exec(s.stderr())![1])
        expect(await delveVersion(port)).to.match(/^\d+\.\d+/)
      } else {
        expect(s.stderr()).to.match(/Delve \(dlv\) is not installed/)
        console.log('      (Delve is not installed here: the Go debugger part is checked by the note only)')
      }

      const mark = s.mark()
      change(p, 'go', 'does not exist', 'went away (go2)')
      await s.waitFor(/restarted in/, {from: mark, timeoutMs: 300_000})
      await queryUntil(p, ['ReadAsset', 'nope'], /asset nope went away \(go2\)/)

      const bad = s.mark()
      change(p, 'go', 'went away (go2)', 'went away (go2)" + noSuchName42 + "')
      await s.waitFor(/build failed[^\n]*\n[\d:]+\s+✖ chaincode\/asset\.go:\d+:\d+ undefined: noSuchName42/, {
        from: bad,
        timeoutMs: 300_000,
      })
      await stop(s)
      expect(await deployment(p)).to.equal(undefined)
    })
  })

  describe('java', () => {
    it('builds with Maven, answers with the new code after a save, reports a compile error with file and line; JDWP answers', async () => {
      const p = await create('java')
      const s = dev(p)
      await s.waitFor(/ready: peers reach/, {timeoutMs: 900_000})
      await invoke(p, s, 'CreateAsset', 'j1', 'white', 'dave')
      await queryUntil(p, ['ReadAsset', 'nope'], /asset nope does not exist/)
      const port = Number(/debugger on 127\.0\.0\.1:(\d+)/.exec(s.stderr())![1])
      expect(await jdwpHandshake(port)).to.equal('JDWP-Handshake')

      const mark = s.mark()
      change(p, 'java', 'does not exist', 'vanished (java2)')
      await s.waitFor(/restarted in/, {from: mark, timeoutMs: 300_000})
      await queryUntil(p, ['ReadAsset', 'nope'], /asset nope vanished \(java2\)/)

      const bad = s.mark()
      change(p, 'java', 'vanished (java2)"', 'vanished (java2)" + noSuchName42')
      await s.waitFor(
        /build failed[^\n]*\n[\d:]+\s+✖ src\/main\/java\/chaincode\/AssetContract\.java:\d+:\d+ cannot find symbol: variable noSuchName42/,
        {from: bad, timeoutMs: 300_000},
      )
      await stop(s)
      expect(await deployment(p)).to.equal(undefined)
    })
  })
})

/** JDWP's handshake: the debuggee echoes "JDWP-Handshake". */
async function jdwpHandshake(port: number): Promise<string> {
  const net = await import('node:net')
  return new Promise((resolve, reject) => {
    const s = net.connect({host: '127.0.0.1', port}, () => s.write('JDWP-Handshake'))
    let text = ''
    s.on('data', (d) => {
      text += d
      if (text.length >= 14) {
        s.destroy()
        resolve(text.slice(0, 14))
      }
    })
    s.on('error', reject)
    setTimeout(() => reject(new Error('JDWP did not answer within 10s')), 10_000)
  })
}

/** Delve's JSON-RPC API: RPCServer.GetVersion → the Delve version. */
async function delveVersion(port: number): Promise<string> {
  const net = await import('node:net')
  return new Promise((resolve, reject) => {
    const s = net.connect({host: '127.0.0.1', port}, () =>
      s.write(JSON.stringify({id: 1, method: 'RPCServer.GetVersion', params: [{}]}) + '\n'),
    )
    let text = ''
    s.on('data', (d) => {
      text += d
      try {
        const r = JSON.parse(text) as {result?: {DelveVersion?: string}}
        s.destroy()
        resolve(r.result?.DelveVersion?.replace(/^Version: /, '') ?? '')
      } catch {
        // not all of it yet
      }
    })
    s.on('error', reject)
    setTimeout(() => reject(new Error('Delve did not answer within 10s')), 10_000)
  })
}
