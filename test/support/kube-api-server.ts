/**
 * A real HTTP server on 127.0.0.1 that speaks the subset of the Kubernetes API fabk8s uses, for tests on machines
 * without the test bed's kube-apiserver. Not a mock of `@kubernetes/client-node`: the client talks HTTP to it.
 *
 * Speaks: /version and discovery (/api, /api/v1, /apis, /apis/apps/v1); get, list (labelSelector), watch, create,
 * replace, delete, deletecollection (labelSelector) of any namespaced or cluster-scoped resource of the core and
 * apps groups; PATCH with application/apply-patch+yaml (server-side apply: fieldManager required, conflicts not
 * modelled, an identical apply by the same manager is a no-op that keeps resourceVersion); pods/log.
 * Bearer-token users, 401 for unknown tokens or `rejectAll`, 403 (RBAC-like message) for users without a grant.
 * A fake deployment controller the test steers with `controller`: pods become ready, or fail in a chosen way.
 */
import type {AddressInfo} from 'node:net'

import {createHash, randomBytes} from 'node:crypto'
import {writeFileSync} from 'node:fs'
import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http'
import {parse as parseYaml} from 'yaml'

export type Obj = Record<string, any>

export type ControllerMode =
  'CrashLoopBackOff' | 'ErrImageNeverPull' | 'ImagePullBackOff' | 'manual' | 'NotReady' | 'ready' | 'Unschedulable'

export interface RecordedRequest {
  contentType?: string
  fieldManager?: string
  force?: string
  method: string
  path: string
  user?: string
}

const KINDS: Record<string, {kind: string; namespaced: boolean}> = {
  configmaps: {kind: 'ConfigMap', namespaced: true},
  deployments: {kind: 'Deployment', namespaced: true},
  namespaces: {kind: 'Namespace', namespaced: false},
  nodes: {kind: 'Node', namespaced: false},
  pods: {kind: 'Pod', namespaced: true},
  replicasets: {kind: 'ReplicaSet', namespaced: true},
  secrets: {kind: 'Secret', namespaced: true},
  serviceaccounts: {kind: 'ServiceAccount', namespaced: true},
  services: {kind: 'Service', namespaced: true},
  statefulsets: {kind: 'StatefulSet', namespaced: true},
}
const APPS = new Set(['deployments', 'replicasets', 'statefulsets'])

interface Route {
  collection: string
  group: string
  name?: string
  namespace?: string
  resource: string
  sub?: string
  version: string
}

const clone = <T>(o: T): T => structuredClone(o)
const same = (a: unknown, b: unknown) => JSON.stringify(canon(a)) === JSON.stringify(canon(b))
function canon(v: unknown): unknown {
  if (Array.isArray(v)) return v.map((x) => canon(x))
  if (v && typeof v === 'object')
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, canon((v as Obj)[k])]),
    )
  return v
}

export function matchesSelector(labels: Record<string, string> | undefined, selector: null | string): boolean {
  if (!selector) return true
  const l = labels ?? {}
  return selector.split(',').every((term) => {
    const t = term.trim()
    if (!t) return true
    const ne = t.split('!=')
    if (ne.length === 2) return l[ne[0].trim()] !== ne[1].trim()
    const eq = t.split(/==?/)
    if (eq.length === 2) return l[eq[0].trim()] === eq[1].trim()
    if (t.startsWith('!')) return !(t.slice(1) in l)
    return t in l
  })
}

const readyConditions = (v: boolean) => [
  {status: 'True', type: 'PodScheduled'},
  {status: v ? 'True' : 'False', type: 'Ready'},
  {status: v ? 'True' : 'False', type: 'ContainersReady'},
]

