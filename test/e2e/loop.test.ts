/**
 * The whole loop, for real: `fabk8s init` → `fabk8s up` (real Docker build on a locally made base image, `load`
 * into the bed node's containerd through its kind-node lookalike, server-side apply to the bed's kube-apiserver,
 * a real kubelet running the pod, `_lifecycle` on the bed's Fabric network) → the peers dial the chaincode pod
 * through its NodePort (kube-proxy) and answer `fabk8s invoke` / `fabk8s query`.
 *
 * Needs: a Docker engine, the bed's Fabric network and its real node (`bash test/bed/bed.sh up`, then source its
 * env file). Each part that is missing is named when the suite skips.
 */
import type {CoreV1Api} from '@kubernetes/client-node'

import {expect} from 'chai'
import {readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import type {UpResult} from '../../src/lib/up/up.js'

import {type Fabnet, fabnetOrSkip} from '../lib/fabric/fabnet.js'
import {BedProjects, CONTRACT, type BedProject as E2EProject, type Language} from '../support/bed-project.js'
import {type BedNode, bedNodeOrSkip} from '../support/bed.js'
import {json} from '../support/cli.js'
import {buildNetwork, cleanup, dockerCmd, goBaseImage, nodeBaseImage, requireDocker, uniq} from '../support/docker.js'

const actions = (r: UpResult) => Object.fromEntries(r.steps.map((s) => [s.step, s.action]))
const oneLine = (s: string) => s.trim().split('\n').filter(Boolean)

describe('the whole loop on a real node: init → up → invoke through the peers @integration', function () {
  this.timeout(1_800_000)
  let bed: BedNode
  let net: Fabnet
  let core: CoreV1Api
  let dockerNetwork: string | undefined
  const base: Partial<Record<Language, string>> = {}
  const images: string[] = []
  let projects: BedProjects

  before(async function () {
    await requireDocker(this)
    net = fabnetOrSkip(this)
    bed = bedNodeOrSkip(this)
    const k8s = await import('@kubernetes/client-node')
    const kc = new k8s.KubeConfig()
    kc.loadFromFile(bed.kubeconfig)
    core = kc.makeApiClient(k8s.CoreV1Api)
    projects = new BedProjects(bed, net, core)
    dockerNetwork = await buildNetwork()
  })

  after(async () => {
    await projects?.cleanup()
    await cleanup({images})
  })

  async function baseImage(language: Language): Promise<string> {
    base[language] ??= language === 'go' ? await goBaseImage() : await nodeBaseImage()
    return base[language]!
  }

  const initProject = (language: Language, o: {clientAuth?: boolean; tls?: boolean} = {}) =>
    projects.create(language, o)

  async function up(p: E2EProject, language: Language): Promise<UpResult> {
    const args = ['up', '--json', '--timeout', '180s', '--base-image', await baseImage(language)]
    if (dockerNetwork) args.push('--docker-network', dockerNetwork)
    const r = await p.fabk8s(...args)
    expect(r.code, `fabk8s up: ${r.stderr}\n${r.stdout}`).to.equal(0)
    const out = json<UpResult>(r)
    if (out.image) images.push(out.image)
    return out
  }

  /** The chaincode's pods, with where they run. */
  async function pods(p: E2EProject) {
    const list = await core.listNamespacedPod({namespace: p.namespace})
    return list.items.filter((x) => !x.metadata?.deletionTimestamp)
  }

  async function expectRunningOnRealNode(p: E2EProject, image: string, packageId: string) {
    const ps = await pods(p)
    expect(ps, 'one pod').to.have.length(1)
    const pod = ps[0]
    expect(pod.spec?.nodeName, 'scheduled on the real node').to.equal(bed.nodeName)
    expect(pod.status?.phase).to.equal('Running')
    expect(pod.status?.conditions?.find((c) => c.type === 'Ready')?.status).to.equal('True')
    expect(pod.spec?.containers[0].image).to.equal(image)
    expect(pod.spec?.containers[0].env).to.deep.include({name: 'CHAINCODE_ID', value: packageId})
    // the image ran for real: the kubelet reports the container's image ID and a start time
    expect(pod.status?.containerStatuses?.[0].imageID).to.match(/sha256:[0-9a-f]{64}/)
    expect(pod.status?.containerStatuses?.[0].state?.running?.startedAt).to.not.equal(undefined)
  }

  for (const language of ['typescript', 'javascript', 'go'] as const) {
    describe(language, () => {
      let p: E2EProject
      let first: UpResult

      it('init → up: builds, loads, runs Ready on the real node, registers on both orgs, and the pod answers invoke/query', async () => {
        p = await initProject(language)
        first = await up(p, language)
        expect(actions(first)).to.deep.equal({
          build: 'changed',
          deploy: 'changed',
          load: 'changed',
          package: 'unchanged',
          ready: 'unchanged',
          register: 'changed',
        })
        expect(first.ready).to.equal(true)
        expect(first.sequence).to.equal(1)
        await expectRunningOnRealNode(p, first.image!, first.packageId)

        const put = await p.fabk8s('invoke', 'CreateAsset', 'a1', 'blue', 'alice', '--json')
        expect(put.code, put.stderr).to.equal(0)
        expect(json<{validation: string}>(put).validation).to.equal('VALID')
        for (const org of net.orgs) {
          const get = await p.fabk8s('query', 'ReadAsset', 'a1', '--org', org.mspId, '--json')
          expect(get.code, get.stderr).to.equal(0)
          expect(JSON.parse(json<{result: string}>(get).result)).to.include({id: 'a1', owner: 'alice', value: 'blue'})
        }

        const missing = await p.fabk8s('query', 'ReadAsset', 'nope')
        expect(missing.code).to.equal(9)
        expect(missing.stderr).to.match(/asset nope does not exist/)
      })

      it('a code change → up rolls the new image: same package ID, no lifecycle transaction, the new code answers', async function () {
        if (!first) this.skip()
        const file = path.join(p.dir, CONTRACT[language])
        const src = readFileSync(file, 'utf8')
        const changed = src.replaceAll('does not exist', 'is not here (v2)')
        expect(changed, `${CONTRACT[language]} holds the text to change`).to.not.equal(src)
        writeFileSync(file, changed)

        const second = await up(p, language)
        expect(actions(second)).to.deep.include({
          build: 'changed',
          deploy: 'changed',
          load: 'changed',
          package: 'unchanged',
          register: 'unchanged',
        })
        expect(second.packageId).to.equal(first.packageId)
        expect(second.sequence).to.equal(1)
        expect(second.image).to.not.equal(first.image)
        await expectRunningOnRealNode(p, second.image!, first.packageId)
        // up returns once the old pod has exited (until then the peers may keep their stream to the old code), and
        // it exited only after kube-proxy had moved the Service to the new pod: the peers' next dial reached the new
        // pod at once, so the ready step's first query was answered (a dial to the old pod's address would have hung
        // for connection.json's dial_timeout, then failed, and the step would say "attempt 2")
        const left = (await core.listNamespacedPod({namespace: p.namespace})).items.filter(
          (x) => x.spec?.containers[0].image !== second.image && !['Failed', 'Succeeded'].includes(x.status?.phase ?? ''),
        )
        expect(
          left.map((x) => `${x.metadata?.name} ${x.status?.phase}`),
          'old pods still running when up returned',
        ).to.deep.equal([])
        expect(second.steps.find((s) => s.step === 'ready')?.detail).to.equal('answered a query')

        const missing = await p.fabk8s('query', 'ReadAsset', 'nope')
        expect(missing.code, missing.stderr).to.equal(9)
        expect(missing.stderr).to.match(/asset nope is not here \(v2\)/)
        const get = await p.fabk8s('query', 'ReadAsset', 'a1', '--json')
        expect(JSON.parse(json<{result: string}>(get).result)).to.include({id: 'a1', value: 'blue'})

        const again = await up(p, language)
        expect(Object.values(actions(again)).every((a) => a === 'unchanged' || a === 'skipped')).to.equal(true)
      })

      if (language === 'typescript')
        it('step by step: a code change through build → load → deploy rolls the new build out on the real node, and it answers', async function () {
          if (!first) this.skip()
          const file = path.join(p.dir, CONTRACT[language])
          writeFileSync(file, readFileSync(file, 'utf8').replaceAll('is not here (v2)', 'is not here (v3)'))
          const step = async <T>(...args: string[]) => {
            const r = await p.fabk8s(...args, '--json')
            expect(r.code, `fabk8s ${args.join(' ')}: ${r.stderr}\n${r.stdout}`).to.equal(0)
            return json<T>(r)
          }

          const built = await step<{buildTag: string; id: string}>(
            'build',
            '--base-image',
            await baseImage(language),
            ...(dockerNetwork ? ['--network', dockerNetwork] : []),
          )
          images.push(built.buildTag)
          expect((await step<{image: string}>('load')).image).to.equal(built.buildTag)
          const deployed = await step<{image: string; rolledOut: boolean}>('deploy', '--timeout', '180s')
          expect(deployed).to.include({image: built.buildTag, rolledOut: true})
          await expectRunningOnRealNode(p, built.buildTag, first.packageId)
          const missing = await p.fabk8s('query', 'ReadAsset', 'nope')
          expect(missing.code, missing.stderr).to.equal(9)
          expect(missing.stderr).to.match(/asset nope is not here \(v3\)/)
        })

      if (language === 'typescript')
        it('status reports the running pod and that its CHAINCODE_ID is the approved package; down removes it and the next call fails clearly', async function () {
          if (!first) this.skip()
          const st = await p.fabk8s('status', '--json')
          expect(st.code, st.stderr).to.equal(0)
          const s = json<{
            found: boolean
            packageId: string
            packageIdMatches: boolean
            pods: {ready: boolean}[]
            ready: boolean
          }>(st)
          expect(s).to.include({found: true, packageId: first.packageId, packageIdMatches: true, ready: true})
          expect(s.pods).to.have.length(1)
          expect(s.pods[0].ready).to.equal(true)

          // down returns once the pod has stopped: not even a terminating pod (which would still answer) is left
          const down = await p.fabk8s('down', '--yes', '--json')
          expect(down.code, down.stderr).to.equal(0)
          expect(json<{stopped: boolean}>(down).stopped).to.equal(true)
          const left = await core.listNamespacedPod({namespace: p.namespace})
          expect(left.items.map((x) => x.metadata?.name), 'pods gone').to.deep.equal([])

          // one plain sentence naming the address the peers dial and what to do, not the peers' raw error twice
          const q = await p.fabk8s('query', 'ReadAsset', 'a1')
          expect(q.code).to.equal(9)
          expect(oneLine(q.stderr).length, q.stderr).to.be.at.most(2)
          expect(q.stderr.length, q.stderr).to.be.below(500)
          expect(q.stderr).to.include(`${bed.nodeIp}:${p.port}`)
          expect(q.stderr).to.match(/cannot reach the chaincode/)
          expect(q.stderr).to.match(/fabk8s (status|up|deploy)/)
        })
    })
  }

  describe('TLS', () => {
    for (const [language, clientAuth] of [
      ['typescript', false],
      ['javascript', true],
    ] as const)
      it(`${language} ${clientAuth ? 'mTLS' : 'TLS'}: the peer reaches the pod over ${clientAuth ? 'mutual ' : ''}TLS`, async () => {
        const p = await initProject(language, {clientAuth, tls: true})
        const r = await up(p, language)
        expect(r.ready).to.equal(true)
        await expectRunningOnRealNode(p, r.image!, r.packageId)
        const put = await p.fabk8s('invoke', 'CreateAsset', 't1', 'green', 'bob', '--json')
        expect(put.code, put.stderr).to.equal(0)
        const get = await p.fabk8s('query', 'ReadAsset', 't1', '--json')
        expect(JSON.parse(json<{result: string}>(get).result)).to.include({id: 't1', value: 'green'})
      })
  })

  describe('failure paths', () => {
    let p: E2EProject
    const tag = `fabk8s-test/e2e-fail-${uniq()}`

    /** An image from the node base with this command, made locally. */
    async function image(name: string, cmd: string[]): Promise<string> {
      const ref = `${tag}:${name}`
      const df = `FROM ${await baseImage('javascript')}\nUSER 10001:10001\nCMD ${JSON.stringify(cmd)}\n`
      const r = await dockerCmd(
        ['build', '-q', '-t', ref, ...(dockerNetwork ? ['--network', dockerNetwork] : []), '-'],
        {
          input: df,
        },
      )
      expect(r.code, r.stderr).to.equal(0)
      images.push(ref)
      return ref
    }

    before(async () => {
      p = await initProject('javascript')
    })

    it('an image that crashes on start: rollout fails with exit 8 and the pod’s last log lines', async () => {
      const ref = await image('crash', ['node', '-e', 'console.error("boom: cannot open the ledger"); process.exit(3)'])
      const load = await p.fabk8s('load', '--image', ref, '--json')
      expect(load.code, load.stderr).to.equal(0)
      const r = await p.fabk8s('deploy', '--image', ref, '--timeout', '90s')
      expect(r.code, r.stderr).to.equal(8)
      expect(r.stderr).to.not.match(/Warning|ExperimentalWarning|MaxListeners/)
      expect(r.stderr).to.match(/boom: cannot open the ledger/)
      expect(r.stderr).to.match(/CrashLoopBackOff|exit(ed)? (code )?3|Error/i)
    })

    it('an image that is not loaded: exit 8, and the error says to run `fabk8s load`', async () => {
      const ref = await image('notloaded', ['node', '-e', 'setInterval(() => {}, 1000)'])
      const r = await p.fabk8s('deploy', '--image', ref, '--timeout', '60s')
      expect(r.code, r.stderr).to.equal(8)
      expect(r.stderr).to.not.match(/Warning|ExperimentalWarning|MaxListeners/)
      expect(r.stderr).to.match(/fabk8s load/)
      expect(r.stderr).to.match(/ErrImagePull|ImagePullBackOff|ErrImageNeverPull|not present/)
    })

    it('a chaincode that never becomes ready: exit 8, saying the readiness probe fails', async () => {
      const ref = await image('deaf', ['node', '-e', 'setInterval(() => {}, 1000)'])
      const load = await p.fabk8s('load', '--image', ref, '--json')
      expect(load.code, load.stderr).to.equal(0)
      const r = await p.fabk8s('deploy', '--image', ref, '--timeout', '45s')
      expect(r.code, r.stderr).to.equal(8)
      expect(r.stderr).to.not.match(/Warning|ExperimentalWarning|MaxListeners/)
      expect(r.stderr).to.match(/readiness|not ready|Readiness probe/i)
    })
  })
})
