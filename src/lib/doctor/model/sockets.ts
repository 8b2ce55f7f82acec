/** Container-runtime sockets on a host, and the directories that hold them. */
import path from 'node:path'

import type {HostPathClass} from './types.js'

export const SOCKET_FILES = new Set([
  'containerd.sock',
  'cri-dockerd.sock',
  'crio.sock',
  'docker.sock',
  'dockershim.sock',
  'podman.sock',
])
const SOCKET_DIRS = new Set([
  '/',
  '/run',
  '/run/containerd',
  '/run/crio',
  '/run/docker',
  '/run/k3s/containerd',
  '/run/podman',
  '/var',
  '/var/run',
  '/var/run/containerd',
  '/var/run/crio',
  '/var/run/docker',
  '/var/run/podman',
])

/** Whether a hostPath is a container-runtime socket or a directory that holds one (trailing slashes ignored). */
export function classifyHostPath(p: unknown): HostPathClass | null {
  if (typeof p !== 'string' || p.trim() === '') return null
  let n = path.posix.normalize(p.trim())
  if (n.length > 1 && n.endsWith('/')) n = n.slice(0, -1)
  if (SOCKET_FILES.has(path.posix.basename(n))) return {kind: 'socket', normalized: n}
  if (SOCKET_DIRS.has(n)) return {kind: 'dir', normalized: n}
  return null
}
