import {describeObject, mountAt} from '../model/types.js'
import {ALL_INPUTS, type ContainerFinding, perContainer, q, type Rule} from './rule.js'

export const dockerSocketMount: Rule = {
  check: perContainer((c, a) => {
    const out: ContainerFinding[] = []
    for (const m of c.mounts) {
      const v = a.workload!.volumes.get(m.name)
      if (!v?.hostPathClass) continue
      const what =
        v.hostPathClass.kind === 'socket'
          ? `the host's container-runtime socket ${v.hostPath}${v.hostPath?.includes('$') ? ' (set by a variable; mounted as a socket file)' : ''}`
          : `host directory ${v.hostPath}, which holds the container-runtime sockets (docker.sock, containerd.sock)`
      // compose and CI bind mounts are named by their host path: no separate volume name to show
      const via = v.name === v.hostPath ? `at ${m.mountPath}` : `volume ${q(m.name)} at ${m.mountPath}`
      out.push({
        locate: mountAt(c, m),
        message: `${describeObject(a)}: container ${q(c.name)} mounts ${what} (${via}${m.subPath ? `, subPath ${m.subPath}` : ''}); whoever controls this container controls every container on the host`,
      })
    }

    return out
  }),
  description:
    'A container mounts a hostPath that is a container-runtime socket (docker.sock, dockershim.sock, cri-dockerd.sock, containerd.sock, crio.sock, podman.sock) or a directory holding one (/var/run, /run, /var/run/containerd, /var, /…), with or without a trailing slash.',
  id: 'docker-socket-mount',
  inputs: ALL_INPUTS,
  remediation:
    'Remove the hostPath volume (or bind mount) and its mount. Run chaincode as a service (external builder ccaas_builder, CORE_VM_ENDPOINT="") so the peer never needs Docker: `fabk8s deploy`.',
  severity: 'critical',
  title: 'Container-runtime socket mounted from the host',
}
