import {expect} from 'chai'
import {writeFileSync} from 'node:fs'
import {createServer as createHttpsServer, Agent as HttpsAgent, type Server as HttpsServer} from 'node:https'
import {type AddressInfo, createServer} from 'node:net'
import path from 'node:path'

import {
  connect,
  contextNote,
  defaultRequestTimeoutMs,
  kubeError,
  loadKubeConfig,
  notKubernetes,
  requestTimeoutFor,
  sharedAgent,
} from '../../../src/lib/kube/client.js'
import {answeringServer, LOGIN_PAGE, silentServer} from '../../support/bad-servers.js'
import {FakeKubeApiServer} from '../../support/kube-api-server.js'
import {type CA, issue, newCA} from '../network/crypto.js'
import {cleanup, tmp} from './support.js'

function kubeconfig(file: string, contexts: string[], current?: string, server = 'https://127.0.0.1:6443'): string {
  const lines = ['apiVersion: v1', 'kind: Config', `current-context: ${current ?? '""'}`, 'clusters:']
  for (const c of contexts) lines.push(`- name: ${c}-cluster`, `  cluster: {server: "${server}"}`)
  lines.push('users:')
  for (const c of contexts) lines.push(`- name: ${c}-user`, '  user: {token: t}')
  lines.push('contexts:')
  for (const c of contexts) lines.push(`- name: ${c}`, `  context: {cluster: ${c}-cluster, user: ${c}-user}`)
  writeFileSync(file, lines.join('\n') + '\n')
  return file
}

/** A port on 127.0.0.1 nothing listens on. */
async function closedPort(): Promise<number> {
  const srv = createServer()
  await new Promise<void>((resolve) => {
    srv.listen(0, '127.0.0.1', resolve)
  })
  const {port} = srv.address() as {port: number}
  await new Promise<void>((resolve) => {
    srv.close(() => resolve())
  })
  return port
}

/** Run fn with clients for the kubeconfig; return its failure mapped by kubeError. */
async function fail(
  file: string,
  fn: (c: Awaited<ReturnType<typeof connect>>) => Promise<unknown>,
  what = 'do it',
  namespace = 'ns',
) {
  const c = await connect({kubeconfig: file, namespace})
  try {
    await fn(c)
  } catch (error) {
    return kubeError(error, what, c.target)
  }

  throw new Error('expected a failure')
}

