/**
 * The one Kubernetes client factory: which kubeconfig, which context, and how API failures become FabErrors.
 * Every client it makes (ours and the ones other code makes with `kc.makeApiClient`, doctor's included) gives each
 * request a deadline, stops on Ctrl-C, and refuses answers that do not come from a Kubernetes API server (a login
 * page, a proxy, the wrong port) with one clear error instead of a TypeError deep in the caller.
 * The `@kubernetes/client-node` package is heavy (≈ 0.5 s to import), so it is only imported inside these functions.
 */
import type {AppsV1Api, CoreV1Api, HttpLibrary, KubeConfig, RequestContext} from '@kubernetes/client-node'

import {existsSync} from 'node:fs'
import {type AgentOptions, Agent as HttpsAgent} from 'node:https'
import {homedir} from 'node:os'
import path from 'node:path'

import {parseDuration} from '../duration.js'
import {FabError} from '../errors.js'
import {type KubeLib, kubeLib} from './lib.js'

export interface KubeOptions {
  /** --context; wins over the project's kubernetes.context and kind-<cluster>. */
  context?: string
  /** --kubeconfig (may be a list joined with the OS path delimiter, like $KUBECONFIG). Default: $KUBECONFIG, then ~/.kube/config. */
  kubeconfig?: string
  /** The project, for `kubernetes.context` and `kind.cluster` (any object of that shape will do). */
  project?: {kind?: {cluster?: string}; kubernetes?: {context?: string}}
  /** The deadline of each API request (default: FABK8S_REQUEST_TIMEOUT, else 30 s). */
  requestTimeoutMs?: number
  /** Ctrl-C: requests in flight are cancelled. */
  signal?: AbortSignal
}

const DEFAULT_REQUEST_TIMEOUT = '30s'

/** The deadline of one API request: FABK8S_REQUEST_TIMEOUT (a duration such as 30s), else 30 s. */
export function defaultRequestTimeoutMs(env: NodeJS.ProcessEnv = process.env): number {
  return parseDuration(env.FABK8S_REQUEST_TIMEOUT || DEFAULT_REQUEST_TIMEOUT, 'FABK8S_REQUEST_TIMEOUT')
}

/** A command's --timeout also bounds each request: the smaller of the two. */
export function requestTimeoutFor(timeoutMs?: number): number {
  const d = defaultRequestTimeoutMs()
  return timeoutMs === undefined ? d : Math.min(d, timeoutMs)
}

/** Where a request went: put into error messages. */
export interface KubeTarget {
  context?: string
  namespace?: string
  server?: string
  user?: string
}

/** The kubeconfig files to read, in order, and the name of the setting they came from (for messages). */
export function kubeconfigFiles(
  kubeconfig?: string,
  env: NodeJS.ProcessEnv = process.env,
): {files: string[]; from: string} {
  // the --kubeconfig flag also takes its value from $KUBECONFIG: name the one the user set
  if (kubeconfig)
    return {
      files: kubeconfig.split(path.delimiter).filter(Boolean),
      from: kubeconfig === env.KUBECONFIG ? 'KUBECONFIG' : '--kubeconfig',
    }
  if (env.KUBECONFIG) return {files: env.KUBECONFIG.split(path.delimiter).filter(Boolean), from: 'KUBECONFIG'}
  return {files: [path.join(env.HOME || homedir(), '.kube', 'config')], from: 'default kubeconfig'}
}

/** How loadKubeConfig chose the context: --context, fabk8s.yaml kubernetes.context, kind-<kind.cluster>, or current-context. */
export type ContextFrom = 'current' | 'flag' | 'kind' | 'project'

/** What loadKubeConfig reports about its choice of context (on the KubeConfig it returns). */
export interface ContextChoice {
  contextFrom: ContextFrom
  /**
   * Only with contextFrom 'current': the `kind-<kind.cluster>` context the project names and the kubeconfig lacks
   * (the current-context was taken instead: it may be another cluster than the user expects).
   */
  missingKindContext?: string
}

/**
 * Load the kubeconfig and pick the context: `context` (--context), then the project's `kubernetes.context`,
 * then `kind-<kind.cluster>` when the kubeconfig has it, then the kubeconfig's current-context. The KubeConfig
 * returned says how (`contextFrom`, see ContextChoice).
 * Several files merge the way kubectl does (the first occurrence of a name wins, the first current-context wins).
 */
