import {expect} from 'chai'

import {classifyHostPath} from '../../../src/lib/doctor/model/sockets.js'
import {imageTag} from '../../../src/lib/doctor/rules/chaincode-mutable-tag.js'
import {RULES} from '../../../src/lib/doctor/rules/index.js'
import {check, ids, only} from './helpers.js'

/** A Deployment around a pod spec given as YAML (indented for `spec.template.spec`). */
function deploy(podSpec: string, extra = ''): string {
  const body = podSpec
    .trim()
    .split('\n')
    .map((l) => '      ' + l)
    .join('\n')
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: d
  namespace: ns
${extra}spec:
  selector: {matchLabels: {app: d}}
  template:
    metadata: {labels: {app: d}}
    spec:
${body}
`
}

const NONROOT = 'securityContext: {runAsNonRoot: true, runAsUser: 1000}\n'

describe('doctor rules', () => {
  it('every rule has an ID, a severity, a description and a remediation; IDs are unique', () => {
    const idsSeen = new Set(RULES.map((r) => r.id))
    expect(idsSeen.size).to.equal(RULES.length)
    expect([...idsSeen]).to.include.members([
      'docker-socket-mount',
      'runtime-socket-volume',
      'dind-sidecar',
      'peer-vm-endpoint',
      'peer-no-external-builder',
      'operator-docker-socket',
      'vm-endpoint-non-peer',
      'privileged-container',
      'host-namespaces',
      'dangerous-capabilities',
      'privilege-escalation',
      'host-path',
      'run-as-root',
      'chaincode-missing-id',
      'chaincode-mutable-tag',
      'chaincode-no-probes',
    ])
    for (const r of RULES) expect(r.description && r.remediation && r.title, r.id).to.be.ok
  })

  describe('classifyHostPath', () => {
    it('knows runtime sockets anywhere and the directories that hold them, with or without trailing slash', () => {
      for (const p of [
        '/var/run/docker.sock',
        '/run/containerd/containerd.sock',
        '/var/run/crio/crio.sock',
        '/var/run/cri-dockerd.sock',
        '/var/run/dockershim.sock',
        '/run/k3s/containerd/containerd.sock',
        '/run/podman/podman.sock',
        '/run/user/1000/podman/podman.sock',
      ])
        expect(classifyHostPath(p)?.kind, p).to.equal('socket')
      for (const p of [
        '/var/run',
        '/var/run/',
        '/run',
        '/run/',
        '/var/run/containerd',
        '/run/containerd/',
        '/var/run/crio',
        '/run/podman',
        '/var/run/podman/',
        '/var',
        '/',
        '//var//run//',
      ])
        expect(classifyHostPath(p)?.kind, p).to.equal('dir')
      for (const p of ['/data', '/var/lib/docker', '/var/log', '/run/secrets/x', '/home/docker.socket', '', undefined])
        expect(classifyHostPath(p), String(p)).to.equal(null)
    })
  })

  describe('docker-socket-mount / runtime-socket-volume', () => {
    it('fires on each container that mounts a socket or a socket directory, in init and ephemeral containers too', async () => {
      const {findings} = await check(
        deploy(`
${NONROOT}initContainers:
  - {name: setup, image: busybox:1, volumeMounts: [{name: run, mountPath: /host/run/}]}
containers:
  - name: app
    image: app:1
    volumeMounts:
      - name: sock
        mountPath: /var/run/docker.sock
ephemeralContainers:
  - {name: debug, image: busybox:1, volumeMounts: [{name: sock, mountPath: /s}]}
volumes:
  - {name: sock, hostPath: {path: /var/run/docker.sock, type: Socket}}
  - {name: run, hostPath: {path: /run/}}`),
      )
      expect(ids(findings, 'docker-socket-mount')).to.deep.equal([
        'docker-socket-mount@app',
        'docker-socket-mount@debug',
        'docker-socket-mount@setup',
      ])
      expect(only(findings, 'runtime-socket-volume')).to.deep.equal([])
      expect(only(findings, 'host-path')).to.deep.equal([])
      expect(only(findings, 'docker-socket-mount')[0].severity).to.equal('critical')
    })

    it('an unmounted socket volume is runtime-socket-volume (high), not docker-socket-mount', async () => {
      const {findings} = await check(
        deploy(
          `${NONROOT}containers: [{name: app, image: app:1}]\nvolumes: [{name: s, hostPath: {path: "/run/containerd/containerd.sock"}}]`,
        ),
      )
      expect(ids(findings)).to.deep.equal(['runtime-socket-volume@-'])
      expect(findings[0].severity).to.equal('high')
    })

    it('trap: /var/run as an emptyDir shared with a DinD sidecar is not a host socket', async () => {
      const {findings} = await check(
        deploy(`
${NONROOT}containers:
  - {name: app, image: app:1, env: [{name: DOCKER_HOST, value: unix:///var/run/docker.sock}], volumeMounts: [{name: run, mountPath: /var/run}]}
volumes: [{name: run, emptyDir: {medium: Memory}}]`),
      )
      expect(findings.filter((f) => f.rule.includes('socket'))).to.deep.equal([])
    })
  })

  describe('dind-sidecar', () => {
    it('fires on docker:*dind* images, dockerd in args, and privileged docker-named containers or 2375/2376 ports', async () => {
      const {findings} = await check(
        deploy(`
${NONROOT}containers:
  - {name: a, image: "docker:24.0-dind-rootless"}
  - {name: b, image: "alpine:3", args: [dockerd, --host=tcp://0.0.0.0:2375]}
  - {name: docker, image: "", securityContext: {privileged: true}}
  - {name: c, image: "", securityContext: {privileged: true}, ports: [{containerPort: 2376}]}
  - {name: d, image: "docker:24-cli", ports: [{containerPort: 2375}]}`),
      )
      expect(ids(findings, 'dind-sidecar')).to.deep.equal([
        'dind-sidecar@a',
        'dind-sidecar@b',
        'dind-sidecar@c',
        'dind-sidecar@docker',
      ])
    })

    it('trap: a Docker CLI image or a non-privileged container named docker is not DinD', async () => {
      const {findings} = await check(
        deploy(`${NONROOT}containers:\n  - {name: docker, image: "docker:24-cli", command: [docker, build, .]}`),
      )
      expect(only(findings, 'dind-sidecar')).to.deep.equal([])
    })
  })

  describe('peer-vm-endpoint / peer-no-external-builder / vm-endpoint-non-peer', () => {
    const peer = (env: string, extra = '') =>
      deploy(`${NONROOT}containers:\n  - name: peer\n    image: hyperledger/fabric-peer:2.5\n    env: ${env}\n${extra}`)

    it('fires on a peer with a unix endpoint, saying where the socket comes from', async () => {
      const {findings} = await check(
        deploy(`${NONROOT}containers:
  - {name: peer, image: hyperledger/fabric-peer:2.5, env: [{name: CORE_VM_ENDPOINT, value: "unix:///host/var/run/docker.sock"}], volumeMounts: [{name: s, mountPath: /host/var/run/docker.sock}]}
volumes: [{name: s, hostPath: {path: /var/run/docker.sock}}]`),
      )
      expect(ids(findings)).to.deep.equal([
        'docker-socket-mount@peer',
        'peer-no-external-builder@peer',
        'peer-vm-endpoint@peer',
      ])
      expect(only(findings, 'peer-vm-endpoint')[0].message).to.match(
        /unix socket: the host's socket through hostPath \/var\/run\/docker.sock/,
      )
      expect(only(findings, 'peer-no-external-builder')[0].remediation)
        .to.contain('ccaas_builder')
        .and.contain('CORE_VM_ENDPOINT=""')
    })

    it('says tcp:2375 is an unauthenticated Docker API', async () => {
      const {findings} = await check(peer('[{name: CORE_VM_ENDPOINT, value: "tcp://docker:2375"}]'))
      expect(only(findings, 'peer-vm-endpoint')[0].message).to.match(/unauthenticated tcp Docker API/)
    })

    it('trap: an empty CORE_VM_ENDPOINT is the correct setting and fires nothing', async () => {
      for (const v of ['""', "''", '"  "']) {
        const {findings} = await check(
          peer(
            `[{name: CORE_VM_ENDPOINT, value: ${v}}, {name: CORE_CHAINCODE_EXTERNALBUILDERS, value: '[{"name":"ccaas_builder","path":"/opt/hyperledger/ccaas_builder"}]'}]`,
          ),
        )
        expect(findings, v).to.deep.equal([])
      }

      const {findings} = await check(peer('[{name: CORE_VM_ENDPOINT}]'))
      expect(findings).to.deep.equal([])
    })

    it('resolves envFrom ConfigMaps (with prefix) and valueFrom configMapKeyRef in the same input', async () => {
      const cm = `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: peer-env, namespace: ns}\ndata:\n  VM_ENDPOINT: unix:///var/run/docker.sock\n  CORE_VM_ENDPOINT: tcp://dind:2375\n---\n`
      const a = await check(cm + peer('[]', '    envFrom: [{configMapRef: {name: peer-env}}]'))
      expect(only(a.findings, 'peer-vm-endpoint')[0].message)
        .to.contain('tcp://dind:2375')
        .and.contain('envFrom ConfigMap "peer-env"')
      const b = await check(
        cm + peer('[{name: CORE_VM_ENDPOINT, valueFrom: {configMapKeyRef: {name: peer-env, key: VM_ENDPOINT}}}]'),
      )
      expect(only(b.findings, 'peer-vm-endpoint')[0].message).to.contain('unix:///var/run/docker.sock')
      const c = await check(cm + peer('[]', '    envFrom: [{prefix: CORE_, configMapRef: {name: peer-env}}]'))
      expect(only(c.findings, 'peer-vm-endpoint')[0].message).to.contain('unix:///var/run/docker.sock')
      // env overrides envFrom: an explicit empty value turns it off
      const d = await check(
        cm + peer('[{name: CORE_VM_ENDPOINT, value: ""}]', '    envFrom: [{configMapRef: {name: peer-env}}]'),
      )
      expect(only(d.findings, 'peer-vm-endpoint')).to.deep.equal([])
    })

    it('reads vm.endpoint and chaincode.externalBuilders from a mounted core.yaml ConfigMap', async () => {
      const core = (vm: string, eb: string) =>
        `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: core}\ndata:\n  core.yaml: |\n    vm:\n      endpoint: ${vm}\n    chaincode:\n      externalBuilders: ${eb}\n---\n`
      const podWithCore = deploy(`${NONROOT}containers:
  - {name: peer, image: hyperledger/fabric-peer:2.5, volumeMounts: [{name: cfg, mountPath: /etc/hyperledger/fabric}]}
volumes: [{name: cfg, configMap: {name: core}}]`)
      const a = await check(core('unix:///var/run/docker.sock', '[]') + podWithCore)
      expect(ids(a.findings)).to.deep.equal(['peer-no-external-builder@peer', 'peer-vm-endpoint@peer'])
      expect(only(a.findings, 'peer-vm-endpoint')[0].message).to.contain('core.yaml of ConfigMap "core"')
      const b = await check(
        core('unix:///var/run/docker.sock', '[{name: ccaas_builder, path: /opt/hyperledger/ccaas_builder}]') +
          podWithCore,
      )
      expect(ids(b.findings)).to.deep.equal(['peer-vm-endpoint@peer'])
      const c = await check(core('""', '[{name: ccaas_builder, path: /opt/hyperledger/ccaas_builder}]') + podWithCore)
      expect(c.findings).to.deep.equal([])
    })

    it('trap: a CLI Job with CORE_VM_ENDPOINT (and CORE_PEER_ID) is vm-endpoint-non-peer (info) only', async () => {
      const {findings} = await check(`apiVersion: batch/v1
kind: Job
metadata: {name: install}
spec:
  template:
    spec:
      securityContext: {runAsNonRoot: true, runAsUser: 1000}
      containers:
        - name: cli
          image: hyperledger/fabric-tools:2.5
          command: [sh, -c, "peer lifecycle chaincode install cc.tgz"]
          env:
            - {name: CORE_VM_ENDPOINT, value: "unix:///host/var/run/docker.sock"}
            - {name: CORE_PEER_ID, value: cli}
            - {name: CORE_PEER_ADDRESS, value: "peer0:7051"}
`)
      expect(ids(findings)).to.deep.equal(['vm-endpoint-non-peer@cli'])
      expect(findings[0].severity).to.equal('info')
    })

    it('recognises peers by `peer node start` inside sh -c, by image, and by name + CORE_PEER_* env', async () => {
      const env =
        '[{name: CORE_VM_ENDPOINT, value: "unix:///var/run/docker.sock"}, {name: CORE_PEER_ADDRESS, value: "x:7051"}]'
      const {findings} = await check(
        deploy(`${NONROOT}containers:
  - {name: a, image: "", command: [sh, -c, "sleep 1 && peer node start"], env: ${env}}
  - {name: b, image: "quay.io/kfsoftware/fabric-peer:2.4", env: ${env}}
  - {name: peer, image: "", env: ${env}}
  - {name: orderer, image: "hyperledger/fabric-orderer:2.5", env: ${env}}`),
      )
      expect(ids(findings, 'peer-vm-endpoint')).to.deep.equal([
        'peer-vm-endpoint@a',
        'peer-vm-endpoint@b',
        'peer-vm-endpoint@peer',
      ])
      expect(ids(findings, 'vm-endpoint-non-peer')).to.deep.equal(['vm-endpoint-non-peer@orderer'])
    })
  })

  describe('operator-docker-socket', () => {
    it('fires on FabricPeer spec.dockerSocketPath, not on a clean IBPPeer or an empty path', async () => {
      const a = await check(
        'apiVersion: hlf.kungfusoftware.es/v1alpha1\nkind: FabricPeer\nmetadata: {name: p}\nspec:\n  dockerSocketPath: /var/run/docker.sock\n',
      )
      expect(ids(a.findings)).to.deep.equal(['operator-docker-socket@-'])
      const b = await check(
        'apiVersion: hlf.kungfusoftware.es/v1alpha1\nkind: FabricPeer\nmetadata: {name: p}\nspec:\n  dockerSocketPath: ""\n',
      )
      expect(b.findings).to.deep.equal([])
      const c = await check(
        'apiVersion: ibp.com/v1beta1\nkind: IBPPeer\nmetadata: {name: p}\nspec:\n  chaincodeBuilderConfig: {peername: org1-peer1}\n',
      )
      expect(c.findings).to.deep.equal([])
      const d = await check(
        'apiVersion: ibp.com/v1beta1\nkind: IBPPeer\nmetadata: {name: p}\nspec:\n  dindArgs: ["--log-driver", "fluentd"]\n',
      )
      expect(ids(d.findings)).to.deep.equal(['operator-docker-socket@-'])
    })
  })

  describe('generic rules', () => {
    it('privileged-container, dangerous-capabilities, privilege-escalation, host-namespaces, host-path', async () => {
      const {findings} = await check(
        deploy(`${NONROOT}hostNetwork: true
hostPID: true
containers:
  - {name: p, image: a:1, securityContext: {privileged: true}}
  - {name: c, image: a:1, securityContext: {capabilities: {add: [NET_BIND_SERVICE, CAP_SYS_ADMIN]}}}
  - {name: e, image: a:1, securityContext: {allowPrivilegeEscalation: true}, volumeMounts: [{name: data, mountPath: /data}]}
  - {name: ok, image: a:1, securityContext: {allowPrivilegeEscalation: false, capabilities: {add: [NET_BIND_SERVICE]}}}
volumes: [{name: data, hostPath: {path: /srv/data}}]`),
      )
      expect(ids(findings)).to.deep.equal([
        'dangerous-capabilities@c',
        'host-namespaces@-',
        'host-path@e',
        'privilege-escalation@e',
        'privileged-container@p',
      ])
      expect(only(findings, 'host-namespaces')[0].message).to.contain('hostNetwork, hostPID')
    })

    it('run-as-root: container settings override the pod; runAsUser 0 always fires', async () => {
      const {findings} = await check(
        deploy(`securityContext: {runAsNonRoot: true, runAsUser: 1000}
initContainers:
  - {name: init, image: a:1, securityContext: {runAsNonRoot: false, runAsUser: 0}}
containers:
  - {name: inherits, image: a:1}
  - {name: uid, image: a:1, securityContext: {runAsUser: 0}}`),
      )
      expect(ids(findings)).to.deep.equal(['run-as-root@init', 'run-as-root@uid'])
      const bare = await check(
        deploy('containers: [{name: x, image: a:1}, {name: y, image: a:1, securityContext: {runAsUser: 1001}}]'),
      )
      expect(ids(bare.findings)).to.deep.equal(['run-as-root@x'])
    })
  })

  describe('chaincode servers', () => {
    it('trap: a clean CCaaS deployment (pinned image, CHAINCODE_ID, probes, non-root) has no findings', async () => {
      const {findings} = await check(
        deploy(`${NONROOT}containers:
  - name: chaincode
    image: registry.local/asset-transfer:1.0.3
    env: [{name: CHAINCODE_SERVER_ADDRESS, value: "0.0.0.0:9999"}, {name: CHAINCODE_ID, value: "basic_1.0:abc"}]
    readinessProbe: {tcpSocket: {port: 9999}}
    livenessProbe: {tcpSocket: {port: 9999}}
    securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}`),
      )
      expect(findings).to.deep.equal([])
    })

    it('chaincode-missing-id, chaincode-mutable-tag, chaincode-no-probes', async () => {
      const {findings} = await check(
        deploy(`${NONROOT}containers:
  - {name: a, image: "registry.local/cc", env: [{name: CHAINCODE_SERVER_ADDRESS, value: "0.0.0.0:9999"}]}
  - {name: b, image: "registry.local:5000/cc:latest", env: [{name: CORE_CHAINCODE_ADDRESS, value: "0.0.0.0:9999"}, {name: CORE_CHAINCODE_ID_NAME, value: "cc:1"}], readinessProbe: {tcpSocket: {port: 9999}}}
  - {name: c, image: "registry.local/cc@sha256:0123", env: [{name: CHAINCODE_SERVER_ADDRESS, value: "0.0.0.0:9999"}, {name: CHAINCODE_ID, value: ""}], livenessProbe: {tcpSocket: {port: 9999}}}`),
      )
      expect(ids(findings)).to.deep.equal([
        'chaincode-missing-id@a',
        'chaincode-missing-id@c',
        'chaincode-mutable-tag@a',
        'chaincode-mutable-tag@b',
        'chaincode-no-probes@a',
      ])
    })

    it('imageTag handles registries with ports and digests', () => {
      expect(imageTag('registry.local:5000/cc')).to.equal(null)
      expect(imageTag('registry.local:5000/cc:1.2')).to.equal('1.2')
      expect(imageTag('cc@sha256:00')).to.equal('@digest')
    })
  })
})
