/**
 * Registry mode: the image goes to a registry (fabk8s.yaml image.registry or --registry) and the pods run it by
 * digest (repository@sha256:…), which names exactly what was built. Pushing is the user's `docker push`, so
 * Docker's own credentials (`docker login`, credential helpers) apply; fabk8s stores none. To keep a no-op `up`
 * free of writes, the push is skipped when the local image already records a digest in that repository
 * (RepoDigests) and the registry answers a HEAD of that manifest; that check reads Docker's credentials the way
 * the docker CLI does (config.json auths, credsStore, credHelpers) only when the registry asks for them.
 */
// fetch and Response work without a warning on Node 20 (the rule flags them until 21)
/* eslint-disable n/no-unsupported-features/node-builtins */
import {spawn} from 'node:child_process'
import {readFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

import type {ProjectConfig} from '../project/schema.js'
import type {Task, TaskList} from '../tasks.js'

import {FabError} from '../errors.js'
import {stripAnsi} from '../ui/text.js'
import {docker, dockerError, type ImageInfo} from './docker.js'
import {parseRef} from './ref.js'

/** What the pod spec says about its image: reference, pull policy, pull secrets. */
export interface PodImage {
  image: string
  imagePullPolicy: 'Always' | 'IfNotPresent'
  imagePullSecrets?: {name: string}[]
}

/**
 * The pod's image fields for an image reference: IfNotPresent (a digest or an immutable tag never changes what
 * it names) and the imagePullSecrets of fabk8s.yaml image.pullSecrets.
 */
export function podImage(project: Pick<ProjectConfig, 'imagePull'>, image: string): PodImage {
  const secrets = project.imagePull?.pullSecrets ?? []
  return {
    image,
    imagePullPolicy: 'IfNotPresent',
    ...(secrets.length > 0 ? {imagePullSecrets: secrets.map((name) => ({name}))} : {}),
  }
}

/** Where the image came from, read from the reference a pod runs. */
export function imageSource(image: string | undefined): 'loaded' | 'registry' | undefined {
  if (!image) return undefined
  return parseRef(image).digest ? 'registry' : 'loaded'
}

/** One line for `fabk8s status`: where the running image came from. */
export function describeImageSource(image: string): string {
  if (imageSource(image) === 'registry')
    return `pulled from ${parseRef(image).domain ?? 'Docker Hub'} by digest (registry mode)`
  return 'a tag loaded into the nodes (or in the image store the node shares with Docker)'
}

/** `kv:1.0-0123456789ab` + `ghcr.io/acme` → `ghcr.io/acme/kv:1.0-0123456789ab` (the local domain, if any, is replaced). */
export function remoteRef(localImage: string, registry: string): string {
  const r = parseRef(localImage)
  return `${registry.replace(/\/+$/, '')}/${r.path}${r.tag ? `:${r.tag}` : ''}`
}

/** The repository of a reference, without tag or digest: `localhost:5000/kv:1` → `localhost:5000/kv`. */
export function repositoryOf(ref: string): string {
  const r = parseRef(ref)
  return r.domain ? `${r.domain}/${r.path}` : r.path
}

/** The repo@sha256:… the local image has in the repository of `ref` (from RepoDigests), if any. */
export function knownDigest(info: Pick<ImageInfo, 'repoDigests'>, ref: string): string | undefined {
  const want = repositoryOf(ref)
  return info.repoDigests.find((d) => repositoryOf(d) === want)
}

/** The registry host (with port) and the repository path in it. */
function hostAndPath(ref: string): {host: string; path: string} {
  const r = parseRef(ref)
  if (!r.domain) return {host: 'registry-1.docker.io', path: r.path.includes('/') ? r.path : `library/${r.path}`}
  return {host: r.domain, path: r.path}
}

const isLoopback = (host: string) => /^(localhost|127(?:\.\d+){3}|\[::1\])(?::\d+)?$/.test(host)

export interface Credentials {
  password: string
  username: string
}

/** Docker's config folder (DOCKER_CONFIG or ~/.docker). */
function dockerConfigDir(): string {
  return process.env.DOCKER_CONFIG || path.join(os.homedir(), '.docker')
}

/** Run a docker credential helper's `get` for a host; undefined when it has nothing. */
function credentialHelper(helper: string, host: string): Promise<Credentials | undefined> {
  return new Promise((settle) => {
    const resolve = (c?: Credentials) => settle(c)
    const child = spawn(`docker-credential-${helper}`, ['get'], {stdio: ['pipe', 'pipe', 'ignore']})
    let out = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d
    })
    child.on('error', () => resolve())
    child.on('close', (code) => {
      if (code !== 0) return resolve()
      try {
        const j = JSON.parse(out) as {Secret?: string; Username?: string}
        resolve(j.Secret ? {password: j.Secret, username: j.Username ?? ''} : undefined)
      } catch {
        resolve()
      }
    })
    child.stdin.on('error', () => {})
    child.stdin.end(host)
  })
}

