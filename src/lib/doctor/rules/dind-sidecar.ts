import type {RawFinding} from '../types.js'

import {describeObject} from '../model.js'
import {inContainer, q, type Rule} from './rule.js'

const DIND_IMAGE = /\bdind\b/i
const DOCKERD = /(^|[\s/])dockerd(\s|$)/
const DIND_NAME = /^(docker|dind|dockerd)([-_.]|$)|(^|[-_.])dind([-_.]|$)/i

function ports(c: {raw: Record<string, unknown>}): number[] {
  const p = c.raw.ports
  return Array.isArray(p)
    ? p.map((x) => Number((x as {containerPort?: unknown})?.containerPort)).filter((n) => Number.isFinite(n))
    : []
}

export const dindSidecar: Rule = {
  check(a) {
    const w = a.workload
    if (!w) return []
    const out: RawFinding[] = []
    for (const c of w.containers) {
      const why: string[] = []
      if (DIND_IMAGE.test(c.image)) why.push(`image ${c.image}`)
      if (DOCKERD.test(c.cmd)) why.push('runs dockerd')
      const dockerPorts = ports(c).filter((p) => p === 2375 || p === 2376)
      if (c.sc.privileged && DIND_NAME.test(c.name)) why.push(`privileged container named ${q(c.name)}`)
      if (c.sc.privileged && dockerPorts.length > 0)
        why.push(`privileged, exposes Docker port ${dockerPorts.join('/')}`)
      if (why.length === 0) continue
      const notes: string[] = []
      if (c.sc.privileged) notes.push('privileged')
      if (dockerPorts.includes(2375) || c.env.get('DOCKER_TLS_CERTDIR')?.value === '')
        notes.push('Docker API without TLS or authentication')
      out.push({
        container: c.name,
        locate: inContainer(c),
        message: `${describeObject(a)}: container ${q(c.name)} runs a Docker daemon (${why.join('; ')})${notes.length > 0 ? ` — ${notes.join(', ')}` : ''}; a DinD daemon is root on the node in practice`,
      })
    }

    return out
  },
  description:
    'A container runs a Docker daemon: image docker:*dind*, dockerd in command/args, or a privileged container named like docker/dind or exposing 2375/2376.',
  id: 'dind-sidecar',
  remediation:
    'Remove the Docker-in-Docker container. Fabric peers do not need Docker when chaincode runs as a service: configure the ccaas_builder external builder and set CORE_VM_ENDPOINT="".',
  severity: 'critical',
  title: 'Docker-in-Docker daemon',
}
