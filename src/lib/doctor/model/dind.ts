/** Is a container a Docker-in-Docker daemon, and why (the dind-sidecar rule and `doctor --fix` share this). */
import type {ContainerInfo} from './types.js'

const DIND_IMAGE = /\bdind\b/i
const DOCKERD = /(^|[\s/])dockerd(\s|$)/
const DIND_NAME = /^(docker|dind|dockerd)([-_.]|$)|(^|[-_.])dind([-_.]|$)/i

/** The reasons a container counts as a Docker daemon (empty when it does not). */
export function dindReasons(c: ContainerInfo): string[] {
  const why: string[] = []
  if (DIND_IMAGE.test(c.image)) why.push(`image ${c.image}`)
  if (DOCKERD.test(c.cmd)) why.push('runs dockerd')
  const dockerPorts = c.ports.filter((p) => p === 2375 || p === 2376)
  if (c.sc.privileged && DIND_NAME.test(c.name)) why.push(`privileged container named ${JSON.stringify(c.name)}`)
  if (c.sc.privileged && dockerPorts.length > 0) why.push(`privileged, exposes Docker port ${dockerPorts.join('/')}`)
  return why
}