/** The credentials `docker login <host>` stored, read the way the docker CLI reads them. */
export async function dockerCredentials(host: string): Promise<Credentials | undefined> {
  let config: {
    auths?: Record<string, {auth?: string; identitytoken?: string}>
    credHelpers?: Record<string, string>
    credsStore?: string
  }
  try {
    config = JSON.parse(await readFile(path.join(dockerConfigDir(), 'config.json'), 'utf8'))
  } catch {
    return undefined
  }

  const key = host === 'registry-1.docker.io' ? 'https://index.docker.io/v1/' : host
  const helper = config.credHelpers?.[key] ?? config.credsStore
  if (helper) {
    const c = await credentialHelper(helper, key)
    if (c) return c
  }

  const entry =
    config.auths?.[key] ?? config.auths?.[`https://${key}`] ?? config.auths?.[`http://${key}`] ?? undefined
  if (entry?.auth) {
    const plain = Buffer.from(entry.auth, 'base64').toString('utf8')
    const colon = plain.indexOf(':')
    if (colon > 0) return {password: plain.slice(colon + 1), username: plain.slice(0, colon)}
  }

  return undefined
}

/** `Bearer realm="…",service="…"` → {scheme, params}. */
export function parseChallenge(header: string): {params: Record<string, string>; scheme: string} {
  const m = /^(\w+)\s*(.*)$/s.exec(header.trim())
  const params: Record<string, string> = {}
  if (!m) return {params, scheme: ''}
  for (const p of m[2].matchAll(/(\w+)="([^"]*)"/g)) params[p[1].toLowerCase()] = p[2]
  return {params, scheme: m[1].toLowerCase()}
}

export type ManifestCheck = {exists: boolean} | {reason: string}

const MANIFEST_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ')

/**
 * Does the registry hold this manifest (repo@sha256:…)? A read-only HEAD (https, or http for a loopback
 * registry, as Docker treats those as insecure); a token or basic auth from Docker's credentials when the
 * registry asks. {reason} when it cannot tell (unreachable, login needed).
 */
export async function manifestExists(
  digestRef: string,
  opts: {signal?: AbortSignal; timeoutMs?: number} = {},
): Promise<ManifestCheck> {
  const {digest} = parseRef(digestRef)
  if (!digest) return {reason: `${digestRef} has no digest`}
  const {host, path: repo} = hostAndPath(digestRef)
  const signal = () =>
    AbortSignal.any([AbortSignal.timeout(opts.timeoutMs ?? 15_000), ...(opts.signal ? [opts.signal] : [])])
  const head = async (base: string, auth?: string) =>
    fetch(`${base}/v2/${repo}/manifests/${digest}`, {
      headers: {accept: MANIFEST_TYPES, ...(auth ? {authorization: auth} : {})},
      method: 'HEAD',
      signal: signal(),
    })

  let base = `https://${host}`
  let res: Response
  try {
    res = await head(base)
  } catch (error) {
    if (!isLoopback(host)) return {reason: `registry ${host} unreachable: ${causeOf(error)}`}
    base = `http://${host}`
    try {
      res = await head(base)
    } catch (error_) {
      return {reason: `registry ${host} unreachable: ${causeOf(error_)}`}
    }
  }

  if (res.status === 401) {
    const challenge = parseChallenge(res.headers.get('www-authenticate') ?? '')
    const creds = await dockerCredentials(host)
    const basic = creds ? `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}` : undefined
    let auth: string | undefined
    if (challenge.scheme === 'basic') auth = basic
    else if (challenge.scheme === 'bearer' && challenge.params.realm) {
      const u = new URL(challenge.params.realm)
      if (challenge.params.service) u.searchParams.set('service', challenge.params.service)
      u.searchParams.set('scope', `repository:${repo}:pull`)
      try {
        const t = await fetch(u, {headers: basic ? {authorization: basic} : {}, signal: signal()})
        if (t.ok) {
          const j = (await t.json()) as {access_token?: string; token?: string}
          const token = j.token ?? j.access_token
          if (token) auth = `Bearer ${token}`
        }
      } catch (error) {
        return {reason: `registry ${host}: token service unreachable: ${causeOf(error)}`}
      }
    }

    if (!auth) return {reason: `registry ${host} needs a login (docker login ${host})`}
    try {
      res = await head(base, auth)
    } catch (error) {
      return {reason: `registry ${host} unreachable: ${causeOf(error)}`}
    }
  }

  if (res.status === 200) return {exists: true}
  if (res.status === 404) return {exists: false}
  if (res.status === 401 || res.status === 403)
    return {reason: `registry ${host} refused to show ${repo} (HTTP ${res.status}; docker login ${host})`}
  return {reason: `registry ${host} answered HTTP ${res.status} for ${repo}`}
}

function causeOf(error: unknown): string {
  const e = error as {cause?: {code?: string; message?: string}; message?: string; name?: string}
  if (e.name === 'TimeoutError') return 'no answer in time'
  return e.cause?.code ?? e.cause?.message ?? e.message ?? String(error)
}