export async function loadKubeConfig(opts: KubeOptions = {}): Promise<ContextChoice & KubeConfig> {
  const {KubeConfig} = await kubeLib()
  const {files, from} = kubeconfigFiles(opts.kubeconfig)
  const present = files.filter((f) => existsSync(f))
  if (present.length === 0) {
    const hint = 'pass --kubeconfig FILE or set KUBECONFIG; `kind create cluster` writes ~/.kube/config'
    if (from === 'default kubeconfig')
      throw new FabError('KUBERNETES', `no kubeconfig: ${files[0]} does not exist`, {hint})
    throw new FabError('USAGE', `${from}: no such file: ${files.join(path.delimiter)}`, {hint})
  }

  const kc = new KubeConfig()
  for (const [i, file] of present.entries()) {
    const one = i === 0 ? kc : new KubeConfig()
    try {
      one.loadFromFile(file)
    } catch (error) {
      throw new FabError('KUBERNETES', `${file}: not a valid kubeconfig (${firstLine(error)})`, {
        hint: `check the file, or point ${from === 'default kubeconfig' ? '--kubeconfig' : from} at another one`,
      })
    }

    if (i > 0) {
      // kubectl's rule: the first occurrence wins; client-node's addX throws on duplicates
      for (const c of one.clusters) if (!kc.getCluster(c.name)) kc.addCluster(c)
      for (const u of one.users) if (!kc.getUser(u.name)) kc.addUser(u)
      for (const c of one.contexts) if (!kc.getContextObject(c.name)) kc.addContext(c)
      if (!kc.currentContext && one.currentContext) kc.setCurrentContext(one.currentContext)
    }
  }

  const choice = chooseContext(kc, opts, present)
  if (!kc.getCurrentCluster())
    throw new FabError(
      'KUBERNETES',
      `context "${kc.currentContext}" names a cluster that is not in ${present.join(', ')}`,
      {
        hint: 'fix the kubeconfig or pick another --context',
      },
    )
  await guardClients(kc, opts)
  return Object.assign(kc, choice)
}

/** Set the context of `kc` (loadKubeConfig says in what order), and say how it was chosen. */
function chooseContext(kc: KubeConfig, opts: KubeOptions, files: string[]): ContextChoice {
  const names = kc.getContexts().map((c) => c.name)
  const pick = (name: string, where: string, code: 'KUBERNETES' | 'USAGE') => {
    if (!names.includes(name))
      throw new FabError(code, `${where}: no context "${name}" in ${files.join(', ')}`, {
        detail: {contexts: names},
        hint: names.length > 0 ? `available contexts: ${names.join(', ')}` : 'the kubeconfig has no contexts',
      })
    kc.setCurrentContext(name)
  }

  const projectContext = opts.project?.kubernetes?.context
  const kindContext = opts.project?.kind?.cluster ? `kind-${opts.project.kind.cluster}` : undefined
  if (opts.context) {
    pick(opts.context, '--context', 'USAGE')
    return {contextFrom: 'flag'}
  }

  if (projectContext) {
    pick(projectContext, 'fabk8s.yaml kubernetes.context', 'KUBERNETES')
    return {contextFrom: 'project'}
  }

  if (kindContext && names.includes(kindContext)) {
    kc.setCurrentContext(kindContext)
    return {contextFrom: 'kind'}
  }

  if (!kc.currentContext || !names.includes(kc.currentContext))
    throw new FabError('KUBERNETES', `${files.join(', ')}: no current context`, {
      hint: names.length > 0 ? `pass --context (available: ${names.join(', ')})` : 'the kubeconfig has no contexts',
    })
  return kindContext ? {contextFrom: 'current', missingKindContext: kindContext} : {contextFrom: 'current'}
}

/**
 * The line that says the context is the kubeconfig's current-context because the `kind-<kind.cluster>` context the
 * project names is not in the kubeconfig (undefined for any other choice): the current-context may be a shared or
 * production cluster, so a command that acts on it says so once (stderr, human output only).
 */
export function contextNote(c: Pick<KubeClients, 'choice' | 'target'>): string | undefined {
  if (c.choice?.contextFrom !== 'current' || !c.choice.missingKindContext) return undefined
  return `using current context "${c.target.context}" (no context ${c.choice.missingKindContext} in the kubeconfig; set kubernetes.context or pass --context to choose)`
}

/**
 * Make every API client of `kc` send its requests through guardedHttp: `kc.makeApiClient` is what client-node's
 * own helpers (KubernetesObjectApi.makeApiClient) call too.
 */
