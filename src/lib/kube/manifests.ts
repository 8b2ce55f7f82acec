/**
 * The Kubernetes objects of a chaincode, rendered from fabk8s.yaml: Namespace, Secret (TLS), Service, Deployment.
 * Pure: no cluster, no client-node. The pod meets Pod Security Standards "restricted" and sets the environment
 * every CCaaS chaincode server reads (Node, Go and Java names).
 */
import {createHash} from 'node:crypto'

import type {ProjectConfig} from '../project/schema.js'

import {podImage} from '../image/registry.js'
import {readTlsCert, readTlsPair} from '../project/tls.js'
import {type ChaincodeTarget, chaincodeTargets} from './targets.js'

export const FIELD_MANAGER = 'fabk8s'
export const MANAGED_BY = 'app.kubernetes.io/managed-by'
export const LABEL_NAME = 'app.kubernetes.io/name'
export const LABEL_CHAINCODE = 'fabk8s.io/chaincode'
export const LABEL_PACKAGE = 'fabk8s.io/package-id'
/** The builder peername a per-peer Deployment serves (chaincode.address with `{{.peername}}`). */
export const LABEL_PEER = 'fabk8s.io/peername'
export const ANNOTATION_PACKAGE = 'fabk8s.io/package-id'
export const ANNOTATION_IMAGE = 'fabk8s.io/image'
/** Hash of the object as fabk8s rendered it: `fabk8s up` compares it to skip an apply that would change nothing. */
export const ANNOTATION_HASH = 'fabk8s.io/manifest-hash'
/** Where the TLS Secret is mounted in the chaincode container. */
export const TLS_DIR = '/etc/fabk8s/tls'
export const CONTAINER = 'chaincode'
/**
 * How long a new chaincode pod must have been Ready before the Deployment stops the old one. A peer keeps its
 * stream to the old pod until that pod exits, then dials the Service again; when the old pod exits before kube-proxy
 * has moved the Service to the new pod (it syncs at most once a second), the dial goes to an address that is gone and
 * hangs for connection.json's dial_timeout (10 s by default): on the test bed, 4 of 5 `up`s after a code change
 * waited those 10 s. Two seconds cover kube-proxy's sync.
 */
export const MIN_READY_SECONDS = 2

/** A Kubernetes object as plain JSON (what server-side apply sends). */
export interface Manifest {
  [key: string]: unknown
  apiVersion: string
  kind: string
  metadata: {annotations?: Record<string, string>; labels?: Record<string, string>; name: string; namespace?: string}
}

export interface TlsFiles {
  /** The CA the peer's client certificate must chain to (set when clientAuth); also what Java wants as root cert. */
  ca: string
  cert: string
  key: string
}

export interface RenderOptions {
  image: string
  namespace: string
  packageId: string
  /** PEM contents; required when project.chaincode.tls.enabled. */
  tls?: TlsFiles
}

const LABEL_VALUE_RE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/

/**
 * A package ID as a label value (≤ 63 characters of [-A-Za-z0-9_.]). `label:hash` has a colon and is usually
 * longer than 63, so: `label.hash` when that fits, else the first 63 hex digits of the package's own sha256.
 * The full ID is in the `fabk8s.io/package-id` annotation and the CHAINCODE_ID variable.
 */
export function packageIdLabel(packageId: string): string {
  const dotted = packageId.replace(':', '.')
  if (dotted.length <= 63 && LABEL_VALUE_RE.test(dotted)) return dotted
  const hash = packageId.split(':').pop() ?? ''
  const hex = /^[a-f0-9]{64}$/.test(hash) ? hash : createHash('sha256').update(packageId).digest('hex')
  return hex.slice(0, 63)
}

/** The selector of everything deploy made for this chaincode (what `down` deletes). */
export function managedSelector(name: string): string {
  return `${MANAGED_BY}=${FIELD_MANAGER},${LABEL_CHAINCODE}=${name}`
}

export function tlsSecretName(project: ProjectConfig): string {
  return `${project.name}-tls`
}

/** Read the chaincode server's TLS files named in fabk8s.yaml (chaincode.tls.*), checked: PEM, and cert matching key. */
export async function readTlsFiles(project: ProjectConfig): Promise<TlsFiles | undefined> {
  const {tls} = project.chaincode
  if (!tls.enabled) return undefined
  // one file after the other: a project with several bad files gets the same error every time
  const {cert, key} = await readTlsPair({field: 'cert', file: tls.cert}, {field: 'key', file: tls.key})
  const ca = await readTlsCert({field: 'rootCert', file: tls.rootCert})
  return {ca, cert, key}
}

/**
 * The chaincode container's environment: every alias the Node, Go and Java chaincode servers read; with `mspId`
 * (the one org whose peers dial these pods) also CORE_PEER_LOCALMSPID, as a peer sets it for chaincode it launches.
 */