export class FakeKubeApiServer {
  /** The deployment controller's behaviour for new revisions. */
  controller: ControllerMode = 'ready'
  /** Log text of the crashing container (CrashLoopBackOff mode), served for previous=true. */
  crashLog =
    'starting chaincode server\nError: listen EACCES: permission denied 0.0.0.0:80\n    at Server.setupListenHandle\n'
  /** user → namespaces the user may do anything in ('*' = everything). */
  grants: Record<string, string[]> = {admin: ['*']}
  /** Requests this returns true for get no answer at all (a hung API server); the request is recorded first. */
  hang?: (r: RecordedRequest) => boolean
  /** Extra log text per pod name (current container). */
  logs: Record<string, string> = {}
  /** 401 for everyone (an expired credential). */
  rejectAll = false
  /** Every request, in order (tests assert content types, field managers). */
  requests: RecordedRequest[] = []
  /** token → user */
  tokens: Record<string, string> = {'admin-token': 'admin', 'viewer-token': 'viewer'}
  /** Every apply by the same manager: manager → last applied config, per object key. */
  private applied = new Map<string, Map<string, Obj>>()
  private objects = new Map<string, Obj>()
  private rv = 100
  private server?: Server
  private watchers = new Set<{collection: string; res: ServerResponse; selector: null | string}>()

  get url(): string {
    const a = this.server?.address() as AddressInfo | undefined
    if (!a) throw new Error('fake kube-apiserver not started')
    return `http://127.0.0.1:${a.port}`
  }

  get(kind: string, namespace: string | undefined, name: string): Obj | undefined {
    const resource = Object.entries(KINDS).find(([, k]) => k.kind === kind)?.[0]
    if (!resource) return undefined
    const o = this.objects.get(this.key(this.routeFor(resource, namespace, name)))
    return o ? clone(o) : undefined
  }

  /** Write a kubeconfig for a user of this server; returns the file. */
  kubeconfig(file: string, opts: {context?: string; namespace?: string; token?: string} = {}): string {
    const context = opts.context ?? 'fake'
    const text = [
      'apiVersion: v1',
      'kind: Config',
      `current-context: ${context}`,
      'clusters:',
      `- name: fake-cluster`,
      // client-node refuses http:// unless TLS verification is explicitly off
      `  cluster: {server: "${this.url}", insecure-skip-tls-verify: true}`,
      'users:',
      `- name: fake-user`,
      `  user: {token: "${opts.token ?? 'admin-token'}"}`,
      'contexts:',
      `- name: ${context}`,
      `  context: {cluster: fake-cluster, user: fake-user${opts.namespace ? `, namespace: ${opts.namespace}` : ''}}`,
      '',
    ].join('\n')
    writeFileSync(file, text)
    return file
  }

  list(kind: string, namespace?: string): Obj[] {
    const resource = Object.entries(KINDS).find(([, k]) => k.kind === kind)?.[0]
    if (!resource) return []
    const prefix = this.collectionPath(resource, namespace)
    return [...this.objects.entries()].filter(([k]) => k.startsWith(prefix + '/')).map(([, v]) => clone(v))
  }

  // ---------------------------------------------------------------- test helpers

  /** Put (create or replace) an object directly, e.g. a namespace or a pod. */
  put(obj: Obj): Obj {
    const resource = Object.entries(KINDS).find(([, k]) => k.kind === obj.kind)?.[0]
    if (!resource) throw new Error(`fake: unknown kind ${obj.kind}`)
    const route = this.routeFor(resource, obj.metadata?.namespace, obj.metadata?.name)
    const o = clone(obj)
    o.apiVersion ??= APPS.has(resource) ? 'apps/v1' : 'v1'
    this.stamp(o, this.objects.get(this.key(route)))
    this.store(route, o)
    return o
  }

