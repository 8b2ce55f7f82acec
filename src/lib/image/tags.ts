/**
 * What names one build of the project's image, for `build`, `load`, `deploy` and `up` alike:
 * - the immutable tag `<fabk8s.yaml image>-<12 hex of the image ID>`, which the pods run. A new build has a new tag,
 *   so the Deployment rolls out, and kubelet's IfNotPresent runs exactly the image that was loaded under it;
 * - the label that records the hash of the build's inputs, so that `up` keeps an image built from the same inputs,
 *   whichever of `build` and `up` built it.
 */
import type {ProjectConfig} from '../project/schema.js'

import {FabError} from '../errors.js'
import {normalizeRef} from './ref.js'

export const BUILD_HASH_LABEL = 'fabk8s.io/build-hash'

/** `kv:1.0` + `sha256:0123…` → `kv:1.0-0123456789ab`: a tag that names this build only (kubelet's IfNotPresent is then right). */
export function immutableTag(image: string, id: string): string {
  const hex = id.replace(/^sha256:/, '').slice(0, 12)
  const at = image.lastIndexOf(':')
  const hasTag = at > image.lastIndexOf('/')
  return hasTag ? `${image}-${hex}` : `${image}:${hex}`
}

/**
 * True when `ref` is a build tag of `image` exactly as immutableTag makes them: `<image>-<12 lowercase hex>`, or
 * `<repository>:<12 hex>` for an image without a tag. Compared as containerd names images (normalizeRef), so Docker's
 * `kv:1.0-0123456789ab` and a node's `docker.io/library/kv:1.0-0123456789ab` are both build tags of `kv:1.0`, and
 * `kv:1.0`, `kv:1.0-latest` or `kv:2.0-0123456789ab` are not.
 */
export function isBuildTag(image: string, ref: string): boolean {
  const hex = ref.slice(-12)
  return (
    /^[0-9a-f]{12}$/.test(hex) && !ref.includes('@') && normalizeRef(ref) === normalizeRef(immutableTag(image, hex))
  )
}

/** The image whose build tag `tag` is for the image ID `id` (`kv:1.0-0123456789ab` → `kv:1.0`), or undefined. */
export function buildTagBase(tag: string, id: string): string | undefined {
  const base = tag.slice(0, -13)
  return base && immutableTag(base, id) === tag ? base : undefined
}

/** Give the image its immutable tag (a local `docker tag`, only when missing) and return it. */
export async function tagImmutable(image: string, id: string, dry = false): Promise<string> {
  const tag = immutableTag(image, id)
  const {docker, dockerError, inspectImage} = await import('./docker.js')
  const existing = await inspectImage(tag)
  if (existing?.id === id || dry) return tag
  const r = await docker(['tag', id, tag])
  if (r.code !== 0) throw new FabError('DOCKER', `docker tag ${id} ${tag}: ${dockerError(r)}`)
  return tag
}

/** The build settings that, with the sources, make an image what it is (as `up` and `build` pass them to Docker). */
export interface BuildInputs {
  baseImage?: string
  buildArgs?: string[]
  /** `docker build --network`. */
  network?: string
}

/** The hash of a build's inputs: the build context as Docker sees it (.dockerignore applied) and the settings. */
export async function buildInputsHash(project: Pick<ProjectConfig, 'dir'>, o: BuildInputs): Promise<string> {
  const {contextHash} = await import('./context.js')
  return contextHash(project.dir, {
    baseImage: o.baseImage,
    buildArgs: (o.buildArgs ?? []).join('\n'),
    dockerNetwork: o.network,
  })
}

/**
 * The image the pods run for the project: the immutable tag of the image Docker has under fabk8s.yaml `image` (tagged
 * now when missing), so that what `build` and `load` made is what `deploy` rolls out. `image` alone, with the reason,
 * when Docker has no such image or does not answer (a machine that deploys what others built).
 */
export async function projectRunImage(project: Pick<ProjectConfig, 'image'>): Promise<{image: string; why?: string}> {
  const {inspectImage} = await import('./docker.js')
  let id: string | undefined
  try {
    id = (await inspectImage(project.image))?.id
  } catch (error) {
    return {image: project.image, why: `Docker did not answer (${(error as Error).message.split('\n')[0]})`}
  }

  if (!id) return {image: project.image, why: `Docker has no image ${project.image}`}
  return {image: await tagImmutable(project.image, id)}
}

/** Docker's RFC 3339 time with up to nanoseconds (Go drops trailing zeros) as text that sorts in time order (UTC). */
function sortableTime(t: string): string {
  const m = /^(.*?)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(t)
  return m ? `${new Date(m[1] + m[3]).toISOString().slice(0, 19)}.${(m[2] ?? '').padEnd(9, '0')}` : t
}

/** How many of the project's builds Docker keeps under their build tags: the newest, and two to go back to. */
export const KEEP_BUILDS = 3

/**
 * The build tags (isBuildTag) Docker has for the image, as `<repository>:<tag>`; undefined when Docker cannot list
 * them.
 */
export async function dockerBuildTags(image: string): Promise<string[] | undefined> {
  const {docker, ENGINE_TIMEOUT_MS} = await import('./docker.js')
  const prefix = immutableTag(image, '')
  const repository = prefix.slice(0, prefix.lastIndexOf(':'))
  const r = await docker(['image', 'ls', repository, '--format', '{{.Tag}}'], {timeoutMs: ENGINE_TIMEOUT_MS})
  if (r.code !== 0) return undefined
  return r.stdout
    .split('\n')
    .map((t) => `${repository}:${t.trim()}`)
    .filter((ref) => isBuildTag(image, ref))
}

/**
 * Remove the build tags (`<image>-<12 hex>`) of all but the KEEP_BUILDS newest builds of the image from Docker, so
 * that an edit-build loop does not pile up images; returns the tags removed. Only tags of that exact shape go, and
 * only the tag: an image another tag still names stays. The nodes follow at the next load that imports an image
 * (pruneNode in load.ts): they keep the build tags Docker keeps, and any image a container on the node uses. Best
 * effort: a tag that cannot be removed is left.
 */
export async function pruneBuildTags(image: string): Promise<string[]> {
  const {docker, ENGINE_TIMEOUT_MS} = await import('./docker.js')
  const tags = (await dockerBuildTags(image)) ?? []
  if (tags.length <= KEEP_BUILDS) return []
  // newest first, by when each was built to the nanosecond (docker's listing has whole seconds: builds tie)
  const when = await docker(['image', 'inspect', '--format', '{{.Created}}', ...tags], {timeoutMs: ENGINE_TIMEOUT_MS})
  const created = when.stdout.split('\n').filter(Boolean)
  if (when.code !== 0 || created.length !== tags.length) return []
  const builds = tags.map((ref, i) => ({key: sortableTime(created[i]), ref})).sort((x, y) => (x.key < y.key ? 1 : -1))
  const removed: string[] = []
  for (const tag of builds.slice(KEEP_BUILDS).map((b) => b.ref)) {
    const rm = await docker(['image', 'rm', tag], {timeoutMs: ENGINE_TIMEOUT_MS})
    if (rm.code === 0) removed.push(tag)
  }

  return removed
}