export function chaincodeEnv(
  project: ProjectConfig,
  packageId: string,
  mspId?: string,
): {name: string; value: string}[] {
  const {port, tls} = project.chaincode
  const listen = `0.0.0.0:${port}`
  const env: [string, string][] = [
    ['CHAINCODE_SERVER_ADDRESS', listen], // samples (Node scripts, Go), Java server mode
    ['CORE_CHAINCODE_ADDRESS', listen], // fabric-chaincode-node server
    ['CHAINCODE_ID', packageId], // samples (Node scripts, Go)
    ['CORE_CHAINCODE_ID', packageId], // fabric-chaincode-node server
    ['CORE_CHAINCODE_ID_NAME', packageId], // Java
    ['HOME', '/tmp'], // read-only root filesystem and an arbitrary UID: tools that write to $HOME (npm) get the emptyDir
  ]
  // shim.GetMSPID() (Go) and stub.getMspID() (Node) read it; without it they fail or answer nothing
  if (mspId) env.push(['CORE_PEER_LOCALMSPID', mspId])
  if (tls.enabled) {
    const cert = `${TLS_DIR}/tls.crt`
    const key = `${TLS_DIR}/tls.key`
    const ca = `${TLS_DIR}/ca.crt`
    env.push(
      // Node
      ['CORE_CHAINCODE_TLS_CERT_FILE', cert],
      ['CORE_CHAINCODE_TLS_KEY_FILE', key],
      // Go (fabric-samples chaincode-external conventions: file paths)
      ['CHAINCODE_TLS_DISABLED', 'false'],
      ['CHAINCODE_TLS_KEY', key],
      ['CHAINCODE_TLS_CERT', cert],
      // Java: the server pair, and the paths it insists on
      ['CORE_PEER_TLS_ENABLED', 'true'],
      ['CORE_TLS_CLIENT_KEY_FILE', key],
      ['CORE_TLS_CLIENT_CERT_FILE', cert],
      ['CORE_TLS_CLIENT_KEY_PATH', key],
      ['CORE_TLS_CLIENT_CERT_PATH', cert],
      ['CORE_PEER_TLS_ROOTCERT_FILE', ca],
    )
    if (tls.clientAuth) env.push(['CORE_CHAINCODE_TLS_CLIENT_CACERT_FILE', ca], ['CHAINCODE_CLIENT_CA_CERT', ca])
  } else {
    env.push(['CHAINCODE_TLS_DISABLED', 'true'], ['CORE_PEER_TLS_ENABLED', 'false'])
  }

  return env.map(([name, value]) => ({name, value}))
}

/**
 * Render the manifests, in apply order: Namespace, Secret (TLS on), then a Service and a Deployment for each
 * target (one, or one per peer name: targets.ts). A change of package ID or image changes the pod template
 * (annotations, env), which rolls the Deployment.
 */
export function renderManifests(project: ProjectConfig, opts: RenderOptions): Manifest[] {
  const {namespace} = opts
  const {tls} = project.chaincode
  if (tls.enabled && !opts.tls) throw new Error('renderManifests: chaincode.tls.enabled needs the TLS files')
  const out: Manifest[] = [
    {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        labels: {
          'pod-security.kubernetes.io/enforce': 'restricted',
          'pod-security.kubernetes.io/enforce-version': 'latest',
        },
        name: namespace,
      },
    },
  ]
  if (tls.enabled) {
    const files = opts.tls!
    const b64 = (s: string) => Buffer.from(s).toString('base64')
    out.push({
      apiVersion: 'v1',
      data: {'ca.crt': b64(files.ca), 'tls.crt': b64(files.cert), 'tls.key': b64(files.key)},
      kind: 'Secret',
      metadata: {
        labels: targetLabels(project, {name: project.name}, opts.packageId),
        name: tlsSecretName(project),
        namespace,
      },
      type: 'kubernetes.io/tls',
    })
  }

  for (const target of chaincodeTargets(project, namespace))
    out.push(renderService(project, target, opts), renderDeployment(project, target, opts))
  for (const m of out) stampHash(m)
  return out
}

/** What a target's pods are selected by: the chaincode, and the Deployment's own name. */
export function targetSelector(project: ProjectConfig, target: {name: string}): Record<string, string> {
  return {[LABEL_CHAINCODE]: project.name, [LABEL_NAME]: target.name}
}

function targetLabels(
  project: ProjectConfig,
  target: {name: string; peername?: string},
  packageId: string,
): Record<string, string> {
  return {
    ...targetSelector(project, target),
    ...(target.peername ? {[LABEL_PEER]: target.peername} : {}),
    [LABEL_PACKAGE]: packageIdLabel(packageId),
    [MANAGED_BY]: FIELD_MANAGER,
  }
}

