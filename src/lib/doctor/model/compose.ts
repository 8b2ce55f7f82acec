/**
 * A docker-compose file as one workload (kind `Compose`, named by its `name:` or file): every service is a container
 * with its environment, bind mounts (short and long syntax, named volumes bound to a host directory, `${VAR:-default}`
 * sources), `privileged`, `cap_add`, ports, and `entrypoint` + `command`. Services share their named volumes the way
 * a pod's containers do, so a socket directory shared with a DinD service reads as in a pod.
 */
import path from 'node:path'

import type {Positions} from './positions.js'

import {bindParts, container, envOf, isMap, MountSet, portsOf, withDefaults, words} from './containers.js'
import {type Analyzed, type ContainerInfo, type Obj, str, type VolumeInfo} from './types.js'

/** The host directory a top-level named volume binds (`driver_opts: {o: bind, device: /path}`). */
function namedBind(v: unknown): string | undefined {
  if (!isMap(v) || !isMap(v.driver_opts)) return undefined
  const o = v.driver_opts
  return /\bbind\b/.test(str(o.o)) && typeof o.device === 'string' ? withDefaults(o.device) : undefined
}

export function composeWorkload(value: Obj, pos: Positions, file: null | string): Omit<Analyzed, 'ctx'> {
  const volumes = new Map<string, VolumeInfo>()
  const topVolumes = isMap(value.volumes) ? value.volumes : {}
  const containers: ContainerInfo[] = []
  for (const [name, svc] of Object.entries(value.services as Obj)) {
    if (!isMap(svc)) continue
    const base = ['services', name]
    const at = pos.at(base)
    const mounts = new MountSet(volumes)
    if (Array.isArray(svc.volumes))
      for (const [i, v] of svc.volumes.entries()) {
        const vAt = pos.at([...base, 'volumes', i], at)
        if (typeof v === 'string') {
          const parts = bindParts(v)
          if (parts.length < 2) continue // an anonymous volume
          const named = /^[/.~$]/.test(parts[0]) ? undefined : {hostPath: namedBind(topVolumes[parts[0]]), raw: {}}
          mounts.add(parts[0], parts[1], vAt, named)
        } else if (isMap(v) && (v.type === 'bind' || v.type === 'volume') && typeof v.target === 'string') {
          const source = str(v.source)
          const named = v.type === 'volume' ? {hostPath: namedBind(topVolumes[source]), raw: v} : undefined
          mounts.add(v.type === 'bind' && !/^[/.~$]/.test(source) ? './' + source : source, v.target, vAt, named)
        }
      }

    const env = envOf(svc.environment, pos, [...base, 'environment'])
    containers.push(
      container({
        at,
        capAdd: Array.isArray(svc.cap_add) ? svc.cap_add.map((x: unknown) => str(x)) : [],
        cmd: [words(svc.entrypoint), words(svc.command)].filter(Boolean).join(' '),
        env,
        image: str(svc.image),
        kind: 'container',
        mounts: mounts.mounts,
        name,
        ports: [...portsOf(svc.ports), ...portsOf(svc.expose)],
        privileged: svc.privileged === true || svc.privileged === 'true',
        raw: svc,
        scAt: pos.line([...base, 'privileged']) === null ? undefined : pos.at([...base, 'privileged']),
      }),
    )
  }

  const projectName =
    typeof value.name === 'string' ? value.name : file ? path.basename(file).replace(/\.ya?ml$/i, '') : 'compose'
  return {
    apiVersion: 'compose',
    input: 'compose',
    kind: 'Compose',
    name: projectName,
    namespace: null,
    obj: value,
    workload: {containers, podSpec: {}, templateMeta: null, volumes},
  }
}