/** docker push's error, as one line with the registry exit code and what to do. */
export function pushError(
  ref: string,
  stderr: string,
  code: number,
  where = 'the registry address (image.registry / --registry)',
): FabError {
  const {host} = hostAndPath(ref)
  const why = dockerError({code, stderr, stdout: ''})
  const detail = {exitCode: code, ref, stderr: stderr.trim()}
  if (/unauthorized|authentication required|no basic auth credentials|requested access to the resource is denied/i.test(stderr))
    return new FabError('REGISTRY', `push ${ref}: the registry needs a login or refused access: ${why}`, {
      detail,
      hint: `run \`docker login ${host}\` with an account that may push to ${repositoryOf(ref)}`,
    })
  if (/HTTP response to HTTPS client/i.test(stderr))
    return new FabError('REGISTRY', `push ${ref}: ${host} speaks plain HTTP: ${why}`, {
      detail,
      hint: `add "${host}" to insecure-registries in the Docker engine's daemon.json (or serve it over TLS)`,
    })
  if (/connection refused|no such host|i\/o timeout|dial tcp|no route to host|TLS handshake|network is unreachable/i.test(stderr))
    return new FabError('REGISTRY', `push ${ref}: registry ${host} unreachable: ${why}`, {
      detail,
      hint: `check ${where} and that ${host} answers from this machine`,
    })
  return new FabError('REGISTRY', `push ${ref} refused: ${why}`, {
    detail,
    hint: parseRef(ref).domain
      ? `check that you may push to ${repositoryOf(ref)} (\`docker login ${host}\`)`
      : 'the tag names Docker Hub; use --tag REGISTRY/REPO:TAG for your registry (and `docker login`)',
  })
}

/** `docker push REF` as one task (Docker's credentials apply); `after` runs once it is pushed. */
export function pushTask(
  ref: string,
  opts: {
    after?: () => Promise<void>
    enabled?: () => boolean
    verbose?: boolean
    /** Where the registry in `ref` comes from, for the hint when it is unreachable. */
    where?: string
  } = {},
): Task {
  return {
    enabled: opts.enabled,
    async run(t) {
      const r = await docker(['push', ref], {
        onLine(raw) {
          const line = stripAnsi(raw)
          if (opts.verbose || /digest: sha256:/.test(line)) t.output(line)
        },
        signal: t.signal,
      })
      if (r.code !== 0) throw pushError(ref, r.stderr, r.code, opts.where)
      await opts.after?.()
      t.title = `Pushed ${ref}`
    },
    title: `Pushing ${ref}`,
  }
}

/** Give a local image another tag, only when that tag does not already name it (a no-op up makes no writes). */
export async function ensureTag(id: string, ref: string): Promise<void> {
  const {inspectImage} = await import('./docker.js')
  if ((await inspectImage(ref))?.id === id) return
  const r = await docker(['tag', id, ref])
  if (r.code !== 0) throw new FabError('DOCKER', `docker tag ${id} ${ref}: ${dockerError(r)}`)
}

export interface PushResult {
  /** repo@sha256:… the pods run. */
  digest: string
  ref: string
}

/**
 * Push a built image (by ID) to `ref` (registry/repo:tag) as a task list: tag it locally (only when missing), push,
 * and read the digest the registry gave it back from the image's RepoDigests.
 */
export function pushTasks(id: string, ref: string, opts: {verbose?: boolean} = {}): TaskList<PushResult> {
  let digest: string | undefined
  let pushed = false
  return {
    interrupted: () => (pushed ? `pushed ${ref}` : `${ref} not pushed (a push resumes where it stopped)`),
    result: () => ({digest: digest!, ref}),
    tasks: [
      {
        async run() {
          await ensureTag(id, ref)
        },
        title: `Tag ${id.slice(0, 19)} as ${ref}`,
      },
      pushTask(ref, {
        async after() {
          pushed = true
          const {inspectImage} = await import('./docker.js')
          const info = await inspectImage(ref)
          digest = info && knownDigest(info, ref)
          if (!digest)
            throw new FabError('REGISTRY', `pushed ${ref}, but docker recorded no digest for ${repositoryOf(ref)}`, {
              hint: 'run `docker image inspect` on it; with the containerd image store, push again',
            })
        },
        verbose: opts.verbose,
      }),
    ],
  }
}

/**
 * `deploy --registry`: the digest in `registry` of the local image `image` (what `up --registry` or `build --push`
 * pushed), checked read-only against the registry. A reference that already carries a digest is used as it is.
 */
export async function pushedDigest(image: string, registry: string, opts: {signal?: AbortSignal} = {}): Promise<string> {
  if (parseRef(image).digest) return image
  const {inspectImage} = await import('./docker.js')
  const ref = remoteRef(image, registry)
  const hint = `push it first: \`fabk8s up --registry ${registry}\` or \`fabk8s build --tag ${ref} --push\``
  const info = await inspectImage(image)
  if (!info)
    throw new FabError('DOCKER', `image ${image} not found in the local Docker engine, so its digest in ${registry} is unknown`, {hint})
  const known = knownDigest(info, ref)
  if (!known) throw new FabError('REGISTRY', `${image} was never pushed to ${repositoryOf(ref)}`, {hint})
  const has = await manifestExists(known, opts)
  if ('exists' in has && !has.exists)
    throw new FabError('REGISTRY', `${registry} no longer has ${known}`, {hint})
  return known
}
