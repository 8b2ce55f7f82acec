/** Image references the way docker and containerd read them. */
import {usageError} from '../errors.js'
import {IMAGE_RE} from '../project/schema.js'

export interface ImageRef {
  digest?: string
  /** Registry host (with port), or undefined for Docker Hub. */
  domain?: string
  /** Repository path without the domain, e.g. `library/kv` or `acme/kv`. */
  path: string
  /** The tag written in the reference, if any. */
  tag?: string
}

/** Split `[domain/]path[:tag][@digest]`; a first component is a domain when it has a dot or a port, or is localhost. */
export function parseRef(ref: string): ImageRef {
  let rest = ref
  let digest: string | undefined
  const at = rest.indexOf('@')
  if (at !== -1) {
    digest = rest.slice(at + 1)
    rest = rest.slice(0, at)
  }

  let tag: string | undefined
  const colon = rest.lastIndexOf(':')
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1)
    rest = rest.slice(0, colon)
  }

  let domain: string | undefined
  const slash = rest.indexOf('/')
  if (slash !== -1) {
    const first = rest.slice(0, slash)
    if (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase()) {
      domain = first
      rest = rest.slice(slash + 1)
    }
  }

  return {digest, domain, path: rest, tag}
}

/**
 * The fully qualified name containerd stores after `ctr images import` of a `docker save` archive:
 * `kv:1` → `docker.io/library/kv:1`, `acme/kv` → `docker.io/acme/kv:latest`.
 */
export function normalizeRef(ref: string): string {
  const r = parseRef(ref)
  const domain = r.domain ?? 'docker.io'
  const p = domain === 'docker.io' && !r.path.includes('/') ? `library/${r.path}` : r.path
  const tag = r.tag ?? (r.digest ? undefined : 'latest')
  return `${domain}/${p}${tag ? `:${tag}` : ''}${r.digest ? `@${r.digest}` : ''}`
}

/** True when the reference means `:latest` (written or implied): kubelet then pulls with imagePullPolicy Always. */
export function isLatest(ref: string): boolean {
  const r = parseRef(ref)
  return !r.digest && (r.tag === undefined || r.tag === 'latest')
}

/** --image (load, deploy, and the image deploy's plan runs): a reference docker accepts, else a usage error naming the flag. */
export function checkImageFlag(ref: string | undefined): void {
  if (ref !== undefined && !IMAGE_RE.test(ref))
    throw usageError(`--image: "${ref}" is not an image reference like repository:tag`)
}

/** A problem with a tag to build (undefined when fine): must be repository[:tag], no digest. */
export function tagProblem(ref: string): string | undefined {
  if (ref.trim() === '') return 'empty image tag'
  if (!IMAGE_RE.test(ref)) return `"${ref}" is not a valid image reference (repository[:tag], lower-case repository)`
  if (parseRef(ref).digest) return `"${ref}": a tag to build cannot carry a @digest`
  return undefined
}
