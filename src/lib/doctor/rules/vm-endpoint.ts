/** Helpers to describe a CORE_VM_ENDPOINT value and where it comes from. */
import type {Analyzed, ContainerInfo, EnvValue} from '../model/types.js'

import {volumeForPath} from '../model/fabric.js'
import {q} from './rule.js'

export function describeEndpoint(a: Analyzed, c: ContainerInfo, e: EnvValue): string {
  if (e.value === null)
    return `CORE_VM_ENDPOINT is set from ${e.ref ? q(e.ref) : 'a reference'} whose value is not visible here`
  const v = e.value.trim()
  const m = /^unix:\/\/(.*)$/.exec(v)
  if (m) {
    const p = m[1]
    const on = volumeForPath(a, c, p)
    let where: string
    if (!on) where = 'not on any mounted volume (it only works if the image or node provides it)'
    else if (on.volume?.hostPath !== undefined)
      where =
        on.volume.name === on.volume.hostPath
          ? `the host's socket through the bind mount of ${on.volume.hostPath}`
          : `the host's socket through hostPath ${on.volume.hostPath} (volume ${q(on.mount.name)})`
    else if (on.volume?.raw.emptyDir)
      where = `an emptyDir (${q(on.mount.name)}) shared with a Docker-in-Docker daemon in the same pod`
    else where = `volume ${q(on.mount.name)}`
    return `CORE_VM_ENDPOINT=${v} is a unix socket: ${where}`
  }

  const t = /^(?:tcp:\/\/|https?:\/\/)?([^/:]+):(\d+)/.exec(v)
  if (t) {
    const tls = c.env.get('CORE_VM_DOCKER_TLS_ENABLED')?.value === 'true'
    if (t[2] === '2375' || !tls)
      return `CORE_VM_ENDPOINT=${v} is an unauthenticated tcp Docker API (${t[1]}:${t[2]}, no TLS): anyone who reaches it runs containers`
    return `CORE_VM_ENDPOINT=${v} is a tcp Docker API with TLS`
  }

  return `CORE_VM_ENDPOINT=${v} points the peer at a Docker engine`
}

export function sourceOf(e: EnvValue): string {
  if (e.from === 'envFrom') return ` (through envFrom ConfigMap ${q(e.ref ?? '')})`
  if (e.from === 'valueFrom') return ` (through valueFrom ${q(e.ref ?? '')})`
  if (e.from === 'core.yaml') return ` (vm.endpoint in core.yaml of ConfigMap ${q(e.ref ?? '')})`
  return ''
}
