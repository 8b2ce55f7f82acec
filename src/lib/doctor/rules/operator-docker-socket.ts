import type {RawFinding} from '../types.js'

import {describeObject, type Obj} from '../model/types.js'
import {q, type Rule} from './rule.js'

const FABRIC_GROUP = /(^|\.)(hlf\.kungfusoftware\.es|ibp\.com|hyperledger\.org|fabric[^/]*|cello[^/]*)\//i
const SOCKET_KEY = /docker.?sock|socket.?path|vm.?endpoint|dind/i
const SOCKET_VALUE = /(docker|dockershim|cri-dockerd|containerd|crio|podman)\.sock\b|^unix:\/\/|:2375\b/

function walk(v: unknown, path: string[], depth: number, out: {path: string; value: string}[]): void {
  if (depth > 8 || !v || typeof v !== 'object') return
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) walk(v[i], [...path, String(i)], depth + 1, out)
    return
  }

  for (const [k, val] of Object.entries(v as Obj)) {
    if (SOCKET_KEY.test(k)) {
      if (typeof val === 'string' && val.trim() !== '') out.push({path: [...path, k].join('.'), value: val})
      else if (val === true) out.push({path: [...path, k].join('.'), value: 'true'})
      else if (Array.isArray(val) && val.length > 0)
        out.push({path: [...path, k].join('.'), value: JSON.stringify(val)})
      continue
    }

    if (typeof val === 'string' && SOCKET_VALUE.test(val) && /sock|endpoint|docker|path/i.test(k))
      out.push({path: [...path, k].join('.'), value: val})
    else walk(val, [...path, k], depth + 1, out)
  }
}

export const operatorDockerSocket: Rule = {
  check(a) {
    if (a.workload || !FABRIC_GROUP.test(a.apiVersion + '/') || !a.obj.spec) return []
    const hits: {path: string; value: string}[] = []
    walk(a.obj.spec, ['spec'], 0, hits)
    return hits.map((h): RawFinding => ({
      container: null,
      locate: [{key: h.path.split('.').at(-1)!}],
      message: `${describeObject(a)} (${a.apiVersion}) asks its operator for the Docker socket or a Docker daemon: ${h.path}: ${q(h.value)}; the operator will mount it into the peer`,
    }))
  },
  description:
    'A Fabric operator custom resource asks for the Docker socket or a DinD daemon (e.g. FabricPeer spec.dockerSocketPath, IBPPeer spec.dindArgs).',
  id: 'operator-docker-socket',
  remediation:
    'Remove the field (e.g. spec.dockerSocketPath: "") and enable the operator\'s external chaincode builder / chaincode-as-a-service mode instead.',
  severity: 'high',
  title: 'Operator resource requests the Docker socket',
}
