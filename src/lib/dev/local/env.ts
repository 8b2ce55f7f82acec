/**
 * The environment of the chaincode when `fabk8s dev` runs it on this machine: the same variables the pod gets
 * (kube/manifests.ts chaincodeEnv: every Node, Go and Java alias), with the listen address on loopback and the
 * TLS files read from where fabk8s.yaml says they are instead of the Secret mounted in the pod.
 */
import type {ProjectConfig} from '../../project/schema.js'

import {chaincodeEnv, TLS_DIR} from '../../kube/manifests.js'
import {singleTargetMspId} from '../../kube/targets.js'

export function localEnv(
  project: ProjectConfig,
  packageId: string,
  address: {host: string; port: number},
): Record<string, string> {
  const {tls} = project.chaincode
  const files: Record<string, string> = {
    [`${TLS_DIR}/ca.crt`]: tls.rootCert,
    [`${TLS_DIR}/tls.crt`]: tls.cert,
    [`${TLS_DIR}/tls.key`]: tls.key,
  }
  const listen = `${address.host}:${address.port}`
  const out: Record<string, string> = {}
  for (const {name, value} of chaincodeEnv(project, packageId, singleTargetMspId(project))) {
    if (name === 'HOME') continue // the pod's read-only root needs HOME=/tmp; here the user's own HOME stays
    out[name] = value === `0.0.0.0:${project.chaincode.port}` ? listen : (files[value] ?? value)
  }

  return out
}