function renderService(project: ProjectConfig, target: ChaincodeTarget, opts: RenderOptions): Manifest {
  const {port, service} = project.chaincode
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {labels: targetLabels(project, target, opts.packageId), name: target.name, namespace: opts.namespace},
    spec: {
      ports: [
        {
          appProtocol: 'grpc',
          name: 'chaincode',
          ...(service.type === 'NodePort' ? {nodePort: service.nodePort} : {}),
          port,
          protocol: 'TCP',
          targetPort: 'chaincode',
        },
      ],
      selector: targetSelector(project, target),
      type: service.type,
    },
  }
}

function renderDeployment(project: ProjectConfig, target: ChaincodeTarget, opts: RenderOptions): Manifest {
  const {image, namespace, packageId} = opts
  const {port, tls} = project.chaincode
  const labels = targetLabels(project, target, packageId)
  const annotations = {[ANNOTATION_IMAGE]: image, [ANNOTATION_PACKAGE]: packageId}
  const pull = podImage(project, image)
  const volumeMounts: Record<string, unknown>[] = [{mountPath: '/tmp', name: 'tmp'}]
  const volumes: Record<string, unknown>[] = [{emptyDir: {sizeLimit: '64Mi'}, name: 'tmp'}]
  if (tls.enabled) {
    volumeMounts.push({mountPath: TLS_DIR, name: 'tls', readOnly: true})
    volumes.push({name: 'tls', secret: {defaultMode: 0o440, secretName: tlsSecretName(project)}})
  }

  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {annotations, labels, name: target.name, namespace},
    spec: {
      minReadySeconds: MIN_READY_SECONDS,
      replicas: 1,
      revisionHistoryLimit: 3,
      selector: {matchLabels: targetSelector(project, target)},
      template: {
        metadata: {annotations, labels},
        spec: {
          automountServiceAccountToken: false,
          containers: [
            {
              env: chaincodeEnv(project, packageId, target.mspId),
              image: pull.image,
              imagePullPolicy: pull.imagePullPolicy,
              livenessProbe: probe(10, 10),
              name: CONTAINER,
              ports: [{containerPort: port, name: 'chaincode', protocol: 'TCP'}],
              readinessProbe: probe(1, 5),
              // no ephemeral-storage: nodes that do not report it (kwok, some providers) would never schedule the pod;
              // the /tmp emptyDir has a sizeLimit instead
              resources: {limits: {cpu: '500m', memory: '256Mi'}, requests: {cpu: '50m', memory: '64Mi'}},
              securityContext: {
                allowPrivilegeEscalation: false,
                capabilities: {drop: ['ALL']},
                privileged: false,
                readOnlyRootFilesystem: true,
                runAsGroup: 10_001,
                runAsNonRoot: true,
                runAsUser: 10_001,
                seccompProfile: {type: 'RuntimeDefault'},
              },
              volumeMounts,
            },
          ],
          enableServiceLinks: false,
          ...(pull.imagePullSecrets ? {imagePullSecrets: pull.imagePullSecrets} : {}),
          securityContext: {
            fsGroup: 10_001,
            runAsGroup: 10_001,
            runAsNonRoot: true,
            runAsUser: 10_001,
            seccompProfile: {type: 'RuntimeDefault'},
          },
          volumes,
        },
      },
    },
  }
}

/** Canonical JSON (sorted keys), so the hash depends only on content. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map((x) => canonical(x)).join(',')}]`
  if (v && typeof v === 'object')
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`
  return JSON.stringify(v)
}

/** Set metadata.annotations[fabk8s.io/manifest-hash] to the hash of everything else in the manifest. */
function stampHash(m: Manifest): void {
  const annotations = {...m.metadata.annotations}
  delete annotations[ANNOTATION_HASH]
  m.metadata.annotations = annotations
  const hash = createHash('sha256').update(canonical(m)).digest('hex').slice(0, 32)
  m.metadata.annotations = {...annotations, [ANNOTATION_HASH]: hash}
}

/** A TCP probe on the named chaincode port. */
function probe(initialDelaySeconds: number, periodSeconds: number) {
  return {failureThreshold: 3, initialDelaySeconds, periodSeconds, tcpSocket: {port: 'chaincode'}, timeoutSeconds: 2}
}

/** Manifests as one multi-document YAML stream, or a v1 List in JSON. */
export async function formatManifests(manifests: Manifest[], format: 'json' | 'yaml'): Promise<string> {
  if (format === 'json') return JSON.stringify({apiVersion: 'v1', items: manifests, kind: 'List'}, null, 2) + '\n'
  const {stringify} = await import('yaml')
  return manifests.map((m) => stringify(m, {lineWidth: 0, sortMapEntries: false})).join('---\n')
}