describe('kube client factory', () => {
  let dir: string

  before(() => {
    dir = tmp()
  })

  after(() => cleanup(dir))

  describe('loadKubeConfig', () => {
    it('picks --context, then fabk8s.yaml kubernetes.context, then kind-<cluster>, then current-context', async () => {
      const f = kubeconfig(path.join(dir, 'a.yaml'), ['one', 'two', 'kind-dev'], 'one')
      expect((await loadKubeConfig({kubeconfig: f})).currentContext).to.equal('one')
      expect((await loadKubeConfig({kubeconfig: f, project: {kind: {cluster: 'dev'}}})).currentContext).to.equal(
        'kind-dev',
      )
      expect((await loadKubeConfig({kubeconfig: f, project: {kind: {cluster: 'other'}}})).currentContext).to.equal(
        'one',
      )
      expect(
        (await loadKubeConfig({kubeconfig: f, project: {kind: {cluster: 'dev'}, kubernetes: {context: 'two'}}}))
          .currentContext,
      ).to.equal('two')
      expect(
        (await loadKubeConfig({context: 'one', kubeconfig: f, project: {kubernetes: {context: 'two'}}})).currentContext,
      ).to.equal('one')
    })

    it('says how it chose the context (contextFrom), and which kind-<cluster> context was missing when it took the current one', async () => {
      const f = kubeconfig(path.join(dir, 'from.yaml'), ['one', 'two', 'kind-dev'], 'one')
      const chosen = async (o: Parameters<typeof loadKubeConfig>[0]) => {
        const kc = await loadKubeConfig({kubeconfig: f, ...o})
        return [kc.currentContext, kc.contextFrom, kc.missingKindContext]
      }

      expect(await chosen({})).to.deep.equal(['one', 'current', undefined])
      expect(await chosen({project: {kind: {cluster: 'dev'}}})).to.deep.equal(['kind-dev', 'kind', undefined])
      expect(await chosen({project: {kind: {cluster: 'other'}}})).to.deep.equal(['one', 'current', 'kind-other'])
      expect(await chosen({project: {kind: {cluster: 'other'}, kubernetes: {context: 'two'}}})).to.deep.equal([
        'two',
        'project',
        undefined,
      ])
      expect(
        await chosen({context: 'two', project: {kind: {cluster: 'other'}, kubernetes: {context: 'one'}}}),
      ).to.deep.equal(['two', 'flag', undefined])
      // --context naming the current context is still the flag's choice: nothing to point out
      expect(await chosen({context: 'one', project: {kind: {cluster: 'other'}}})).to.deep.equal([
        'one',
        'flag',
        undefined,
      ])
    })

    it('connect hands the choice on; contextNote speaks only when the current context stood in for a missing kind-<cluster>', async () => {
      const f = kubeconfig(path.join(dir, 'note.yaml'), ['k3d-dev', 'kind-dev'], 'k3d-dev')
      const c = await connect({kubeconfig: f, namespace: 'ns', project: {kind: {cluster: 'kind'}}})
      expect(c.choice).to.deep.equal({contextFrom: 'current', missingKindContext: 'kind-kind'})
      expect(c.target).to.include({context: 'k3d-dev', namespace: 'ns'})
      expect(contextNote(c)).to.equal(
        'using current context "k3d-dev" (no context kind-kind in the kubeconfig; set kubernetes.context or pass --context to choose)',
      )
      const quiet = [
        {},
        {context: 'k3d-dev', project: {kind: {cluster: 'kind'}}},
        {project: {kind: {cluster: 'dev'}}},
        {project: {kind: {cluster: 'kind'}, kubernetes: {context: 'k3d-dev'}}},
      ]
      for (const o of quiet)
        expect(contextNote(await connect({kubeconfig: f, ...o})), JSON.stringify(o)).to.equal(undefined)
      // clients made by hand (no choice recorded) say nothing
      expect(contextNote({target: {context: 'k3d-dev'}})).to.equal(undefined)
    })

    it('an unknown --context is a usage error listing the contexts; an unknown project context names fabk8s.yaml', async () => {
      const f = kubeconfig(path.join(dir, 'b.yaml'), ['one'], 'one')
      const e1 = await loadKubeConfig({context: 'nope', kubeconfig: f}).catch((error) => error)
      expect(e1.code).to.equal('USAGE')
      expect(e1.message).to.contain('--context').and.to.contain('"nope"')
      expect(e1.hint).to.contain('one')
      const e2 = await loadKubeConfig({kubeconfig: f, project: {kubernetes: {context: 'gone'}}}).catch((error) => error)
      expect(e2.code).to.equal('KUBERNETES')
      expect(e2.message).to.contain('kubernetes.context')
    })

    it('a missing --kubeconfig file is a usage error naming the flag; a missing default kubeconfig says where it looked', async () => {
      const e1 = await loadKubeConfig({kubeconfig: path.join(dir, 'none.yaml')}).catch((error) => error)
      expect(e1.code).to.equal('USAGE')
      expect(e1.message).to.contain('--kubeconfig').and.to.contain('none.yaml')
      const saved = {HOME: process.env.HOME, KUBECONFIG: process.env.KUBECONFIG}
      process.env.HOME = dir
      delete process.env.KUBECONFIG
      try {
        const e2 = await loadKubeConfig({}).catch((error) => error)
        expect(e2.code).to.equal('KUBERNETES')
        expect(e2.message).to.contain(path.join(dir, '.kube', 'config'))
      } finally {
        process.env.HOME = saved.HOME
        if (saved.KUBECONFIG === undefined) delete process.env.KUBECONFIG
        else process.env.KUBECONFIG = saved.KUBECONFIG
      }
    })

    it('merges a list of files like kubectl: first current-context and first of each name win', async () => {
      const a = kubeconfig(path.join(dir, 'm1.yaml'), ['one'], 'one', 'https://first:1')
      const b = kubeconfig(path.join(dir, 'm2.yaml'), ['one', 'two'], 'two', 'https://second:2')
      const kc = await loadKubeConfig({kubeconfig: [a, b].join(path.delimiter)})
      expect(kc.currentContext).to.equal('one')
      expect(kc.getCurrentCluster()?.server).to.equal('https://first:1')
      expect(kc.getContexts().map((c) => c.name)).to.have.members(['one', 'two'])
    })

    it('a file that is not a kubeconfig is reported with its path', async () => {
      const f = path.join(dir, 'garbage.yaml')
      writeFileSync(f, 'clusters: 3\ncontexts: [1\n')
      const e = await loadKubeConfig({kubeconfig: f}).catch((error) => error)
      expect(e.code).to.equal('KUBERNETES')
      expect(e.message).to.contain(f)
    })
  })

  describe('kubeError against a real HTTP server', () => {
    let fake: FakeKubeApiServer

    before(async () => {
      fake = await new FakeKubeApiServer().start()
    })

    after(() => fake.stop())

    it('unreachable server → KUBERNETES naming the server URL', async () => {
      const port = await closedPort()
      const f = kubeconfig(path.join(dir, 'closed.yaml'), ['c'], 'c', `https://127.0.0.1:${port}`)
      const e = await fail(f, (c) => c.core.readNamespace({name: 'x'}))
      expect(e.exitCode).to.equal(7)
      expect(e.message).to.contain(`https://127.0.0.1:${port}`).and.to.contain('ECONNREFUSED')
      expect(e.hint).to.match(/cluster running/)
    })

    it('401 → unauthorized with a kubeconfig hint', async () => {
      const f = fake.kubeconfig(path.join(dir, 'bad.yaml'), {token: 'wrong'})
      const e = await fail(f, (c) => c.core.readNamespace({name: 'x'}), 'read Namespace x')
      expect(e.exitCode).to.equal(7)
      expect(e.message).to.contain('unauthorized (401)').and.to.contain(fake.url)
      expect(e.hint).to.contain('kubeconfig')
    })

    it('403 → forbidden with the server message and an RBAC hint naming the namespace', async () => {
      const f = fake.kubeconfig(path.join(dir, 'viewer.yaml'), {token: 'viewer-token'})
      const e = await fail(f, (c) => c.core.listNamespacedPod({namespace: 'ns'}), 'list Pods')
      expect(e.exitCode).to.equal(7)
      expect(e.message).to.contain('forbidden (403)').and.to.contain('User "viewer" cannot list resource "pods"')
      expect(e.hint).to.contain('RBAC').and.to.contain('"ns"')
    })

    it('404 of the namespace → "namespace … not found"', async () => {
      const f = fake.kubeconfig(path.join(dir, 'admin.yaml'))
      const {PatchStrategy, setHeaderOptions} = await import('@kubernetes/client-node')
      const e = await fail(
        f,
        (c) =>
          c.core.patchNamespacedService(
            {
              body: {apiVersion: 'v1', kind: 'Service', metadata: {name: 's'}, spec: {ports: [{port: 1}]}},
              fieldManager: 'fabk8s',
              name: 's',
              namespace: 'missing',
            },
            setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply),
          ),
        'apply Service missing/s',
        'missing',
      )
      expect(e.exitCode).to.equal(7)
      expect(e.message).to.contain('namespace "missing" not found')
    })

    it('any other API status keeps the server message', async () => {
      const f = fake.kubeconfig(path.join(dir, 'admin2.yaml'))
      fake.put({kind: 'Namespace', metadata: {name: 'there'}})
      const e = await fail(
        f,
        (c) => c.core.readNamespacedService({name: 'nope', namespace: 'there'}),
        'read Service there/nope',
      )
      expect(e.exitCode).to.equal(7)
      expect(e.message)
        .to.contain('read Service there/nope: not found (404)')
        .and.to.contain('services "nope" not found')
    })
  })

  describe('deadlines and servers that are not Kubernetes', () => {
    it('every client loadKubeConfig hands out stops at the deadline, KubernetesObjectApi (doctor --cluster) too', async () => {
      const srv = await silentServer()
      try {
        const kc = await loadKubeConfig({
          kubeconfig: srv.kubeconfig(path.join(dir, 'silent.yaml')),
          requestTimeoutMs: 300,
        })
        const {KubernetesObjectApi} = await import('@kubernetes/client-node')
        const e: any = await KubernetesObjectApi.makeApiClient(kc)
          .list('apps/v1', 'Deployment')
          .catch((error: unknown) => error)
        expect(e.exitCode).to.equal(7)
        // (KubernetesObjectApi puts "Failed to fetch resource metadata for …:" in front)
        expect(e.message).to.contain(
          `the Kubernetes API at ${srv.url} (context "bad") did not answer GET /apis/apps/v1 within 0.3s`,
        )
        const c = await connect({kubeconfig: srv.kubeconfig(path.join(dir, 'silent2.yaml')), requestTimeoutMs: 300})
        const e2: any = await c.core.listNamespace().catch((error: unknown) => error)
        expect(e2.message).to.match(/did not answer GET \/api\/v1\/namespaces within 0\.3s$/)
      } finally {
        await srv.stop()
      }
    })

    it('Ctrl-C (the signal) cancels a request in flight: ABORTED, not a wait for the deadline', async () => {
      const srv = await silentServer()
      try {
        const ac = new AbortController()
        const c = await connect({kubeconfig: srv.kubeconfig(path.join(dir, 'silent3.yaml')), signal: ac.signal})
        setTimeout(() => ac.abort(), 100)
        const e: any = await c.core.listNamespace().catch((error: unknown) => error)
        expect(e.exitCode).to.equal(130)
      } finally {
        await srv.stop()
      }
    })

    it('the deadline: FABK8S_REQUEST_TIMEOUT, else 30s; a smaller --timeout wins', () => {
      expect(defaultRequestTimeoutMs({})).to.equal(30_000)
      expect(defaultRequestTimeoutMs({FABK8S_REQUEST_TIMEOUT: '5s'})).to.equal(5000)
      expect(() => defaultRequestTimeoutMs({FABK8S_REQUEST_TIMEOUT: 'soon'})).to.throw(
        /^FABK8S_REQUEST_TIMEOUT: "soon"/,
      )
      expect(requestTimeoutFor(3000)).to.equal(3000)
      expect(requestTimeoutFor(600_000)).to.equal(defaultRequestTimeoutMs())
    })

    it('notKubernetes: HTML, JSON without kind and non-JSON are refused; objects, Status and pod logs pass', () => {
      const b = (s: string) => Buffer.from(s)
      expect(notKubernetes('/api/v1/namespaces/x', 200, 'text/html; charset=utf-8', b(LOGIN_PAGE))).to.equal(
        'HTTP 200 text/html: "Sign in · Corporate SSO"',
      )
      expect(notKubernetes('/api/v1/namespaces', 200, 'application/json', b('{"items":[]}'))).to.match(/no "kind"/)
      expect(notKubernetes('/api/v1/namespaces', 200, 'application/json', b('[1]'))).to.match(/no "kind"/)
      expect(notKubernetes('/api/v1/namespaces', 502, 'application/json', b('<html>'))).to.match(/not JSON/)
      expect(notKubernetes('/api/v1/namespaces', 200, undefined, b(''))).to.equal('HTTP 200 without a content type')
      expect(notKubernetes('/api/v1/namespaces', 200, 'application/json', b('{"kind":"NamespaceList","items":[]}'))).to
        .be.undefined
      expect(notKubernetes('/api/v1/namespaces/x', 404, 'application/json', b('{"kind":"Status","code":404}'))).to.be
        .undefined
      expect(notKubernetes('/api/v1/namespaces/x/pods/p/log', 200, 'text/plain', b('hello\n'))).to.be.undefined
    })

    it('a login page at the API address: one clear KUBERNETES error, not a TypeError in the caller', async () => {
      const srv = await answeringServer(200, 'text/html', LOGIN_PAGE)
      try {
        const c = await connect({kubeconfig: srv.kubeconfig(path.join(dir, 'html.yaml'))})
        const e: any = await c.apps.listNamespacedDeployment({namespace: 'x'}).catch((error: unknown) => error)
        expect(e.exitCode).to.equal(7)
        expect(e.message).to.equal(
          `${srv.url} (context "bad") is not a Kubernetes API server (GET /apis/apps/v1/namespaces/x/deployments answered HTTP 200 text/html: "Sign in · Corporate SSO")`,
        )
      } finally {
        await srv.stop()
      }
    })
  })

  describe('connections to an HTTPS API server', () => {
    let server: HttpsServer
    let url: string
    let ca: CA
    let tlsConnections = 0
    let requests = 0

    before(async () => {
      ca = await newCA('kube-ca.test')
      const pair = await issue(ca, {cn: '127.0.0.1', sans: ['127.0.0.1']})
      server = createHttpsServer({cert: pair.cert, key: pair.key}, (req, res) => {
        requests++
        const name = /\/namespaces\/([^/?]+)/.exec(req.url ?? '')?.[1] ?? 'x'
        res.setHeader('content-type', 'application/json')
        res.end(JSON.stringify({apiVersion: 'v1', kind: 'Namespace', metadata: {name}}))
      })
      server.on('secureConnection', () => tlsConnections++)
      await new Promise<void>((resolve) => {
        server.listen(0, '127.0.0.1', resolve)
      })
      url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`
    })

    after(async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
      })
    })

    function httpsKubeconfig(file: string, caCert: string): string {
      const data = Buffer.from(caCert).toString('base64')
      writeFileSync(
        file,
        [
          'apiVersion: v1',
          'kind: Config',
          'current-context: k',
          'clusters:',
          `- name: k`,
          `  cluster: {server: "${url}", certificate-authority-data: ${data}}`,
          'users:',
          '- name: u',
          '  user: {token: t}',
          'contexts:',
          '- name: k',
          '  context: {cluster: k, user: u}',
          '',
        ].join('\n'),
      )
      return file
    }

    it("one client's requests share one TLS connection (client-node alone opens one per request)", async () => {
      const c = await connect({kubeconfig: httpsKubeconfig(path.join(dir, 'https.yaml'), ca.cert)})
      const [before, seen] = [tlsConnections, requests]
      for (const name of ['a', 'b', 'c']) expect((await c.core.readNamespace({name})).metadata?.name).to.equal(name)
      await c.apps.listNamespacedDeployment({namespace: 'a'}).catch(() => {}) // another API client of the same config
      expect(requests - seen).to.equal(4)
      expect(tlsConnections - before).to.equal(1)
    })

    it('the shared connection still checks the server: a CA that did not sign its certificate is refused', async () => {
      const other = await newCA('other-ca.test')
      const f = httpsKubeconfig(path.join(dir, 'https-other.yaml'), other.cert)
      const e = await fail(f, (c) => c.core.readNamespace({name: 'x'}))
      expect(e.exitCode).to.equal(7)
      expect(e.message).to.contain(`TLS verification failed talking to ${url}`)
    })
  })

  it('sharedAgent: one keep-alive agent while the TLS settings stay; a new one when they change; proxies untouched', () => {
    const use = sharedAgent()
    const send = (agent?: unknown) => {
      let set: unknown = agent
      use({getAgent: () => agent, setAgent: (a: unknown) => (set = a)} as never)
      return set as HttpsAgent
    }

    const first = send(new HttpsAgent({ca: Buffer.from('CA1'), cert: 'c', key: 'k'}))
    expect(first.options.keepAlive).to.equal(true)
    expect(send(new HttpsAgent({ca: Buffer.from('CA1'), cert: 'c', key: 'k'}))).to.equal(first)
    const renewed = send(new HttpsAgent({ca: Buffer.from('CA1'), cert: 'c2', key: 'k2'}))
    expect(renewed).to.not.equal(first)
    expect(send(new HttpsAgent({ca: Buffer.from('CA1'), cert: 'c2', key: 'k2'}))).to.equal(renewed)
    expect(send(new HttpsAgent({ca: Buffer.from('CA2'), cert: 'c2', key: 'k2'}))).to.not.equal(renewed)
    class ProxyAgent extends HttpsAgent {}
    const proxy = new ProxyAgent({})
    expect(send(proxy)).to.equal(proxy)
    expect(send()).to.equal(undefined)
  })

  it("requests and rollout polls leave no listener on the command's signal (no MaxListenersExceededWarning)", async () => {
    // (Node 20 has it; @types/node 20 does not declare it for EventTarget)
    const {getEventListeners} = (await import('node:events')) as unknown as {
      getEventListeners(target: EventTarget, name: string): unknown[]
    }
    const {waitForRollout} = await import('../../../src/lib/kube/rollout.js')
    const fake = await new FakeKubeApiServer().start()
    try {
      fake.controller = 'manual' // the rollout never finishes: waitForRollout polls until its timeout
      const ac = new AbortController()
      const c = await connect({kubeconfig: fake.kubeconfig(path.join(dir, 'listeners.yaml')), signal: ac.signal})
      fake.put({kind: 'Namespace', metadata: {name: 'l'}})
      for (let i = 0; i < 15; i++) await c.core.listNamespacedPod({namespace: 'l'})
      fake.put({apiVersion: 'apps/v1', kind: 'Deployment', metadata: {name: 'd', namespace: 'l'}, spec: {replicas: 1}})
      const e: any = await waitForRollout(c, {
        image: 'x',
        name: 'd',
        namespace: 'l',
        packageId: 'p',
        pollMs: 10,
        signal: ac.signal,
        timeoutMs: 500,
      }).catch((error: unknown) => error)
      expect(e.exitCode).to.equal(8) // it timed out after many polls
      expect(getEventListeners(ac.signal, 'abort')).to.have.length(0)
    } finally {
      await fake.stop()
    }
  })
})
