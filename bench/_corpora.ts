/**
 * The generated manifests of bench/doctor.ts: Deployments (one in ten a Fabric peer with CORE_VM_ENDPOINT, one in ten
 * mounting docker.sock) and pods as `kubectl get pods -o yaml` prints them. Also read by the differential tests of
 * doctor's YAML reader (test/lib/doctor/input/fast-yaml.test.ts), which must take its fast path on all of them. The
 * leading `_`: a module, not a bench of its own (run-all.js skips it).
 */
export function deployment(i: number): string {
  const kind = i % 10
  const peer = kind === 0
  const sock = kind === 1
  return `---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-${i}
  namespace: ns-${i % 50}
spec:
  replicas: 2
  selector:
    matchLabels:
      app: app-${i}
  template:
    metadata:
      labels:
        app: app-${i}
    spec:
      containers:
        - name: ${peer ? 'peer' : 'main'}
          image: ${peer ? 'hyperledger/fabric-peer:2.5' : `registry.example.com/team/app-${i}:1.${i % 7}.0`}
          ${peer ? 'command: ["peer", "node", "start"]' : 'args: ["--port", "8080"]'}
          ports:
            - containerPort: 8080
              name: http
          env:
            - name: LOG_LEVEL
              value: info
            - name: ${peer ? 'CORE_VM_ENDPOINT' : 'FEATURE_FLAG'}
              value: "${peer ? 'unix:///host/var/run/docker.sock' : 'on'}"
          readinessProbe:
            httpGet: {path: /healthz, port: http}
          volumeMounts:
            - name: config
              mountPath: /etc/app${sock ? '\n            - name: dockersock\n              mountPath: /var/run/docker.sock' : ''}
      volumes:
        - name: config
          configMap:
            name: app-${i}-config${sock ? '\n        - name: dockersock\n          hostPath:\n            path: /var/run/docker.sock' : ''}
`
}

/** A pod as `kubectl get pods -o yaml` prints it: sorted keys, managedFields, status. */
export function kubectlPod(i: number, indent: string): string {
  const name = `web-${i.toString(36)}-${(i * 7919).toString(36).slice(-5)}`
  const ns = `team-${i % 40}`
  const priv = i % 25 === 0
  const body = `apiVersion: v1
kind: Pod
metadata:
  creationTimestamp: "2025-05-01T10:${String(i % 60).padStart(2, '0')}:00Z"
  generateName: web-${i.toString(36)}-
  labels:
    app: web
    pod-template-hash: ${(i * 31).toString(36)}
  managedFields:
  - apiVersion: v1
    fieldsType: FieldsV1
    fieldsV1:
      f:metadata:
        f:generateName: {}
        f:labels:
          .: {}
          f:app: {}
          f:pod-template-hash: {}
        f:ownerReferences:
          .: {}
          k:{"uid":"0a1b2c3d-${i}"}: {}
      f:spec:
        f:containers:
          k:{"name":"web"}:
            .: {}
            f:env:
              .: {}
              k:{"name":"LOG_LEVEL"}:
                .: {}
                f:name: {}
                f:value: {}
            f:image: {}
            f:imagePullPolicy: {}
            f:name: {}
            f:ports: {}
            f:resources: {}
    manager: kube-controller-manager
    operation: Update
    time: "2025-05-01T10:00:00Z"
  - apiVersion: v1
    fieldsType: FieldsV1
    fieldsV1:
      f:status:
        f:conditions:
          k:{"type":"Ready"}:
            .: {}
            f:lastProbeTime: {}
            f:lastTransitionTime: {}
            f:status: {}
            f:type: {}
        f:containerStatuses: {}
        f:hostIP: {}
        f:phase: {}
        f:podIP: {}
        f:startTime: {}
    manager: kubelet
    operation: Update
    subresource: status
    time: "2025-05-01T10:00:05Z"
  name: ${name}
  namespace: ${ns}
  ownerReferences:
  - apiVersion: apps/v1
    blockOwnerDeletion: true
    controller: true
    kind: ReplicaSet
    name: web-${i.toString(36)}
    uid: 0a1b2c3d-${i}
  resourceVersion: "${100_000 + i}"
  uid: 9f8e7d6c-${i}
spec:
  containers:
  - env:
    - name: LOG_LEVEL
      value: info
    image: registry.example.com/web:1.${i % 9}.0
    imagePullPolicy: IfNotPresent
    name: web
    ports:
    - containerPort: 8080
      name: http
      protocol: TCP
    resources:
      limits:
        cpu: 500m
        memory: 256Mi
      requests:
        cpu: 100m
        memory: 128Mi
    securityContext:
      allowPrivilegeEscalation: false
      privileged: ${priv}
      runAsNonRoot: true
      runAsUser: 1000
    terminationMessagePath: /dev/termination-log
    terminationMessagePolicy: File
    volumeMounts:
    - mountPath: /var/run/secrets/kubernetes.io/serviceaccount
      name: kube-api-access-${i.toString(36)}
      readOnly: true
  dnsPolicy: ClusterFirst
  enableServiceLinks: true
  nodeName: node-${i % 12}
  preemptionPolicy: PreemptLowerPriority
  priority: 0
  restartPolicy: Always
  schedulerName: default-scheduler
  securityContext: {}
  serviceAccount: default
  serviceAccountName: default
  terminationGracePeriodSeconds: 30
  tolerations:
  - effect: NoExecute
    key: node.kubernetes.io/not-ready
    operator: Exists
    tolerationSeconds: 300
  volumes:
  - name: kube-api-access-${i.toString(36)}
    projected:
      defaultMode: 420
      sources:
      - serviceAccountToken:
          expirationSeconds: 3607
          path: token
      - configMap:
          items:
          - key: ca.crt
            path: ca.crt
          name: kube-root-ca.crt
status:
  conditions:
  - lastProbeTime: null
    lastTransitionTime: "2025-05-01T10:00:03Z"
    status: "True"
    type: Ready
  containerStatuses:
  - containerID: containerd://${(i * 104_729).toString(16).padStart(12, '0')}
    image: registry.example.com/web:1.${i % 9}.0
    imageID: registry.example.com/web@sha256:${(i * 15_485_863).toString(16).padStart(16, '0')}
    lastState: {}
    name: web
    ready: true
    restartCount: 0
    started: true
    state:
      running:
        startedAt: "2025-05-01T10:00:02Z"
  hostIP: 10.0.${i % 12}.10
  phase: Running
  podIP: 10.244.${i % 250}.${i % 200}
  qosClass: Burstable
  startTime: "2025-05-01T10:00:00Z"
`
  const lines = body.trimEnd().split('\n')
  return `${indent}- ${lines[0]}\n${lines
    .slice(1)
    .map((l) => `${indent}  ${l}`)
    .join('\n')}\n`
}
