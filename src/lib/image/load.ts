/**
 * `fabk8s load`: the image from the local Docker engine into the containerd (namespace k8s.io) of every node of
 * a kind cluster, the way `kind load docker-image` does, without kind and without a temp file:
 * `docker save IMAGE | docker exec -i NODE ctr -n k8s.io images import --all-platforms --digests -`, one
 * `docker save` fanned out to every node that needs the image, nodes in parallel.
 *
 * Same image on a node? Docker's image ID is the digest of the image config (or, with Docker's containerd image
 * store, of the manifest/index). The node's containerd lists the image by the digest of its manifest, which
 * `ctr import` writes itself, so we read that manifest (`ctr content get`) and compare Docker's ID with the
 * target digest, the manifests of an index, and their config digests. That is what kind compares too
 * (`crictl inspecti` .status.id = config digest), without needing crictl. What a digest leads to never changes, so
 * it is read once and cached (image-digests.json in the user's cache folder): a check that finds the image already
 * there costs one `ctr images ls name==REF` per node.
 *
 * After an import, the node loses the older build tags of the image that Docker no longer keeps, unless a container
 * on it uses them (pruneNode), so an edit loop does not fill the node's disk; a load that imports nothing asks the
 * node nothing more.
 */
import {mkdir, readFile, rename, writeFile} from 'node:fs/promises'
import {homedir} from 'node:os'
import path from 'node:path'

import type {DetectedCluster} from '../kube/cluster.js'
import type {TaskList} from '../tasks.js'

import {secondsSince} from '../duration.js'
import {FabError} from '../errors.js'
import {docker, dockerError, engineAnswers, engineNotAnswering, inspectImage, spawnDocker} from './docker.js'
import {clusterNodes, FLAVORS, type KindNode, type NodeFlavor} from './kind.js'
import {isLatest, normalizeRef} from './ref.js'
import {buildTagBase, dockerBuildTags, isBuildTag} from './tags.js'

export interface LoadOptions {
  cluster: string
  /** How the cluster was chosen (the result's cluster.why), e.g. --cluster; default: "named to load into". */
  clusterWhy?: string
  /** Which tool's node containers (default kind). */
  flavor?: NodeFlavor
  /** Import even where the node already has the image. */
  force?: boolean
  image: string
  /** Only these node containers (default: every node of the cluster). */
  nodes?: string[]
}

export interface NodeLoad {
  action: 'loaded' | 'skipped'
  name: string
  /** Older build tags of the image removed from the node after the import (none when it was skipped). */
  pruned: string[]
  /** Why older build tags could not be removed from the node (only when some could not). */
  pruneErrors?: string[]
  seconds: number
}

export interface LoadResult {
  /** The cluster loaded into, in the shape `up --json` gives its `cluster` (kube/cluster.ts DetectedCluster). */
  cluster: DetectedCluster
  id: string
  image: string
  nodes: NodeLoad[]
  seconds: number
}

export interface NodeImage {
  /** Target digest, index children, configs: every digest that names this image on the node. */
  digests: string[]
  /** The name containerd stores, e.g. docker.io/library/kv:1.0. */
  ref: string
}

interface CtrRow {
  digest: string
  mediaType: string
  ref: string
}

/** Parse `ctr images ls` (REF TYPE DIGEST SIZE PLATFORMS LABELS). */
export function parseCtrImages(text: string): CtrRow[] {
  const rows: CtrRow[] = []
  for (const line of text.split('\n').slice(1)) {
    const [ref, mediaType, digest] = line.trim().split(/\s+/)
    if (ref && digest?.startsWith('sha256:')) rows.push({digest, mediaType, ref})
  }

  return rows
}

/**
 * The image each container uses, from `ctr containers ls` (CONTAINER IMAGE RUNTIME; stopped containers too), read
 * by the header's columns: a container without an image leaves its cell empty.
 */
export function parseCtrContainers(text: string): string[] {
  const [header, ...lines] = text.split('\n')
  const from = header?.indexOf('IMAGE') ?? -1
  const to = header?.indexOf('RUNTIME') ?? -1
  if (from < 0 || to <= from) return []
  return [...new Set(lines.map((l) => l.slice(from, to).trim()).filter(Boolean))]
}

/** A ref with no name of its own: a digest ref (`import-2026-12-07@sha256:…`) or an image ID (`sha256:…`). */
function unnamed(ref: string): boolean {
  return ref.includes('@') || /^sha256:[0-9a-f]{64}$/.test(ref)
}

