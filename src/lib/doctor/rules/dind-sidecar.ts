import {dindReasons} from '../model/dind.js'
import {describeObject} from '../model/types.js'
import {ALL_INPUTS, inContainer, perContainer, q, type Rule} from './rule.js'

/** A client pointed at a Docker daemon over plain tcp (CI jobs beside a docker:dind service). */
const PLAIN_DOCKER_HOST = /^tcp:\/\/[^/]+:2375\b/

export const dindSidecar: Rule = {
  check: perContainer((c, a) => {
    const why = dindReasons(c)
    if (why.length === 0) return null
    const dockerPorts = c.ports.filter((p) => p === 2375 || p === 2376)
    const notes: string[] = []
    if (c.sc.privileged) notes.push('privileged')
    if (
      dockerPorts.includes(2375) ||
      c.env.get('DOCKER_TLS_CERTDIR')?.value === '' ||
      a.workload!.containers.some((x) => PLAIN_DOCKER_HOST.test(x.env.get('DOCKER_HOST')?.value ?? ''))
    )
      notes.push('Docker API without TLS or authentication')
    return {
      locate: inContainer(c),
      message: `${describeObject(a)}: container ${q(c.name)} runs a Docker daemon (${why.join('; ')})${notes.length > 0 ? ` — ${notes.join(', ')}` : ''}; a DinD daemon is root on the node in practice`,
    }
  }),
  description:
    'A container runs a Docker daemon: image docker:*dind*, dockerd in command/args, or a privileged container named like docker/dind or exposing 2375/2376.',
  id: 'dind-sidecar',
  inputs: ALL_INPUTS,
  remediation:
    'Remove the Docker-in-Docker container. Fabric peers do not need Docker when chaincode runs as a service: configure the ccaas_builder external builder and set CORE_VM_ENDPOINT="".',
  severity: 'critical',
  title: 'Docker-in-Docker daemon',
}