async function guardClients(kc: KubeConfig, opts: KubeOptions): Promise<void> {
  const lib = await kubeLib()
  const timeoutMs = opts.requestTimeoutMs ?? defaultRequestTimeoutMs()
  const at = targetOf(kc)
  const httpApi = guardedHttp(lib, at, timeoutMs, opts.signal)
  kc.makeApiClient = <T>(ApiClient: new (config: ReturnType<typeof lib.createConfiguration>) => T): T => {
    const cluster = kc.getCurrentCluster()
    if (!cluster) throw new FabError('KUBERNETES', `context "${kc.currentContext}" has no cluster`)
    return new ApiClient(
      lib.createConfiguration({
        authMethods: {default: kc},
        baseServer: new lib.ServerConfiguration(cluster.server, {}),
        httpApi,
      }),
    )
  }
}

/**
 * client-node's fetch library with a deadline per request (and Ctrl-C), and a check that the answer is the
 * Kubernetes API's: JSON with a `kind` (every object, list and Status has one), or the text of a pod log.
 */
function guardedHttp(lib: KubeLib, at: KubeTarget, timeoutMs: number, signal?: AbortSignal): HttpLibrary {
  const inner = new lib.IsomorphicFetchHttpLibrary()
  const where = `${at.server ?? 'the API server'}${at.context ? ` (context "${at.context}")` : ''}`
  const agent = sharedAgent()
  return lib.wrapHttpLibrary({
    async send(req: RequestContext) {
      agent(req)
      // one controller per request, tied to the command's signal only while the request runs (a listener per
      // request left on the command's signal would pile up over a rollout's polls)
      const ac = new AbortController()
      let timedOut = false
      const timer = setTimeout(() => {
        timedOut = true
        ac.abort()
      }, timeoutMs)
      const onAbort = () => ac.abort()
      signal?.addEventListener('abort', onAbort, {once: true})
      if (signal?.aborted) ac.abort()
      req.setSignal(ac.signal)
      const url = new URL(req.getUrl())
      const what = `${req.getHttpMethod()} ${url.pathname}`
      let res
      let body: Buffer
      try {
        res = await inner.send(req).toPromise()
        body = await res.body.binary()
      } catch (error) {
        if (signal?.aborted) throw new FabError('ABORTED', 'interrupted', {cause: error})
        if (timedOut)
          throw new FabError(
            'KUBERNETES',
            `the Kubernetes API at ${where} did not answer ${what} within ${Math.round(timeoutMs / 100) / 10}s`,
            {
              cause: error,
              detail: {context: at.context, server: at.server, timeoutMs},
              hint: 'is the API server up and is it what listens at that address? (`kubectl cluster-info`); FABK8S_REQUEST_TIMEOUT sets the deadline of each request (default 30s)',
            },
          )
        throw error
      } finally {
        clearTimeout(timer)
        signal?.removeEventListener('abort', onAbort)
      }

      const problem = notKubernetes(url.pathname, res.httpStatusCode, res.headers['content-type'], body)
      if (problem)
        throw new FabError('KUBERNETES', `${where} is not a Kubernetes API server (${what} answered ${problem})`, {
          detail: {context: at.context, server: at.server, status: res.httpStatusCode},
          hint: 'check the server address of this context in the kubeconfig: a proxy, a login page or the wrong port answers there',
        })
      return new lib.ResponseContext(res.httpStatusCode, res.headers, {
        binary: async () => body,
        text: async () => body.toString('utf8'),
      })
    },
  })
}

/** The TLS settings of an agent that decide whether another agent may stand in for it. */
const TLS_OPTIONS = ['ca', 'cert', 'key', 'pfx', 'passphrase', 'rejectUnauthorized', 'servername'] as const

function sameOption(a: unknown, b: unknown): boolean {
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return a.equals(b)
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => sameOption(x, b[i]))
  return a === b
}

/**
 * client-node makes a new https.Agent for every request (KubeConfig.applySecurityAuthentication), so every request
 * opened a connection of its own and parsed the CA, certificate and key again for it (≈ 8 ms each). One keep-alive
 * agent per client instead, with the TLS settings of the agent client-node made (a new one when they change, e.g.
 * a refreshed client certificate): requests share its connections. Proxy agents and plain HTTP are left as they are.
 * An idle kept-alive socket does not hold the process open (Node unrefs it).
 */
export function sharedAgent(): (req: RequestContext) => void {
  let shared: HttpsAgent | undefined
  return (req) => {
    const given = req.getAgent()
    if (!(given instanceof HttpsAgent) || given.constructor !== HttpsAgent) return
    const o = given.options as Record<string, unknown>
    const so = shared?.options as Record<string, unknown> | undefined
    const agent =
      shared && so && TLS_OPTIONS.every((k) => sameOption(o[k], so[k]))
        ? shared
        : new HttpsAgent({...(given.options as AgentOptions), keepAlive: true})
    shared = agent
    req.setAgent(agent)
  }
}

