import {expect} from 'chai'
import {promises as fs} from 'node:fs'
import path from 'node:path'

import type {Finding, InputError} from '../../../src/lib/doctor/types.js'

import {readSources} from '../../../src/lib/doctor/input/files.js'
import {parseSources} from '../../../src/lib/doctor/input/parse.js'
import {checkObjects} from '../../../src/lib/doctor/run.js'
import {CORPUS, corpusMissing, RENDERED} from './helpers.js'

/** The Docker/Fabric rules whose findings must match EXPECTED.md exactly (generic ones are checked where it names them). */
const DOCKER_RULES = new Set([
  'dind-sidecar',
  'docker-socket-mount',
  'operator-docker-socket',
  'peer-no-external-builder',
  'peer-vm-endpoint',
  'privilege-escalation',
  'privileged-container',
  'runtime-socket-volume',
  'vm-endpoint-non-peer',
])

interface Expectation {
  /** rule@container (or rule@- for object-level findings), as a multiset, for DOCKER_RULES. */
  docker: string[]
  /** Extra checks (generic rules, messages, objects). */
  extra?: (fs: Finding[]) => void
  /** Raw template: an input error with a line, no findings. */
  template?: true
}

const x = (rule: string, ...containers: string[]) => containers.map((c) => `${rule}@${c}`)
const PEERS5 = ['peer0.org1.example.com', 'peer1.org1.example.com', 'peer0.org2.example.com', 'peer1.org2.example.com']
const genericOn = (fs: Finding[], rule: string) =>
  fs
    .filter((f) => f.rule === rule)
    .map((f) => f.container)
    .sort()

