/**
 * A GitHub Actions workflow: one workload per job (kind `GitHubJob`). The job's own container (`container:`, or the
 * runner when there is none) runs the `run:` steps with the workflow's, the job's and the container's `env`; each
 * entry of `services:` is a container named by its key. Volumes, ports and the `docker create` options they pass
 * (`--privileged`, `-v`/`--volume`, `--mount type=bind`, `--cap-add`, `-p`) are read; lines point at those keys.
 */
import type {Positions} from './positions.js'

import {bindParts, container, dockerOptions, envOf, isMap, MountSet, portsOf, words} from './containers.js'
import {type Analyzed, type ContainerInfo, type EnvValue, type Obj, str, type VolumeInfo} from './types.js'

interface JobContainer {
  at: (number | string)[]
  cmd: string
  env: Map<string, EnvValue>
  kind: 'container' | 'service'
  name: string
  spec: Obj
  /** The job's volumes (container and services share them, as a pod's containers do). */
  volumes: Map<string, VolumeInfo>
}

function jobContainer(pos: Positions, {at, cmd, env, kind, name, spec, volumes}: JobContainer): ContainerInfo {
  const here = pos.at(at)
  const mounts = new MountSet(volumes)
  if (Array.isArray(spec.volumes))
    for (const [i, v] of spec.volumes.entries()) {
      const [source, target] = bindParts(str(v))
      if (target !== undefined) mounts.add(source, target, pos.at([...at, 'volumes', i], here))
    }

  const opts = dockerOptions(str(spec.options))
  const optsAt = pos.at([...at, 'options'], here)
  for (const m of opts.mounts) mounts.add(m.source, m.target, optsAt)
  return container({
    at: here,
    capAdd: opts.capAdd,
    cmd,
    env: envOf(spec.env, pos, [...at, 'env'], new Map(env)),
    image: str(spec.image),
    kind,
    mounts: mounts.mounts,
    name,
    ports: [...portsOf(spec.ports), ...opts.ports],
    privileged: opts.privileged,
    raw: spec,
    scAt: opts.privileged || opts.capAdd.length > 0 ? optsAt : undefined,
  })
}

export function githubWorkloads(value: Obj, pos: Positions): Omit<Analyzed, 'ctx'>[] {
  const out: Omit<Analyzed, 'ctx'>[] = []
  const workflowEnv = envOf(value.env, pos, ['env'])
  for (const [id, job] of Object.entries(value.jobs as Obj)) {
    if (!isMap(job)) continue
    const base = ['jobs', id]
    const env = envOf(job.env, pos, [...base, 'env'], new Map(workflowEnv))
    const volumes = new Map<string, VolumeInfo>()
    const steps = Array.isArray(job.steps)
      ? job.steps.map((s: unknown) => (isMap(s) ? words(s.run) : '')).join(' ')
      : ''
    const c = job.container
    const spec: Obj = isMap(c) ? c : typeof c === 'string' ? {image: c} : {image: `runner:${words(job['runs-on'])}`}
    const containers = [
      jobContainer(pos, {
        at: c === undefined ? base : [...base, 'container'],
        cmd: steps.trim(),
        env,
        kind: 'container',
        name: id,
        spec,
        volumes,
      }),
    ]
    if (isMap(job.services))
      for (const [sid, s] of Object.entries(job.services)) {
        const sSpec: Obj = isMap(s) ? s : {image: str(s)}
        containers.push(
          jobContainer(pos, {
            at: [...base, 'services', sid],
            cmd: '',
            env: new Map(),
            kind: 'service',
            name: sid,
            spec: sSpec,
            volumes,
          }),
        )
      }

    out.push({
      apiVersion: 'github-actions',
      input: 'github-actions',
      kind: 'GitHubJob',
      name: id,
      namespace: null,
      obj: job,
      workload: {containers, podSpec: {}, templateMeta: null, volumes},
    })
  }

  return out
}
