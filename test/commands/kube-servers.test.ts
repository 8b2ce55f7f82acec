/**
 * status, down and deploy against an API address where no working kube-apiserver answers: a server that accepts
 * TCP and never answers (every request has a deadline: exit 7, not a hang), and servers that are not Kubernetes
 * (a login page, JSON of another shape: exit 7 "… is not a Kubernetes API server", not a TypeError).
 */
import {expect} from 'chai'
import path from 'node:path'

import {cleanup, makeProject, tmp} from '../lib/kube/support.js'
import {answeringServer, type BadServer, LOGIN_PAGE, silentServer} from '../support/bad-servers.js'
import {json, runCli} from '../support/cli.js'

type Any = any

describe('status, down, deploy against a server that accepts TCP and never answers', function () {
  this.timeout(120_000)
  let dir: string
  let proj: string
  let srv: BadServer
  let kubeconfig: string

  before(async () => {
    dir = tmp('fabk8s-silent-')
    proj = makeProject(path.join(dir, 'proj'))
    srv = await silentServer()
    kubeconfig = srv.kubeconfig(path.join(dir, 'silent.kubeconfig'))
  })

  after(async () => {
    await srv?.stop()
    cleanup(dir)
  })

  // the deadline of each request comes from FABK8S_REQUEST_TIMEOUT (default 30s); 2s keeps the test short
  const env = {FABK8S_REQUEST_TIMEOUT: '2s'}

  for (const args of [['status'], ['down', '--yes']]) {
    it(`${args[0]}: exit 7 naming the server and the deadline`, async () => {
      const r = await runCli([...args, '-p', proj, '--kubeconfig', kubeconfig], {env, timeoutMs: 60_000})
      expect(r.code, r.stderr).to.equal(7)
      expect(r.stderr).to.match(
        new RegExp(`Error: the Kubernetes API at ${srv.url} \\(context "bad"\\) did not answer GET /\\S+ within 2s`),
      )
      expect(r.stderr).to.contain('Hint:')
    })
  }

  it('deploy --timeout 3s: each request waits at most the --timeout (exit 7, also under --json)', async () => {
    const r = await runCli(['deploy', '-p', proj, '--kubeconfig', kubeconfig, '--timeout', '3s', '--json'], {
      timeoutMs: 60_000,
    })
    expect(r.code, r.stderr).to.equal(7)
    const e = json<Any>(r).error
    expect(e.code).to.equal('KUBERNETES')
    // its first request: whether a running fabk8s dev session holds the Deployment
    expect(e.message).to.match(
      /did not answer GET \/apis\/apps\/v1\/namespaces\/fabk8s-test\/deployments\/\S+ within 3s$/,
    )
    expect(srv.hits).to.be.greaterThan(0)
  })
})

describe('status, down, deploy against a server that is not Kubernetes', function () {
  this.timeout(120_000)
  let dir: string
  let proj: string

  before(() => {
    dir = tmp('fabk8s-notkube-')
    proj = makeProject(path.join(dir, 'proj'))
  })

  after(() => cleanup(dir))

  const cases: {answer: [number, string, string]; name: string; why: RegExp}[] = [
    {
      answer: [200, 'text/html; charset=utf-8', LOGIN_PAGE],
      name: 'an HTML login page',
      why: /answered HTTP 200 text\/html: "Sign in · Corporate SSO"/,
    },
    {
      answer: [404, 'text/html', '<html><body>Not Found</body></html>'],
      name: 'an HTML 404',
      why: /HTTP 404 text\/html/,
    },
    {
      answer: [200, 'application/json', '{"status":"ok","items":"none"}'],
      name: 'JSON of the wrong shape',
      why: /HTTP 200 with JSON that is not a Kubernetes object \(no "kind"\)/,
    },
  ]
  for (const c of cases)
    for (const args of [['status'], ['down', '--yes'], ['deploy', '--timeout', '10s']])
      it(`${args[0]} against ${c.name}: exit 7, "… is not a Kubernetes API server (…)"`, async () => {
        const srv = await answeringServer(...c.answer)
        try {
          const kc = srv.kubeconfig(path.join(dir, `${args[0]}.kubeconfig`))
          const r = await runCli([...args, '-p', proj, '--kubeconfig', kc])
          expect(r.code, r.stderr).to.equal(7)
          expect(r.stderr).to.match(
            new RegExp(`Error: ${srv.url} \\(context "bad"\\) is not a Kubernetes API server \\(GET /\\S+ `),
          )
          expect(r.stderr).to.match(c.why)
          expect(r.stderr).to.not.match(/TypeError|Cannot read properties|looks like a bug/)
        } finally {
          await srv.stop()
        }
      })
})
