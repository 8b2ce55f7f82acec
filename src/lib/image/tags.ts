/**
 * What names one build of the project's image, for `build`, `load`, `deploy` and `up` alike:
 * - the immutable tag `<fabk8s.yaml image>-<12 hex of the image ID>`, which the pods run. A new build has a new tag,
 *   so the Deployment rolls out, and kubelet's IfNotPresent runs exactly the image that was loaded under it;
 * - the label that records the hash of the build's inputs, so that `up` keeps an image built from the same inputs,
 *   whichever of `build` and `up` built it.
 */
import type {ProjectConfig} from '../project/schema.js'

import {FabError} from '../errors.js'

export const BUILD_HASH_LABEL = 'fabk8s.io/build-hash'

/** `kv:1.0` + `sha256:0123…` → `kv:1.0-0123456789ab`: a tag that names this build only (kubelet's IfNotPresent is then right). */
export function immutableTag(image: string, id: string): string {
  const hex = id.replace(/^sha256:/, '').slice(0, 12)
  const at = image.lastIndexOf(':')
  const hasTag = at > image.lastIndexOf('/')
  return hasTag ? `${image}-${hex}` : `${image}:${hex}`
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