  /** Change a Deployment's status (the test drives rollouts in 'manual' mode). */
  setDeploymentStatus(namespace: string, name: string, status: Obj): void {
    const route = this.routeFor('deployments', namespace, name)
    const d = this.objects.get(this.key(route))
    if (!d) throw new Error(`fake: no deployment ${namespace}/${name}`)
    d.status = {...d.status, ...status}
    this.bump(d)
    this.notify(route, 'MODIFIED', d)
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: Error) => {
        this.send(res, 500, this.status(500, 'InternalError', error.message))
      })
    })
    await new Promise<void>((resolve) => {
      this.server!.listen(0, '127.0.0.1', resolve)
    })
    return this
  }

  async stop(): Promise<void> {
    for (const w of this.watchers) w.res.end()
    this.watchers.clear()
    this.server?.closeAllConnections()
    await new Promise<void>((resolve) => {
      if (this.server) this.server.close(() => resolve())
      else resolve()
    })
  }

  // ---------------------------------------------------------------- HTTP

  private allowed(user: string, route: Route): boolean {
    const g = this.grants[user] ?? []
    if (g.includes('*')) return true
    return Boolean(route.namespace && g.includes(route.namespace))
  }

  private bump(o: Obj): void {
    o.metadata.resourceVersion = String(++this.rv)
  }

  private checkNamespace(res: ServerResponse, route: Route): boolean {
    if (!route.namespace || route.resource === 'namespaces' || this.nsExists(route.namespace)) return true
    this.send(res, 404, {
      ...this.status(404, 'NotFound', `namespaces "${route.namespace}" not found`),
      details: {kind: 'namespaces', name: route.namespace},
    })
    return false
  }

  private collectionPath(resource: string, namespace?: string): string {
    const base = APPS.has(resource) ? '/apis/apps/v1' : '/api/v1'
    return KINDS[resource]?.namespaced === false || !namespace
      ? `${base}/${resource}`
      : `${base}/namespaces/${namespace}/${resource}`
  }

  private create(res: ServerResponse, route: Route, body: string): void {
    const o = this.decode(body)
    if (!o) {
      this.send(res, 400, this.status(400, 'BadRequest', 'invalid body'))
      return
    }

    const r = this.routeFor(route.resource, route.namespace, o.metadata?.name)
    if (this.objects.has(this.key(r))) {
      this.send(res, 409, this.status(409, 'AlreadyExists', `${route.resource} "${r.name}" already exists`))
      return
    }

    if (!this.checkNamespace(res, r)) return
    o.metadata.namespace = KINDS[route.resource]?.namespaced ? route.namespace : undefined
    // like the API server: the object comes back with its kind and apiVersion even when the body left them out
    o.kind ??= KINDS[route.resource]?.kind
    o.apiVersion ??= APPS.has(route.resource) ? 'apps/v1' : 'v1'
    this.stamp(o)
    this.store(r, o)
    this.send(res, 201, o)
  }

  private decode(body: string): Obj | undefined {
    try {
      const o = parseYaml(body)
      return o && typeof o === 'object' ? (o as Obj) : undefined
    } catch {
      return undefined
    }
  }

  private delete(res: ServerResponse, route: Route): void {
    const o = this.objects.get(this.key(route))
    if (!o) {
      this.notFound(res, route)
      return
    }

    this.remove(route)
    this.send(
      res,
      200,
      route.resource === 'deployments'
        ? o
        : {...this.status(200, '', ''), details: {kind: route.resource, name: route.name}, status: 'Success'},
    )
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x')
    const auth = req.headers.authorization ?? ''
    const token = auth.startsWith('Bearer ') ? auth.slice(7) : undefined
    const user = token ? this.tokens[token] : undefined
    const recorded: RecordedRequest = {
      contentType: req.headers['content-type'],
      fieldManager: url.searchParams.get('fieldManager') ?? undefined,
      force: url.searchParams.get('force') ?? undefined,
      method: req.method ?? 'GET',
      path: url.pathname,
      user,
    }
    this.requests.push(recorded)
    if (this.hang?.(recorded)) return // never answered; stop() closes the connection
    const body = await new Promise<string>((resolve) => {
      let s = ''
      req.on('data', (d) => {
        s += d
      })
      req.on('end', () => resolve(s))
    })
    if (this.rejectAll || !user) {
      this.send(res, 401, this.status(401, 'Unauthorized', 'Unauthorized'))
      return
    }

    const p = url.pathname.replace(/\/+$/, '')
    if (p === '/version') {
      this.send(res, 200, {gitVersion: 'v1.31.0-fake', major: '1', minor: '31', platform: 'linux/amd64'})
      return
    }

    if (p === '/api') {
      this.send(res, 200, {kind: 'APIVersions', serverAddressByClientCIDRs: [], versions: ['v1']})
      return
    }

    if (p === '/apis') {
      this.send(res, 200, {
        apiVersion: 'v1',
        groups: [
          {
            name: 'apps',
            preferredVersion: {groupVersion: 'apps/v1', version: 'v1'},
            versions: [{groupVersion: 'apps/v1', version: 'v1'}],
          },
        ],
        kind: 'APIGroupList',
      })
      return
    }

    if (p === '/api/v1' || p === '/apis/apps/v1') {
      const apps = p !== '/api/v1'
      const resources = Object.entries(KINDS)
        .filter(([r]) => APPS.has(r) === apps)
        .map(([name, k]) => ({
          kind: k.kind,
          name,
          namespaced: k.namespaced,
          singularName: k.kind.toLowerCase(),
          verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
        }))
      this.send(res, 200, {apiVersion: 'v1', groupVersion: apps ? 'apps/v1' : 'v1', kind: 'APIResourceList', resources})
      return
    }

    const route = this.parse(p)
    if (!route) {
      this.send(res, 404, this.status(404, 'NotFound', 'the server could not find the requested resource'))
      return
    }

    const verb = this.verbOf(req.method ?? 'GET', route, url)
    if (!this.allowed(user, route)) {
      const group = route.group ? `.${route.group}` : ''
      const what = route.name ? `${route.resource}${group} "${route.name}"` : `${route.resource}${group}`
      const where = route.namespace ? ` in the namespace "${route.namespace}"` : ' at the cluster scope'
      this.send(res, 403, {
        ...this.status(
          403,
          'Forbidden',
          `${what} is forbidden: User "${user}" cannot ${verb} resource "${route.resource}${route.sub ? `/${route.sub}` : ''}" in API group "${route.group}"${where}`,
        ),
        details: {group: route.group, kind: route.resource, name: route.name},
      })
      return
    }

    switch (verb) {
      case 'create': {
        this.create(res, route, body)
        return
      }

      case 'delete': {
        this.delete(res, route)
        return
      }

      case 'deletecollection': {
        const sel = url.searchParams.get('labelSelector')
        const items = this.items(route, sel)
        for (const i of items) this.remove(this.routeFor(route.resource, i.metadata.namespace, i.metadata.name))
        this.send(res, 200, {
          apiVersion: route.group ? `${route.group}/${route.version}` : 'v1',
          items,
          kind: `${KINDS[route.resource]?.kind}List`,
          metadata: {},
        })
        return
      }

      case 'get': {
        if (route.sub === 'log') {
          this.log(res, route, url)
          return
        }

        const o = this.objects.get(this.key(route))
        if (o) this.send(res, 200, o)
        else this.notFound(res, route)
        return
      }

      case 'list': {
        const sel = url.searchParams.get('labelSelector')
        if (route.namespace && route.resource !== 'namespaces' && !this.nsExists(route.namespace)) {
          // a list in a missing namespace is an empty list on a real server
        }

        this.send(res, 200, {
          apiVersion: route.group ? `${route.group}/${route.version}` : 'v1',
          items: this.items(route, sel),
          kind: `${KINDS[route.resource]?.kind ?? 'Unknown'}List`,
          metadata: {resourceVersion: String(this.rv)},
        })
        return
      }

      case 'patch': {
        this.patch(res, route, url, req.headers['content-type'] ?? '', body)
        return
      }

      case 'update': {
        this.replace(res, route, body)
        return
      }

      case 'watch': {
        this.watch(res, route, url)
        return
      }

      default: {
        this.send(res, 405, this.status(405, 'MethodNotAllowed', `${req.method} not supported`))
      }
    }
  }

  private items(route: Route, selector: null | string): Obj[] {
    const prefix = this.collectionPath(route.resource, route.namespace)
    const inScope = (k: string) =>
      route.namespace || KINDS[route.resource]?.namespaced === false
        ? k.startsWith(prefix + '/') && !k.slice(prefix.length + 1).includes('/')
        : k.includes(`/${route.resource}/`) && k.startsWith(APPS.has(route.resource) ? '/apis/apps/v1/' : '/api/v1/')
    return [...this.objects.entries()]
      .filter(([k, v]) => inScope(k) && matchesSelector(v.metadata?.labels, selector))
      .map(([, v]) => v)
      .sort((a, b) => String(a.metadata.name).localeCompare(String(b.metadata.name)))
  }

  private key(route: Route): string {
    return `${this.collectionPath(route.resource, route.namespace)}/${route.name}`
  }

  private log(res: ServerResponse, route: Route, url: URL): void {
    const pod = this.objects.get(this.key(route))
    if (!pod) {
      this.notFound(res, route)
      return
    }

    const previous = url.searchParams.get('previous') === 'true'
    const text = previous ? pod.metadata.annotations?.['fake/previous-log'] : this.logs[route.name!]
    if (text === undefined) {
      const msg = previous
        ? `previous terminated container "chaincode" in pod "${route.name}" not found`
        : `container "chaincode" in pod "${route.name}" is waiting to start: trying and failing to pull image`
      this.send(res, 400, this.status(400, 'BadRequest', msg))
      return
    }

    const tail = Number(url.searchParams.get('tailLines') ?? 0)
    const lines = text.replace(/\n$/, '').split('\n')
    const out = (tail > 0 ? lines.slice(-tail) : lines).join('\n') + '\n'
    res.writeHead(200, {'content-type': 'text/plain'})
    res.end(out)
  }

  private notFound(res: ServerResponse, route: Route): void {
    const group = route.group ? `.${route.group}` : ''
    this.send(res, 404, {
      ...this.status(404, 'NotFound', `${route.resource}${group} "${route.name}" not found`),
      details: {group: route.group, kind: route.resource, name: route.name},
    })
  }

  private notify(route: Route, type: 'ADDED' | 'DELETED' | 'MODIFIED', o: Obj): void {
    const collection = this.collectionPath(route.resource, route.namespace)
    const all = this.collectionPath(route.resource)
    for (const w of this.watchers)
      if ((w.collection === collection || w.collection === all) && matchesSelector(o.metadata?.labels, w.selector))
        w.res.write(JSON.stringify({object: o, type}) + '\n')
  }

  private nsExists(ns: string): boolean {
    return this.objects.has(`/api/v1/namespaces/${ns}`)
  }

  private parse(p: string): Route | undefined {
    const m =
      /^\/(?:api\/(v1)|apis\/(apps)\/(v1))(?:\/namespaces\/([^/]+)(?:\/([^/]+)(?:\/([^/]+)(?:\/([^/]+))?)?)?|\/([^/]+)(?:\/([^/]+)(?:\/([^/]+))?)?)$/.exec(
        p,
      )
    if (!m) return undefined
    const group = m[2] ?? ''
    const version = m[1] ?? m[3]
    let r: Route
    if (m[4] !== undefined && m[5] === undefined)
      r = {collection: '', group, name: m[4], resource: 'namespaces', version}
    else if (m[4] === undefined) r = {collection: '', group, name: m[9], resource: m[8], sub: m[10], version}
    else r = {collection: '', group, name: m[6], namespace: m[4], resource: m[5], sub: m[7], version}
    if (!KINDS[r.resource] || APPS.has(r.resource) !== (group === 'apps')) return undefined
    if (r.resource === 'namespaces' && m[4] !== undefined && m[5] === undefined) r.namespace = undefined
    r.collection = this.collectionPath(r.resource, r.namespace)
    return r
  }

  private patch(res: ServerResponse, route: Route, url: URL, contentType: string, body: string): void {
    if (!contentType.startsWith('application/apply-patch+yaml')) {
      this.send(
        res,
        415,
        this.status(
          415,
          'UnsupportedMediaType',
          `the fake API server only speaks server-side apply, not ${contentType}`,
        ),
      )
      return
    }

    const manager = url.searchParams.get('fieldManager')
    if (!manager) {
      this.send(
        res,
        422,
        this.status(
          422,
          'Invalid',
          'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
        ),
      )
      return
    }

    const cfg = this.decode(body)
    const kind = KINDS[route.resource]?.kind
    if (!cfg || cfg.kind !== kind || cfg.metadata?.name !== route.name) {
      this.send(res, 400, this.status(400, 'BadRequest', `apply body must be a ${kind} named "${route.name}"`))
      return
    }

    if (!this.checkNamespace(res, route)) return
    const invalid = this.validate(cfg)
    if (invalid) {
      this.send(res, 422, this.status(422, 'Invalid', `${kind} "${route.name}" is invalid: ${invalid}`))
      return
    }

    const key = this.key(route)
    const old = this.objects.get(key)
    const managers = this.applied.get(key) ?? new Map<string, Obj>()
    if (old && managers.has(manager) && same(managers.get(manager), cfg)) {
      this.send(res, 200, old) // server-side apply of identical content: nothing changes, resourceVersion kept
      return
    }

    const dryRun = url.searchParams.get('dryRun') === 'All'
    const o = clone(cfg)
    o.metadata = {
      ...old?.metadata,
      ...cfg.metadata,
      namespace: KINDS[route.resource]?.namespaced ? route.namespace : undefined,
    }
    if (old?.status) o.status = clone(old.status)
    o.metadata.managedFields = [{apiVersion: cfg.apiVersion, fieldsType: 'FieldsV1', manager, operation: 'Apply'}]
    if (
      old &&
      same({...old, metadata: undefined, status: undefined}, {...o, metadata: undefined, status: undefined}) &&
      same(old.metadata.labels, o.metadata.labels) &&
      same(old.metadata.annotations, o.metadata.annotations)
    ) {
      managers.set(manager, clone(cfg))
      this.applied.set(key, managers)
      this.send(res, 200, old)
      return
    }

    this.stamp(o, old)
    if (dryRun) {
      this.send(res, old ? 200 : 201, o)
      return
    }

    managers.set(manager, clone(cfg))
    this.applied.set(key, managers)
    this.store(route, o)
    this.send(res, old ? 200 : 201, o)
  }

  // ---------------------------------------------------------------- the fake deployment controller

  private podStatus(mode: ControllerMode, container: Obj, podName: string): Obj {
    const base = {containerID: undefined, image: container.image, imageID: '', name: container.name}
    switch (mode) {
      case 'CrashLoopBackOff': {
        return {
          conditions: readyConditions(false),
          containerStatuses: [
            {
              ...base,
              lastState: {terminated: {exitCode: 1, finishedAt: new Date().toISOString(), reason: 'Error'}},
              ready: false,
              restartCount: 3,
              state: {
                waiting: {
                  message: `back-off 40s restarting failed container=${container.name} pod=${podName}`,
                  reason: 'CrashLoopBackOff',
                },
              },
            },
          ],
          phase: 'Running',
        }
      }

      case 'ErrImageNeverPull':
      case 'ImagePullBackOff': {
        const message =
          mode === 'ErrImageNeverPull'
            ? `Container image "${container.image}" is not present with pull policy of Never`
            : `Back-off pulling image "${container.image}"`
        return {
          conditions: readyConditions(false),
          containerStatuses: [{...base, ready: false, restartCount: 0, state: {waiting: {message, reason: mode}}}],
          phase: 'Pending',
        }
      }

      case 'NotReady': {
        return {
          conditions: readyConditions(false),
          containerStatuses: [
            {
              ...base,
              ready: false,
              restartCount: 0,
              started: true,
              state: {running: {startedAt: new Date().toISOString()}},
            },
          ],
          phase: 'Running',
        }
      }

      case 'Unschedulable': {
        return {
          conditions: [
            {
              message:
                '0/1 nodes are available: 1 Insufficient memory. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.',
              reason: 'Unschedulable',
              status: 'False',
              type: 'PodScheduled',
            },
          ],
          phase: 'Pending',
        }
      }

      default: {
        return {
          conditions: readyConditions(true),
          containerStatuses: [
            {
              ...base,
              ready: true,
              restartCount: 0,
              started: true,
              state: {running: {startedAt: new Date().toISOString()}},
            },
          ],
          phase: 'Running',
          podIP: '10.244.0.7',
        }
      }
    }
  }

  private reconcile(route: Route, d: Obj): void {
    if (this.controller === 'manual') return
    const ns = route.namespace!
    const name = d.metadata.name as string
    const hash = createHash('sha256')
      .update(JSON.stringify(canon(d.spec.template)))
      .digest('hex')
      .slice(0, 10)
    const podsRoute = this.routeFor('pods', ns)
    const selector = Object.entries((d.spec.selector?.matchLabels ?? {}) as Record<string, string>)
      .map(([k, v]) => `${k}=${v}`)
      .join(',')
    const pods = this.items(podsRoute, selector)
    const current = pods.find((p) => p.metadata.labels?.['pod-template-hash'] === hash)
    const old = pods.filter((p) => p.metadata.labels?.['pod-template-hash'] !== hash)
    const mode = this.controller
    let pod = current
    if (!pod) {
      const podName = `${name}-${hash}-${randomBytes(3).toString('hex').slice(0, 5)}`
      const container = d.spec.template.spec.containers[0]
      pod = {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          annotations: {...d.spec.template.metadata?.annotations},
          labels: {...d.spec.template.metadata?.labels, 'pod-template-hash': hash},
          name: podName,
          namespace: ns,
        },
        spec: {...clone(d.spec.template.spec), nodeName: mode === 'Unschedulable' ? undefined : 'fake-node'},
        status: this.podStatus(mode, container, podName),
      }
      if (mode === 'CrashLoopBackOff') pod.metadata.annotations['fake/previous-log'] = this.crashLog
      this.stamp(pod)
      this.store(this.routeFor('pods', ns, podName), pod, false)
    }

    const ok = mode === 'ready'
    if (ok) for (const p of old) this.remove(this.routeFor('pods', ns, p.metadata.name))
    const want = d.spec.replicas ?? 1
    d.status = {
      availableReplicas: ok ? want : old.length > 0 ? Math.min(old.length, want) : 0,
      conditions: [
        {reason: ok ? 'NewReplicaSetAvailable' : 'ReplicaSetUpdated', status: 'True', type: 'Progressing'},
        {status: ok || old.length > 0 ? 'True' : 'False', type: 'Available'},
      ],
      observedGeneration: d.metadata.generation,
      readyReplicas: ok ? want : old.length,
      replicas: ok ? want : want + old.length,
      updatedReplicas: want,
    }
    if (!ok && old.length === 0) d.status.availableReplicas = 0
    this.bump(d)
  }

  private remove(route: Route): void {
    const key = this.key(route)
    const o = this.objects.get(key)
    if (!o) return
    this.objects.delete(key)
    this.applied.delete(key)
    this.notify(route, 'DELETED', o)
    if (route.resource === 'deployments') {
      // garbage collection of the pods
      const sel = Object.entries((o.spec?.selector?.matchLabels ?? {}) as Record<string, string>)
        .map(([k, v]) => `${k}=${v}`)
        .join(',')
      for (const p of this.items(this.routeFor('pods', route.namespace), sel))
        this.remove(this.routeFor('pods', route.namespace, p.metadata.name))
    }

    if (route.resource === 'namespaces')
      for (const k of this.objects.keys()) if (k.includes(`/namespaces/${route.name}/`)) this.objects.delete(k)
  }

  private replace(res: ServerResponse, route: Route, body: string): void {
    const o = this.decode(body)
    const old = this.objects.get(this.key(route))
    if (!o || !old) {
      if (old) this.send(res, 400, this.status(400, 'BadRequest', 'invalid body'))
      else this.notFound(res, route)
      return
    }

    o.metadata = {...old.metadata, ...o.metadata}
    o.kind ??= old.kind
    o.apiVersion ??= old.apiVersion
    this.stamp(o, old)
    this.store(route, o)
    this.send(res, 200, o)
  }

  private routeFor(resource: string, namespace?: string, name?: string): Route {
    const ns = KINDS[resource]?.namespaced ? namespace : undefined
    return {
      collection: this.collectionPath(resource, ns),
      group: APPS.has(resource) ? 'apps' : '',
      name,
      namespace: ns,
      resource,
      version: 'v1',
    }
  }

  private send(res: ServerResponse, code: number, body: unknown): void {
    res.writeHead(code, {'content-type': 'application/json'})
    res.end(JSON.stringify(body))
  }

  /** System metadata: uid, creationTimestamp, resourceVersion, generation (bumped when spec changes). */
  private stamp(o: Obj, old?: Obj): void {
    o.metadata ??= {}
    o.metadata.uid = old?.metadata?.uid ?? randomBytes(16).toString('hex')
    o.metadata.creationTimestamp = old?.metadata?.creationTimestamp ?? new Date().toISOString()
    const specChanged = !old || !same(old.spec, o.spec)
    o.metadata.generation = (old?.metadata?.generation ?? 0) + (specChanged ? 1 : 0)
    if (o.kind === 'Namespace') o.status ??= {phase: 'Active'}
    if (o.kind === 'Namespace')
      o.metadata.labels = {...o.metadata.labels, 'kubernetes.io/metadata.name': o.metadata.name}
    if (o.kind === 'Service') {
      o.spec ??= {}
      o.spec.clusterIP ??=
        old?.spec?.clusterIP ?? `10.96.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250) + 2}`
    }

    if (o.kind === 'Deployment' && !old) o.status = {}
    this.bump(o)
  }

  private status(code: number, reason: string, message: string): Obj {
    return {apiVersion: 'v1', code, kind: 'Status', message, metadata: {}, reason, status: 'Failure'}
  }

  private store(route: Route, o: Obj, reconcile = true): void {
    const key = this.key(route)
    const existed = this.objects.has(key)
    this.objects.set(key, o)
    this.notify(route, existed ? 'MODIFIED' : 'ADDED', o)
    if (reconcile && route.resource === 'deployments') {
      this.reconcile(route, o)
      this.notify(route, 'MODIFIED', o)
    }
  }

  private validate(o: Obj): string | undefined {
    if (o.kind === 'Deployment') {
      const sel = o.spec?.selector?.matchLabels ?? {}
      const labels = o.spec?.template?.metadata?.labels ?? {}
      for (const [k, v] of Object.entries(sel))
        if (labels[k] !== v)
          return 'spec.template.metadata.labels: Invalid value: `selector` does not match template `labels`'
      if (!o.spec?.template?.spec?.containers?.length) return 'spec.template.spec.containers: Required value'
    }

    for (const [k, v] of Object.entries((o.metadata?.labels ?? {}) as Record<string, string>))
      if (String(v).length > 63 || !/^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/.test(String(v)))
        return `metadata.labels: Invalid value: "${v}": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.' (label ${k})`
    return undefined
  }

  private verbOf(method: string, route: Route, url: URL): string {
    const collection = route.name === undefined
    switch (method) {
      case 'DELETE': {
        return collection ? 'deletecollection' : 'delete'
      }

      case 'GET': {
        if (collection)
          return url.searchParams.get('watch') === 'true' || url.searchParams.get('watch') === '1' ? 'watch' : 'list'
        return 'get'
      }

      case 'PATCH': {
        return 'patch'
      }

      case 'POST': {
        return 'create'
      }

      case 'PUT': {
        return 'update'
      }

      default: {
        return method.toLowerCase()
      }
    }
  }

  private watch(res: ServerResponse, route: Route, url: URL): void {
    res.writeHead(200, {'content-type': 'application/json', 'transfer-encoding': 'chunked'})
    const selector = url.searchParams.get('labelSelector')
    if (!url.searchParams.get('resourceVersion'))
      for (const o of this.items(route, selector)) res.write(JSON.stringify({object: o, type: 'ADDED'}) + '\n')
    const w = {collection: this.collectionPath(route.resource, route.namespace), res, selector}
    this.watchers.add(w)
    const timeout = Number(url.searchParams.get('timeoutSeconds') ?? 0)
    const end = () => {
      this.watchers.delete(w)
      res.end()
    }

    if (timeout > 0) setTimeout(end, timeout * 1000).unref()
    res.on('close', () => this.watchers.delete(w))
  }
}
