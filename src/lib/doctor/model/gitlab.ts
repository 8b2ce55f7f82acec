/**
 * A .gitlab-ci.yml: one workload per job (kind `GitLabJob`), hidden templates (`.name`) included, and one named
 * `default` for the top-level/`default:` services. The job's own container runs its `image` with the script as its
 * command; each service is a container named by its alias (or its image, as GitLab names it). Variables reach the
 * job and its services: global, then the job's, then the service's. `extends:` and `include:` are not followed;
 * every job and template is checked as written. GitLab's `privileged` lives in the runner's config.toml, not here.
 */
import type {Needle} from '../types.js'
import type {Path, Positions} from './positions.js'

import {GITLAB_RESERVED} from '../input/detect.js'
import {container, envOf, isMap, words} from './containers.js'
import {type Analyzed, type ContainerInfo, type EnvValue, type Obj, str} from './types.js'

/** GitLab's host name for a service without an alias: the image without tag or digest, "/" as "-". */
function serviceName(image: string): string {
  return image
    .replace(/@.*$/, '')
    .replace(/:[^/:]*$/, '')
    .replaceAll('/', '-')
}

function imageOf(v: unknown): string {
  return isMap(v) ? str(v.name) : str(v)
}

function services(list: unknown, pos: Positions, at: Path, env: Map<string, EnvValue>): ContainerInfo[] {
  if (!Array.isArray(list)) return []
  return list.map((s, i) => {
    const image = imageOf(s)
    const m = isMap(s) ? s : {}
    const sEnv = envOf(m.variables, pos, [...at, i, 'variables'], new Map(env))
    return container({
      at: pos.at([...at, i]),
      cmd: [words(m.entrypoint), words(m.command)].filter(Boolean).join(' '),
      env: sEnv,
      image,
      kind: 'service',
      name: typeof m.alias === 'string' ? m.alias.split(',')[0].trim() : serviceName(image),
      raw: m,
    })
  })
}

function workload(name: string, value: Obj, containers: ContainerInfo[]): Omit<Analyzed, 'ctx'> {
  return {
    apiVersion: 'gitlab-ci',
    input: 'gitlab-ci',
    kind: 'GitLabJob',
    name,
    namespace: null,
    obj: value,
    workload: {containers, podSpec: {}, templateMeta: null, volumes: new Map()},
  }
}

export function gitlabWorkloads(value: Obj, pos: Positions): Omit<Analyzed, 'ctx'>[] {
  const out: Omit<Analyzed, 'ctx'>[] = []
  const globalEnv = envOf(value.variables, pos, ['variables'])
  const defaults = isMap(value.default) ? value.default : {}
  const defaultServices = 'services' in defaults ? (['default', 'services'] as Path) : (['services'] as Path)
  const dServices = services(defaults.services ?? value.services, pos, defaultServices, globalEnv)
  if (dServices.length > 0) out.push(workload('default', value, dServices))
  for (const [name, job] of Object.entries(value)) {
    if (GITLAB_RESERVED.has(name) || !isMap(job)) continue
    const env = envOf(job.variables, pos, [name, 'variables'], new Map(globalEnv))
    const at: Needle[] = pos.at([name])
    const main = container({
      at,
      cmd: [job.before_script, job.script, job.after_script]
        .map((x) => words(x))
        .join(' ')
        .trim(),
      env,
      image: imageOf(job.image ?? defaults.image ?? value.image),
      kind: 'container',
      name,
      raw: job,
    })
    out.push(workload(name, job, [main, ...services(job.services, pos, [name, 'services'], env)]))
  }

  return out
}