const EXPECTED: Record<string, Expectation> = {
  '01-fabric-operator-peer-dind.yaml': {
    docker: [...x('dind-sidecar', 'dind'), ...x('privileged-container', 'dind'), ...x('privilege-escalation', 'dind')],
    extra: (fs) => expect(genericOn(fs, 'run-as-root')).to.include('init'),
  },
  '02-fabric-operator-peer-clean.yaml': {
    docker: [],
    extra: (fs) => expect(genericOn(fs, 'run-as-root')).to.deep.equal(['init']),
  },
  '03-test-network-k8s-org1-peer1.yaml': {
    docker: [],
    extra(fs) {
      expect(genericOn(fs, 'run-as-root')).to.deep.equal(['couchdb', 'main'])
      expect(fs.filter((f) => f.severity === 'critical' || f.severity === 'high')).to.deep.equal([])
    },
  },
  '04-test-network-k8s-org1-cc-template.yaml': {docker: [], template: true},
  '05-fabric-samples-pr44-byfn-k8s-var-run.yaml': {
    docker: [
      ...x('docker-socket-mount', 'cli', ...PEERS5),
      ...x('peer-vm-endpoint', ...PEERS5),
      ...x('peer-no-external-builder', ...PEERS5),
      ...x('vm-endpoint-non-peer', 'cli'),
    ],
    extra(fs) {
      expect(fs.filter((f) => f.rule === 'host-path')).to.have.length(15)
      for (const f of fs.filter((f) => f.rule === 'docker-socket-mount')) expect(f.message).to.contain('/var/run/')
      for (const f of fs.filter((f) => f.rule === 'peer-vm-endpoint')) expect(f.message).to.match(/unix socket/)
    },
  },
  '06-ibm-bnok-peersDeployment.yaml': {
    docker: [
      ...x('docker-socket-mount', 'org1peer1', 'org2peer1', 'org3peer1', 'org4peer1'),
      ...x('peer-vm-endpoint', 'org1peer1', 'org2peer1', 'org3peer1', 'org4peer1'),
      ...x('peer-no-external-builder', 'org1peer1', 'org2peer1', 'org3peer1', 'org4peer1'),
    ],
    extra(fs) {
      for (const f of fs.filter((f) => f.rule === 'peer-vm-endpoint'))
        expect(f.message).to.match(/unauthenticated tcp Docker API.*docker:2375/)
      expect(genericOn(fs, 'run-as-root')).to.include.members(['orderer', 'ca'])
    },
  },
  '07-ibm-bnok-docker-dind.yaml': {docker: [...x('dind-sidecar', 'docker'), ...x('privileged-container', 'docker')]},
  '08-ibm-bnok-copyArtifactsJob.yaml': {
    docker: x('runtime-socket-volume', '-'),
    extra: (fs) => expect(fs.find((f) => f.rule === 'runtime-socket-volume')!.message).to.contain('dockersocket'),
  },
  '09-feitnomore-org1peer1-deploy.yaml': {
    docker: [
      ...x('docker-socket-mount', 'peer'),
      ...x('peer-vm-endpoint', 'peer'),
      ...x('peer-no-external-builder', 'peer'),
    ],
  },
  '10-ibm-container-service-blockchain.yaml': {
    docker: [
      ...x('runtime-socket-volume', '-'),
      ...x('docker-socket-mount', 'org1peer1', 'org2peer1'),
      ...x('peer-vm-endpoint', 'org1peer1', 'org2peer1'),
      ...x('peer-no-external-builder', 'org1peer1', 'org2peer1'),
    ],
    extra: (fs) => expect(fs.find((f) => f.rule === 'runtime-socket-volume')!.name).to.equal('utils'),
  },
  '11-ibm-container-service-helm-org1peer1.tpl.yaml': {docker: [], template: true},
  '12-feitnomore-fabric-tools-pod.yaml': {docker: x('docker-socket-mount', 'fabrictools')},
  '13-cello-helm-peer-dpy.tpl.yaml': {docker: [], template: true},
  '14-cello-operator-peer-statefulset-dind.yaml': {
    docker: [
      ...x('dind-sidecar', 'dind'),
      ...x('privileged-container', 'dind'),
      ...x('peer-vm-endpoint', 'peer'),
      ...x('peer-no-external-builder', 'peer'),
    ],
    extra: (fs) => expect(fs.find((f) => f.rule === 'peer-vm-endpoint')!.message).to.match(/emptyDir/),
  },
  '15-helm-stable-hlf-peer-deployment.tpl.yaml': {docker: [], template: true},
  '16-helm-stable-hlf-peer-configmap.tpl.yaml': {docker: [], template: true},
  '17-hlf-operator-fabricpeer-cr.yaml': {
    docker: x('operator-docker-socket', '-'),
    extra: (fs) => expect(fs[0].message).to.contain('spec.dockerSocketPath'),
  },
  '18-bevel-fabric-peernode-statefulset.tpl.yaml': {docker: [], template: true},
  '19-bevel-fabric-external-chaincode-deployment.tpl.yaml': {docker: [], template: true},
  '20-bevel-install-external-chaincode-job.tpl.yaml': {docker: [], template: true},
  '21-pivt-peer-statefulset.tpl.yaml': {docker: [], template: true},
  '22-test-network-k8s-fabric-builder-role.yaml': {docker: [], extra: (fs) => expect(fs).to.deep.equal([])},
  '23-fabric-samples-ibppeer-cr-ccaas.yaml': {docker: [], extra: (fs) => expect(fs).to.deep.equal([])},
  '24-kyverno-cri-sock-fixtures.yaml': {
    docker: x('runtime-socket-volume', '-', '-', '-', '-'),
    extra(fs) {
      const paths = fs
        .filter((f) => f.rule === 'runtime-socket-volume')
        .map((f) => /hostPath (\S+)/.exec(f.message)![1])
      expect(paths.sort()).to.deep.equal([
        '/var/run/containerd/containerd.sock',
        '/var/run/cri-dockerd.sock',
        '/var/run/crio/crio.sock',
        '/var/run/docker.sock',
      ])
      expect(fs.filter((f) => f.name === 'goodpod01' && f.rule !== 'run-as-root').map((f) => f.rule)).to.deep.equal([
        'host-path',
      ])
      expect(fs.filter((f) => f.name === 'pod-with-emptydir-volume' && f.rule !== 'run-as-root')).to.deep.equal([])
    },
  },
  '25-kyverno-docker-socket-podcontrollers-bad.yaml': {
    docker: x('runtime-socket-volume', '-', '-', '-', '-'),
    extra: (fs) =>
      expect(
        fs
          .filter((f) => f.rule === 'runtime-socket-volume')
          .map((f) => f.kind)
          .sort(),
      ).to.deep.equal(['CronJob', 'CronJob', 'Deployment', 'Deployment']),
  },
  '26-dds-fixtures-all-kinds.yaml': {
    docker: x('docker-socket-mount', 'busybox', 'docker-volume', 'pause', 'pause', 'pause', 'pause', 'pause'),
    extra(fs) {
      expect(
        fs
          .filter((f) => f.rule === 'docker-socket-mount')
          .map((f) => f.kind)
          .sort(),
      ).to.deep.equal(['CronJob', 'DaemonSet', 'Deployment', 'Job', 'Pod', 'ReplicaSet', 'StatefulSet'])
      expect(
        fs.filter((f) => ['empty-volume', 'no-volume'].includes(f.name!) && f.rule !== 'run-as-root'),
      ).to.deep.equal([])
    },
  },
}