/** Why an answer is not the Kubernetes API's, or undefined when it is. Exported for tests. */
export function notKubernetes(
  pathname: string,
  status: number,
  contentType: string | undefined,
  body: Buffer,
): string | undefined {
  const type = (contentType ?? '').split(';')[0].trim().toLowerCase()
  if (status < 300 && /\/log$/.test(pathname)) return undefined // a pod log is plain text
  if (pathname === '/version' || pathname.startsWith('/openapi/')) return undefined
  const text = body.toString('utf8')
  if (!/[/+]json$/.test(type)) {
    const title = /<title[^>]*>([^<]*)<\/title>/i.exec(text)?.[1]?.trim()
    const sample = (title ?? text).replaceAll(/\s+/g, ' ').trim().slice(0, 60)
    return `HTTP ${status} ${type || 'without a content type'}${sample ? `: "${sample}"` : ''}`
  }

  let v: unknown
  try {
    v = JSON.parse(text)
  } catch {
    return `HTTP ${status} with a body that is not JSON`
  }

  if (!v || typeof v !== 'object' || typeof (v as {kind?: unknown}).kind !== 'string')
    return `HTTP ${status} with JSON that is not a Kubernetes object (no "kind")`
  return undefined
}

/** The server URL, context and user of the kubeconfig's current context. */
export function targetOf(kc: KubeConfig, namespace?: string): KubeTarget {
  const ctx = kc.getContextObject(kc.currentContext)
  return {context: kc.currentContext, namespace, server: kc.getCurrentCluster()?.server, user: ctx?.user}
}

export interface KubeClients {
  apps: AppsV1Api
  /** How the context was chosen (set by connect). */
  choice?: ContextChoice
  core: CoreV1Api
  kc: KubeConfig
  /** For error messages: server, context, user, namespace. */
  target: KubeTarget
}

/** loadKubeConfig + the typed API clients fabk8s uses. */
export async function connect(opts: KubeOptions & {namespace?: string} = {}): Promise<KubeClients> {
  const kc = await loadKubeConfig(opts)
  const {AppsV1Api, CoreV1Api} = await kubeLib()
  return {
    apps: kc.makeApiClient(AppsV1Api),
    choice: {contextFrom: kc.contextFrom, missingKindContext: kc.missingKindContext},
    core: kc.makeApiClient(CoreV1Api),
    kc,
    target: targetOf(kc, opts.namespace),
  }
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]
}

/** The Kubernetes Status object in an ApiException body (a JSON string or an object), if any. */
export function statusOf(
  err: unknown,
): undefined | {code?: number; details?: {kind?: string; name?: string}; message?: string; reason?: string} {
  const body = (err as {body?: unknown})?.body
  if (body === undefined || body === null) return undefined
  if (typeof body === 'object') return body as never
  if (typeof body === 'string') {
    try {
      const parsed = JSON.parse(body)
      return typeof parsed === 'object' && parsed ? parsed : {message: body}
    } catch {
      return body.trim() ? {message: body.trim().split('\n')[0]} : undefined
    }
  }

  return undefined
}

/** The HTTP status of an ApiException (client-node 1.x), or undefined for anything else. */
export function httpCode(err: unknown): number | undefined {
  const e = err as {code?: unknown; constructor?: {name?: string}}
  if (e && typeof e === 'object' && typeof e.code === 'number' && 'body' in e && 'headers' in e) return e.code
  return undefined
}

const CONN_CODES = new Set([
  'EAI_AGAIN',
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EPIPE',
  'ESOCKETTIMEDOUT',
  'ETIMEDOUT',
])
const TLS_CODES = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ALTNAME|SSL|TLS/i

/**
 * Map anything a client-node call threw to a FabError with exit code KUBERNETES:
 * unreachable → the server URL; 401 → credentials hint; 403 → RBAC hint with the server's own message;
 * 404 of a namespace → "namespace … not found". `what` says what was being done ("apply Deployment fabk8s/mycc").
 */
