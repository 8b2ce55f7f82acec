/**
 * Which non-Kubernetes file a parsed YAML document is: a docker-compose file (a `services:` mapping of services with
 * an image, a build or an extends), a GitHub Actions workflow (`jobs:` with `runs-on`/`steps`/`uses`, or `on:`),
 * or a GitLab CI file (named .gitlab-ci.yml, or jobs with `script:`/`stage:`, or `stages:`). Cheap: no parsing.
 */
import path from 'node:path'

import type {Obj} from '../model/types.js'

export type Format = 'compose' | 'github-actions' | 'gitlab-ci'

const isMap = (v: unknown): v is Obj => Boolean(v) && typeof v === 'object' && !Array.isArray(v)

/** Top-level keys of .gitlab-ci.yml that are not jobs. */
export const GITLAB_RESERVED = new Set([
  'after_script',
  'before_script',
  'cache',
  'default',
  'image',
  'include',
  'services',
  'spec',
  'stages',
  'variables',
  'workflow',
])

const GITLAB_JOB_KEYS = ['script', 'stage', 'extends', 'trigger', 'needs', 'rules', 'services', 'image']

export function detectFormat(value: unknown, file: null | string): Format | null {
  if (!isMap(value) || typeof value.kind === 'string') return null
  if (isMap(value.services)) {
    const svcs = Object.values(value.services)
    if (svcs.some((s) => isMap(s) && ('image' in s || 'build' in s || 'extends' in s))) return 'compose'
  }

  if (isMap(value.jobs)) {
    const jobs = Object.values(value.jobs)
    if ('on' in value || jobs.some((j) => isMap(j) && ('runs-on' in j || 'steps' in j || 'uses' in j)))
      return 'github-actions'
  }

  // `.fixed`: what doctor --fix writes beside the file
  const named = file !== null && /(^|[.-])gitlab-ci(\.fixed)?\.ya?ml$/i.test(path.basename(file))
  const jobs = Object.entries(value).filter(([k, v]) => !GITLAB_RESERVED.has(k) && isMap(v))
  if (named && jobs.length > 0) return 'gitlab-ci'
  if (
    Array.isArray(value.stages) ||
    jobs.some(([, j]) => 'script' in j && GITLAB_JOB_KEYS.some((k) => k !== 'script' && k in j))
  )
    return jobs.length > 0 ? 'gitlab-ci' : null
  return null
}