/** Rendered (trimmed, by hand) versions of the templates, checked against EXPECTED.md's "after rendering". */
const RENDERED_EXPECTED: Record<string, Expectation> = {
  '04-test-network-k8s-org1-cc.yaml': {docker: []},
  '11-ibm-container-service-org1peer1.yaml': {
    docker: [
      ...x('docker-socket-mount', 'org1peer1'),
      ...x('peer-vm-endpoint', 'org1peer1'),
      ...x('peer-no-external-builder', 'org1peer1'),
    ],
  },
  '13-cello-peer-dpy.yaml': {
    docker: [
      ...x('docker-socket-mount', 'peer0'),
      ...x('peer-vm-endpoint', 'peer0'),
      ...x('peer-no-external-builder', 'peer0'),
    ],
  },
  '15-16-helm-stable-hlf-peer.yaml': {
    docker: [
      ...x('docker-socket-mount', 'peer'),
      ...x('peer-vm-endpoint', 'peer'),
      ...x('peer-no-external-builder', 'peer'),
    ],
    extra: (fs) =>
      expect(fs.find((f) => f.rule === 'peer-vm-endpoint')!.message).to.contain(
        'envFrom ConfigMap "peer-hlf-peer--peer"',
      ),
  },
  '18-bevel-peernode.yaml': {
    docker: [...x('docker-socket-mount', 'peer0'), ...x('peer-vm-endpoint', 'peer0')],
    extra: (fs) =>
      expect(fs.find((f) => f.rule === 'peer-vm-endpoint')!.message).to.match(
        /although external builders are configured/,
      ),
  },
  '19-bevel-external-chaincode.yaml': {
    docker: [],
    extra: (fs) => expect(fs.map((f) => f.rule)).to.not.include('chaincode-missing-id'),
  },
  '20-bevel-install-job.yaml': {docker: x('vm-endpoint-non-peer', 'instextcc')},
  '21-pivt-peer-default.yaml': {
    docker: [
      ...x('docker-socket-mount', 'peer'),
      ...x('peer-vm-endpoint', 'peer'),
      ...x('peer-no-external-builder', 'peer'),
    ],
  },
  '21-pivt-peer-dind.yaml': {
    docker: [
      ...x('dind-sidecar', 'dind'),
      ...x('privileged-container', 'dind'),
      ...x('peer-vm-endpoint', 'peer'),
      ...x('peer-no-external-builder', 'peer'),
    ],
    extra(fs) {
      expect(fs.find((f) => f.rule === 'peer-vm-endpoint')!.message).to.match(/unauthenticated tcp Docker API/)
      expect(fs.find((f) => f.rule === 'dind-sidecar')!.message).to.match(/without TLS/)
    },
  },
}

async function run(file: string): Promise<{errors: InputError[]; findings: Finding[]}> {
  const read = await readSources([file])
  const parsed = await parseSources(read.sources)
  const {findings} = checkObjects(parsed.objects)
  return {errors: [...read.errors, ...parsed.errors], findings}
}

function verify(e: Expectation, r: {errors: InputError[]; findings: Finding[]}, file: string): void {
  if (e.template) {
    expect(r.errors, 'a template must be an input error').to.not.be.empty
    for (const err of r.errors) {
      expect(err.file).to.equal(file)
      expect(err.line).to.be.a('number').and.be.greaterThan(0)
      expect(err.message).to.match(/unparseable template.*render it first/)
    }

    expect(r.findings.filter((f) => DOCKER_RULES.has(f.rule))).to.deep.equal([])
    return
  }

  expect(r.errors).to.deep.equal([])
  const got = r.findings
    .filter((f) => DOCKER_RULES.has(f.rule))
    .map((f) => `${f.rule}@${f.container ?? '-'}`)
    .sort()
  expect(got).to.deep.equal([...e.docker].sort())
  for (const f of r.findings) {
    expect(f.file).to.equal(file)
    expect(f.line, `${f.rule} has a line`).to.be.a('number').and.be.greaterThan(0)
  }

  e.extra?.(r.findings)
}

describe('doctor corpus (../shared/doctor-corpus/public, EXPECTED.md)', () => {
  before(function () {
    const why = corpusMissing()
    if (why) {
      console.log(`    skipped: ${why}`)
      this.skip()
    }
  })

  it('has an expectation for every corpus file', async () => {
    const files = (await fs.readdir(CORPUS)).filter((f) => f.endsWith('.yaml')).sort()
    expect(files).to.deep.equal(Object.keys(EXPECTED).sort())
  })

  for (const [name, e] of Object.entries(EXPECTED)) {
    it(`${name}: ${e.template ? 'unparseable template error' : e.docker.length === 0 ? 'no Docker findings' : [...new Set(e.docker.map((d) => d.split('@')[0]))].join(', ')}`, async () => {
      const file = path.join(CORPUS, name)
      verify(e, await run(file), file)
    })
  }

  it('05: the socket finding points at the mount line of each container', async () => {
    const file = path.join(CORPUS, '05-fabric-samples-pr44-byfn-k8s-var-run.yaml')
    const lines = (await fs.readFile(file, 'utf8')).split('\n')
    const {findings} = await run(file)
    for (const f of findings.filter((f) => f.rule === 'docker-socket-mount'))
      expect(lines[f.line! - 1]).to.contain('mountPath: /host/var/run/')
  })

  it('11: the template error points at the first {{ line and mentions the literal socket', async () => {
    const file = path.join(CORPUS, '11-ibm-container-service-helm-org1peer1.tpl.yaml')
    const lines = (await fs.readFile(file, 'utf8')).split('\n')
    const {errors} = await run(file)
    expect(lines[errors[0].line! - 1]).to.contain('{{')
    expect(errors[0].message).to.contain('docker.sock')
  })
})

describe('doctor corpus, rendered templates (test/fixtures/doctor/rendered)', () => {
  for (const [name, e] of Object.entries(RENDERED_EXPECTED)) {
    it(`${name}`, async () => {
      const file = path.join(RENDERED, name)
      verify(e, await run(file), file)
    })
  }
})
