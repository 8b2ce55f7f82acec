/**
 * The chaincode Deployment as `fabk8s dev` swaps it: same name, selector and Service port, but its pods run the
 * relay instead of the chaincode. Pure (no cluster). The pod meets Pod Security "restricted" and `fabk8s doctor`'s
 * rules like the real one. The Deployment carries what is needed to undo the swap from anywhere: the session that
 * owns it and the configuration fabk8s had applied before (or that there was none).
 */
import type {ProjectConfig} from '../../project/schema.js'

import {
  ANNOTATION_IMAGE,
  ANNOTATION_PACKAGE,
  CONTAINER,
  FIELD_MANAGER,
  LABEL_CHAINCODE,
  LABEL_NAME,
  LABEL_PACKAGE,
  MANAGED_BY,
  type Manifest,
  MIN_READY_SECONDS,
  packageIdLabel,
} from '../../kube/manifests.js'
import {chaincodeTargets} from '../../kube/targets.js'
import {RELAY_USER} from './image.js'

/** On the Deployment and its pod template: the dev session that swapped it in (`user@host pid N since ISO`). */
export const ANNOTATION_DEV = 'fabk8s.io/dev'
/** On the Deployment: JSON `{"applied": <configuration fabk8s had applied>}`, or `{"applied": null}` when there was no Deployment. */
export const ANNOTATION_RESTORE = 'fabk8s.io/dev-restore'
/** On relay pods. */
export const LABEL_RELAY = 'fabk8s.io/dev-relay'

/** The relay's tunnel port (loopback inside the pod; reached only through port-forward). */
export function tunnelPortFor(chaincodePort: number): number {
  return chaincodePort === 7901 ? 7902 : 7901
}

export interface RelayRenderOptions {
  image: string
  namespace: string
  packageId: string
  /** What to put back at the end (null: delete the Deployment). */
  restore: null | Record<string, unknown>
  /** Who runs this dev session (ANNOTATION_DEV). */
  session: string
}

/** A TCP probe on the named chaincode port (the relay listens there). */
function probe(initialDelaySeconds: number, periodSeconds: number) {
  return {failureThreshold: 3, initialDelaySeconds, periodSeconds, tcpSocket: {port: 'chaincode'}, timeoutSeconds: 2}
}

export function relayDeployment(project: ProjectConfig, o: RelayRenderOptions): Manifest {
  // the chaincode's own Deployment, whose Service the peers dial
  const [{name}] = chaincodeTargets(project, o.namespace)
  const {port} = project.chaincode
  const selector = {[LABEL_CHAINCODE]: project.name, [LABEL_NAME]: name}
  const labels = {...selector, [LABEL_PACKAGE]: packageIdLabel(o.packageId), [MANAGED_BY]: FIELD_MANAGER}
  const podAnnotations = {[ANNOTATION_DEV]: o.session, [ANNOTATION_IMAGE]: o.image, [ANNOTATION_PACKAGE]: o.packageId}
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      annotations: {...podAnnotations, [ANNOTATION_RESTORE]: JSON.stringify({applied: o.restore})},
      labels,
      name,
      namespace: o.namespace,
    },
    spec: {
      // the peers move from the chaincode's pod to the relay's (and back) as they move between revisions
      minReadySeconds: MIN_READY_SECONDS,
      replicas: 1,
      revisionHistoryLimit: 3,
      selector: {matchLabels: selector},
      template: {
        metadata: {annotations: podAnnotations, labels: {...labels, [LABEL_RELAY]: 'true'}},
        spec: {
          automountServiceAccountToken: false,
          containers: [
            {
              env: [
                {name: 'FABK8S_RELAY_PORT', value: String(port)},
                {name: 'FABK8S_RELAY_TUNNEL_PORT', value: String(tunnelPortFor(port))},
                // what the relayed chaincode runs: `fabk8s status` compares it with the approved package
                {name: 'CHAINCODE_ID', value: o.packageId},
              ],
              image: o.image,
              imagePullPolicy: 'IfNotPresent',
              livenessProbe: probe(5, 10),
              name: CONTAINER,
              ports: [{containerPort: port, name: 'chaincode', protocol: 'TCP'}],
              readinessProbe: probe(0, 2),
              resources: {limits: {cpu: '200m', memory: '128Mi'}, requests: {cpu: '10m', memory: '32Mi'}},
              securityContext: {
                allowPrivilegeEscalation: false,
                capabilities: {drop: ['ALL']},
                privileged: false,
                readOnlyRootFilesystem: true,
                runAsGroup: RELAY_USER,
                runAsNonRoot: true,
                runAsUser: RELAY_USER,
                seccompProfile: {type: 'RuntimeDefault'},
              },
            },
          ],
          enableServiceLinks: false,
          securityContext: {
            runAsGroup: RELAY_USER,
            runAsNonRoot: true,
            runAsUser: RELAY_USER,
            seccompProfile: {type: 'RuntimeDefault'},
          },
          // the relay exits at once on SIGTERM; no need to hold the rollout
          terminationGracePeriodSeconds: 5,
        },
      },
    },
  }
}