export function kubeError(err: unknown, what: string, at: KubeTarget = {}): FabError {
  if (err instanceof FabError) return err
  const server = at.server ?? serverFromMessage(err) ?? 'the API server'
  const ctx = at.context ? ` (context "${at.context}")` : ''
  const code = httpCode(err)
  if (code === undefined) {
    const e = err as {
      cause?: {code?: string}
      code?: unknown
      errno?: unknown
      message?: string
      name?: string
      type?: string
    }
    const sysCode = [e?.code, e?.errno, e?.cause?.code].find((c) => typeof c === 'string') as string | undefined
    const msg = firstLine(err)
    if (/HTTP protocol is not allowed/.test(msg))
      return new FabError(
        'KUBERNETES',
        `${what}: the kubeconfig names an http:// server (${server}) without insecure-skip-tls-verify`,
        {
          cause: err,
          detail: {context: at.context, server},
          hint: 'use the https:// address of the API server, or set insecure-skip-tls-verify: true for that cluster',
        },
      )
    if ((sysCode && TLS_CODES.test(sysCode)) || /certificate|self[- ]signed|SSL|TLS/i.test(msg))
      return new FabError(
        'KUBERNETES',
        `${what}: TLS verification failed talking to ${server}${ctx}: ${sysCode ?? msg}`,
        {
          cause: err,
          detail: {context: at.context, server},
          hint: "the kubeconfig's certificate-authority does not match the server; regenerate it (kind export kubeconfig) or pick another --context",
        },
      )
    if (
      (sysCode && CONN_CODES.has(sysCode)) ||
      e?.name === 'FetchError' ||
      /ECONNREFUSED|socket hang up|network|connect /i.test(msg)
    )
      return new FabError('KUBERNETES', `cannot reach the Kubernetes API at ${server}${ctx}: ${sysCode ?? msg}`, {
        cause: err,
        detail: {context: at.context, server},
        hint: 'is the cluster running? (`kind get clusters`, `kubectl cluster-info`); check --kubeconfig/--context',
      })
    return new FabError('KUBERNETES', `${what}: ${msg}`, {cause: err, detail: {context: at.context, server}})
  }

  const status = statusOf(err)
  const serverMsg = status?.message
  const detail = {code, context: at.context, namespace: at.namespace, reason: status?.reason, server}
  if (code === 401)
    return new FabError(
      'KUBERNETES',
      `${what}: unauthorized (401) at ${server}${ctx}: the API server rejected the credentials`,
      {
        cause: err,
        detail,
        hint: `the user${at.user ? ` "${at.user}"` : ''} in the kubeconfig has an expired or wrong token/certificate; refresh the kubeconfig (kind export kubeconfig) or pick another --context`,
      },
    )
  if (code === 403)
    return new FabError('KUBERNETES', `${what}: forbidden (403)${ctx}: ${serverMsg ?? 'no permission'}`, {
      cause: err,
      detail,
      hint: `the kubeconfig user${at.user ? ` "${at.user}"` : ''} lacks RBAC permission${at.namespace ? ` in namespace "${at.namespace}"` : ''}; ask for a Role/RoleBinding granting it, or use another --context or -n/--namespace`,
    })
  if (code === 404 && status?.details?.kind === 'namespaces')
    return new FabError('KUBERNETES', `${what}: namespace "${status.details.name ?? at.namespace}" not found${ctx}`, {
      cause: err,
      detail,
      hint: 'create it (`kubectl create namespace …`) or pass -n/--namespace',
    })
  if (code === 404)
    return new FabError(
      'KUBERNETES',
      `${what}: not found (404)${ctx}: ${serverMsg ?? 'the API server has no such resource'}`,
      {cause: err, detail},
    )
  if (code === 409)
    return new FabError(
      'KUBERNETES',
      `${what}: conflict (409): ${serverMsg ?? 'the object was changed by someone else'}`,
      {
        cause: err,
        detail,
        hint: 'another field manager owns these fields; retry, or remove the other owner',
      },
    )
  if (code === 422 || code === 400)
    return new FabError(
      'KUBERNETES',
      `${what}: rejected by the API server (${code}): ${serverMsg ?? 'invalid object'}`,
      {cause: err, detail},
    )
  return new FabError('KUBERNETES', `${what}: the API server answered ${code}${serverMsg ? `: ${serverMsg}` : ''}`, {
    cause: err,
    detail,
  })
}

function serverFromMessage(err: unknown): string | undefined {
  const m = /request to (https?:\/\/[^/\s]+)/.exec(err instanceof Error ? err.message : String(err))
  return m?.[1]
}

/** Run a client-node call and map its failure with kubeError. */
export async function kube<T>(what: string, at: KubeTarget, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (error) {
    throw kubeError(error, what, at)
  }
}

/** Whether an error is an API 404 (the object does not exist). */
export function isNotFound(err: unknown): boolean {
  return httpCode(err) === 404
}