export interface PruneChoice {
  /** The image and digest refs import and CRI made for the same images (`import-…@sha256:…`, `sha256:<ID>`). */
  aliases: string[]
  /** The build tags to remove. */
  tags: string[]
}

/**
 * What to remove from a node's containerd after `loaded`, a build of `base`, was imported: the build tags of `base`
 * (isBuildTag) except the one loaded, those Docker keeps (`keep`) and those of an image a container uses (`inUse`,
 * by name or by the same target digest); with each, the refs without a name of its own that point at the same image
 * and that no ref kept points at, else the image's content would stay. Nothing else.
 */
export function choosePrune(o: {
  base: string
  images: {digest: string; ref: string}[]
  inUse: string[]
  keep: string[]
  loaded: string
}): PruneChoice {
  const keep = new Set([o.loaded, ...o.keep].map((r) => normalizeRef(r)))
  const inUse = new Set(o.inUse)
  const usedDigests = new Set(o.images.filter((i) => inUse.has(i.ref)).map((i) => i.digest))
  const tags = o.images.filter(
    (i) => isBuildTag(o.base, i.ref) && !keep.has(i.ref) && !inUse.has(i.ref) && !usedDigests.has(i.digest),
  )
  const gone = new Set(tags.map((i) => i.ref))
  const keptDigests = new Set(o.images.filter((i) => !gone.has(i.ref) && !unnamed(i.ref)).map((i) => i.digest))
  const goneDigests = new Set(tags.map((i) => i.digest))
  const aliases = o.images.filter(
    (i) =>
      unnamed(i.ref) &&
      goneDigests.has(i.digest) &&
      !keptDigests.has(i.digest) &&
      !usedDigests.has(i.digest) &&
      !inUse.has(i.ref),
  )
  return {aliases: aliases.map((i) => i.ref), tags: [...gone]}
}

/** The CRI snapshotter from `containerd config dump` (containerd 1.x and 2.x layouts), or undefined. */
export function criSnapshotter(configDump: string): string | undefined {
  let section = ''
  for (const raw of configDump.split('\n')) {
    const line = raw.trim()
    const header = /^\[(.*)\]$/.exec(line)
    if (header) {
      section = header[1]
      continue
    }

    const m = /^snapshotter\s*=\s*["']([^"']*)["']/.exec(line)
    if (m && m[1] && /cri/.test(section) && /(\.containerd|images)$/.test(section.replaceAll(/["']/g, ''))) return m[1]
  }

  return undefined
}

/** `docker exec NODE ARGS…`: through the Engine API when it is at hand (a few ms instead of a CLI process). */
async function nodeExec(node: string, args: string[]): Promise<{code: number; stderr: string; stdout: string}> {
  const {engineExec, engineSocket, EngineTimeout} = await import('./engine.js')
  const socket = engineSocket()
  if (socket) {
    try {
      return await engineExec(socket, node, args)
    } catch (error) {
      // the CLI would wait on the same socket
      if (error instanceof EngineTimeout) throw await engineNotAnswering(error.ms)
    }
  }

  return docker(['exec', node, ...args])
}

async function ctrContent(node: string, digest: string, ctr: string[]): Promise<Record<string, unknown> | undefined> {
  const r = await nodeExec(node, [...ctr, '-n', 'k8s.io', 'content', 'get', digest])
  if (r.code !== 0) return undefined
  try {
    return JSON.parse(r.stdout) as Record<string, unknown>
  } catch {
    return undefined
  }
}

/** What the node's containerd holds under the image's name, or undefined. */
export async function nodeImage(
  node: string,
  image: string,
  flavor: NodeFlavor = FLAVORS.kind,
): Promise<NodeImage | undefined> {
  const ref = normalizeRef(image)
  const {ctr} = flavor
  // only this name (a containerd filter, the value quoted): listing every image costs the node a read of each one's
  // manifests for its size and platforms, ≈ 0.3 s with 70 images, where one name takes ≈ 0.1 s as the exec alone
  const r = await nodeExec(node, [...ctr, '-n', 'k8s.io', 'images', 'ls', `name==${JSON.stringify(ref)}`])
  if (r.code !== 0)
    throw new FabError('CLUSTER', `node ${node}: ctr images ls failed: ${dockerError(r)}`, {
      hint: `is this a ${flavor.tool} node (containerd and ctr inside)? \`docker exec NODE ${ctr.join(' ')} version\` should answer`,
    })
  const row = parseCtrImages(r.stdout).find((x) => x.ref === ref)
  if (!row) return undefined
  // what a digest names never changes: what an earlier run read for this one holds on every node and every run
  const known = await knownDigests(row.digest)
  if (known) return {digests: [row.digest, ...known], ref}
  const digests = new Set([row.digest])
  const top = await ctrContent(node, row.digest, ctr)
  const manifests = Array.isArray(top?.manifests) ? (top.manifests as {digest?: string}[]) : []
  const docs = top ? [top] : []
  for (const m of manifests.slice(0, 16)) {
    if (!m.digest) continue
    digests.add(m.digest)
    const doc = await ctrContent(node, m.digest, ctr)
    if (doc) docs.push(doc)
  }

  for (const d of docs) {
    const cfg = (d.config as undefined | {digest?: string})?.digest
    if (cfg) digests.add(cfg)
  }

  const complete = top !== undefined && docs.length === 1 + manifests.filter((m) => m.digest).length
  if (complete) await rememberDigests(row.digest, [...digests].slice(1))
  return {digests: [...digests], ref}
}

/**
 * The digests a manifest or index digest leads to (its children and configs), as read from a node before:
 * content-addressed, so a cache of them is never stale. Kept in the user's cache folder, newest 500.
 */
function digestCacheFile(): string {
  const base = process.env.XDG_CACHE_HOME || path.join(homedir(), '.cache')
  return path.join(base, 'fabk8s', 'image-digests.json')
}

let digestCache: undefined | {data: Promise<Record<string, string[]>>; file: string}

/** Read once per process and cache file (a changed XDG_CACHE_HOME, as in tests, reads that file). */
function readDigestCache(): Promise<Record<string, string[]>> {
  const file = digestCacheFile()
  if (digestCache?.file !== file)
    digestCache = {
      data: readFile(file, 'utf8')
        .then((t) => JSON.parse(t) as Record<string, string[]>)
        .catch(() => ({})),
      file,
    }
  return digestCache.data
}

async function knownDigests(digest: string): Promise<string[] | undefined> {
  const all = await readDigestCache()
  const hit = all[digest]
  return Array.isArray(hit) && hit.every((d) => typeof d === 'string' && /^sha256:[0-9a-f]{64}$/.test(d))
    ? hit
    : undefined
}

async function rememberDigests(digest: string, leadsTo: string[]): Promise<void> {
  try {
    const all = await readDigestCache()
    if (JSON.stringify(all[digest]) === JSON.stringify(leadsTo)) return
    delete all[digest]
    all[digest] = leadsTo
    const keys = Object.keys(all)
    for (const k of keys.slice(0, Math.max(0, keys.length - 500))) delete all[k]
    const file = digestCacheFile()
    await mkdir(path.dirname(file), {recursive: true})
    const tmp = `${file}.${process.pid}.tmp`
    await writeFile(tmp, JSON.stringify(all))
    await rename(tmp, file)
  } catch {
    // a cache that cannot be written only costs the next run a few more reads
  }
}

export function sameImage(dockerId: string, onNode?: NodeImage): boolean {
  return Boolean(onNode?.digests.includes(dockerId))
}

async function snapshotterOf(node: string): Promise<string | undefined> {
  const r = await nodeExec(node, ['containerd', 'config', 'dump'])
  return r.code === 0 ? criSnapshotter(r.stdout) : undefined
}

interface ImportOutcome {
  error?: string
}

function importArgv(node: string, snapshotter: string | undefined, allPlatforms: boolean, ctr: string[]): string[] {
  const argv = ['exec', '-i', node, ...ctr, '-n', 'k8s.io', 'images', 'import', '--digests']
  if (allPlatforms) argv.push('--all-platforms')
  if (snapshotter) argv.push(`--snapshotter=${snapshotter}`)
  argv.push('-')
  return argv
}

/**
 * One `docker save` streamed into `ctr import` on every target node at once (stream backpressure is shared:
 * the slowest node sets the pace). Resolves per node; never rejects.
 */
export function fanOutImport(
  image: string,
  targets: {allPlatforms: boolean; name: string; snapshotter?: string}[],
  ctr: string[] = FLAVORS.kind.ctr,
): Map<string, Promise<ImportOutcome>> {
  const save = spawnDocker(['save', image])
  let saveErr = ''
  save.stderr!.setEncoding('utf8').on('data', (d: string) => {
    saveErr += d
  })
  const saveDone = new Promise<number>((resolve) => {
    save.on('error', () => resolve(-1))
    save.on('close', (code) => resolve(code ?? -1))
  })
  const out = new Map<string, Promise<ImportOutcome>>()
  for (const t of targets) {
    const child = spawnDocker(importArgv(t.name, t.snapshotter, t.allPlatforms, ctr))
    let stderr = ''
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      stderr += d
    })
    child.stdout!.resume()
    child.stdin!.on('error', () => {}) // the node's ctr died: its exit code and stderr say why
    save.stdout!.pipe(child.stdin!)
    const done = new Promise<number>((resolve) => {
      child.on('error', () => resolve(-1))
      child.on('close', (code) => resolve(code ?? -1))
    })
    out.set(
      t.name,
      Promise.all([saveDone, done]).then(([saveCode, code]) => {
        if (saveCode !== 0)
          return {error: `docker save ${image} failed: ${dockerError({code: saveCode, stderr: saveErr, stdout: ''})}`}
        if (code !== 0) return {error: `ctr import failed (exit ${code}): ${stderr.trim().split('\n').pop() ?? ''}`}
        return {}
      }),
    )
  }

  if (targets.length === 0) save.kill()
  return out
}

/**
 * After an import: remove from the node the older build tags of `base` that choosePrune picks (one `ctr images rm`
 * for all of them). Best effort: never throws; what could not be listed or removed comes back in `errors`.
 */
export async function pruneNode(
  node: string,
  o: {base: string; keep: string[]; loaded: string},
  ctr: string[] = FLAVORS.kind.ctr,
): Promise<{errors: string[]; pruned: string[]}> {
  try {
    const [images, containers] = await Promise.all([
      nodeExec(node, [...ctr, '-n', 'k8s.io', 'images', 'ls']),
      nodeExec(node, [...ctr, '-n', 'k8s.io', 'containers', 'ls']),
    ])
    const failed = images.code === 0 ? (containers.code === 0 ? undefined : containers) : images
    if (failed) return {errors: [`could not list its images and containers: ${dockerError(failed)}`], pruned: []}
    const {aliases, tags} = choosePrune({
      ...o,
      images: parseCtrImages(images.stdout),
      inUse: parseCtrContainers(containers.stdout),
    })
    if (tags.length === 0) return {errors: [], pruned: []}
    const rm = await nodeExec(node, [...ctr, '-n', 'k8s.io', 'images', 'rm', ...tags, ...aliases])
    // ctr prints each ref it removed; one it cannot remove is a line on stderr (an exit code only for some errors)
    const removed = new Set(rm.stdout.split('\n').map((l) => l.trim()))
    const already = rm.stderr.split('\n').filter((l) => /not found/i.test(l))
    const left = [...tags, ...aliases].filter((r) => !removed.has(r) && !already.some((l) => l.includes(`${r}:`)))
    const why = rm.stderr.trim().split('\n').pop() || `exit ${rm.code}`
    return {
      errors: left.length > 0 ? [`could not remove ${left.join(', ')}: ${why}`] : [],
      pruned: tags.filter((r) => removed.has(r)),
    }
  } catch (error) {
    return {errors: [(error as Error).message.split('\n')[0]], pruned: []}
  }
}

export interface LoadHooks {
  warn?: (line: string) => void
}

/**
 * The load as a task list: check every node (has it the image already?), then stream the image into those that
 * need it, in parallel, and verify. The engine, the image and the nodes are checked before (errors before any
 * progress shows). A node that fails does not stop the others; the load then fails naming every failed node.
 */
export async function loadTasks(opts: LoadOptions, hooks: LoadHooks = {}): Promise<TaskList<LoadResult>> {
  const started = process.hrtime.bigint()
  await engineAnswers()
  const info = await inspectImage(opts.image)
  if (!info)
    throw new FabError('DOCKER', `image ${opts.image} not found in the local Docker engine`, {
      hint: 'build it first: `fabk8s build` (or pass --image with an image `docker images` lists)',
    })
  if (isLatest(opts.image))
    hooks.warn?.(
      `warning: ${opts.image} is a :latest tag; kubelet pulls it with imagePullPolicy Always, which fails for a loaded-only image. Use an immutable tag (fabk8s build tags name:version).`,
    )
  const flavor = opts.flavor ?? FLAVORS.kind
  const nodes = await clusterNodes(opts.cluster, opts.nodes, flavor)

  interface NodeState {
    error?: FabError
    node: KindNode
    present: boolean
    pruned: string[]
    pruneErrors: string[]
    seconds: number
    snapshotter?: string
    t0: bigint
  }
  const state = new Map<string, NodeState>(
    nodes.map((n) => [
      n.name,
      {node: n, present: false, pruned: [], pruneErrors: [], seconds: 0, t0: process.hrtime.bigint()},
    ]),
  )

  return {
    interrupted() {
      const loaded = [...state.values()].filter((s) => !s.present && s.seconds > 0).map((s) => s.node.name)
      return loaded.length > 0
        ? `${opts.image} is on ${loaded.join(', ')}; the other nodes may not have it`
        : `the nodes may not have ${opts.image} yet`
    },
    result: () => ({
      cluster: {cluster: opts.cluster, images: 'load', kind: flavor.tool, why: opts.clusterWhy ?? 'named to load into'},
      id: info.id,
      image: opts.image,
      nodes: nodes.map((n) => {
        const s = state.get(n.name)!
        return {
          action: s.present ? 'skipped' : 'loaded',
          name: n.name,
          ...(s.pruneErrors.length > 0 ? {pruneErrors: s.pruneErrors} : {}),
          pruned: s.pruned,
          seconds: s.seconds,
        }
      }),
      seconds: secondsSince(started),
    }),
    tasks: [
      {
        async run(t) {
          await t.run({
            concurrent: true,
            result() {},
            tasks: nodes.map((n) => ({
              async run(sub) {
                const s = state.get(n.name)!
                const [have, snap] = await Promise.all([nodeImage(n.name, opts.image, flavor), snapshotterOf(n.name)])
                s.snapshotter = snap
                s.present = !opts.force && sameImage(info.id, have)
                sub.title = `${n.name}: ${s.present ? 'has it already, skipping' : have ? 'has an older image under this name' : 'needs the image'}`
              },
              title: n.name,
            })),
          })
        },
        title: `Checking ${nodes.length} node${nodes.length === 1 ? '' : 's'} of ${flavor.tool} cluster "${opts.cluster}"`,
      },
      {
        enabled: () => [...state.values()].some((s) => !s.present),
        async run(t) {
          const targets = [...state.values()].filter((s) => !s.present)
          for (const s of targets) s.t0 = process.hrtime.bigint()
          // after each import, the node keeps the build tags of this image that Docker keeps (read once, meanwhile)
          const base = buildTagBase(opts.image, info.id) ?? opts.image
          const keep = dockerBuildTags(base).catch(() => {})
          const imports = fanOutImport(
            opts.image,
            targets.map((s) => ({allPlatforms: true, name: s.node.name, snapshotter: s.snapshotter})),
            flavor.ctr,
          )
          await t.run({
            concurrent: true,
            exitOnError: false,
            result() {},
            tasks: targets.map((s) => ({
              async run(sub) {
                let r = await imports.get(s.node.name)!
                // A `docker save` from Docker's containerd store may lack blobs of other platforms; then import
                // only the node's own platform (kind does the same).
                if (r.error && /content digest \S+ not found/i.test(r.error))
                  r = await fanOutImport(
                    opts.image,
                    [{allPlatforms: false, name: s.node.name, snapshotter: s.snapshotter}],
                    flavor.ctr,
                  ).get(s.node.name)!
                if (r.error) throw (s.error = new FabError('CLUSTER', `node ${s.node.name}: ${r.error}`))
                const after = await nodeImage(s.node.name, opts.image, flavor)
                if (!sameImage(info.id, after))
                  throw (s.error = new FabError(
                    'CLUSTER',
                    `node ${s.node.name}: ${opts.image} is not there after the import (want ${info.id})`,
                    {
                      detail: {found: after?.digests ?? []},
                    },
                  ))
                s.seconds = secondsSince(s.t0)
                const kept = await keep
                const p = kept
                  ? await pruneNode(s.node.name, {base, keep: kept, loaded: opts.image}, flavor.ctr)
                  : {errors: [`Docker did not list its build tags of ${base}`], pruned: []}
                s.pruned = p.pruned
                s.pruneErrors = p.errors.map((e) => `older build tags left on ${s.node.name}: ${e}`)
                const removed = p.pruned.length > 0 ? `; removed ${p.pruned.length} older build tag(s)` : ''
                sub.title = `${s.node.name}: loaded and verified (${s.seconds.toFixed(1)}s)${removed}`
              },
              title: `${s.node.name}: importing into containerd (k8s.io) and verifying`,
            })),
          })
          const failed = targets.filter((s) => s.error)
          if (failed.length === 1) throw failed[0].error
          if (failed.length > 1)
            throw new FabError(
              'CLUSTER',
              `loading ${opts.image} failed on ${failed.length} nodes: ${failed.map((s) => s.error!.message).join('; ')}`,
            )
        },
        title: `Loading ${opts.image} (${info.id.slice(0, 19)})`,
      },
    ],
  }
}
