import {expect} from 'chai'
import {readFile} from 'node:fs/promises'
import path from 'node:path'

import type {Finding} from '../../../src/lib/doctor/types.js'

import {runDoctor} from '../../../src/lib/doctor/run.js'
import {check, ROOT} from './helpers.js'

const CI = path.join(ROOT, 'test', 'fixtures', 'doctor', 'ci')
const COMPOSE = path.join(CI, 'test-network', 'compose-test-net.yaml')
const GITLAB = path.join(CI, '.gitlab-ci.yml')
const GITHUB = path.join(CI, '.github', 'workflows', 'fabric-integration.yml')

async function doctor(file: string) {
  const r = await runDoctor({failOn: 'info', files: [file], noDefaultIgnoreFile: true})
  const lines = (await readFile(file, 'utf8')).split('\n')
  const at = (f: Finding) => lines[f.line! - 1]?.trim()
  return {at, r}
}

const keys = (fs: Finding[]) => fs.map((f) => `${f.rule}@${f.container ?? '-'}`).sort()

describe('doctor reads docker-compose, GitLab CI and GitHub Actions files (issue 12 #15)', () => {
  it('a test-network compose file: socket mounts (bind, long syntax, ${VAR}), CORE_VM_ENDPOINT, DinD, privileged', async () => {
    const {at, r} = await doctor(COMPOSE)
    expect(r.errors).to.deep.equal([])
    expect(r.summary).to.include({exitCode: 1, files: 1, objects: 1})
    expect(keys(r.findings)).to.deep.equal([
      'dind-sidecar@dind',
      'docker-socket-mount@cli',
      'docker-socket-mount@peer0.org1.example.com',
      'docker-socket-mount@peer0.org2.example.com',
      'peer-no-external-builder@peer0.org1.example.com',
      'peer-no-external-builder@peer0.org2.example.com',
      'peer-vm-endpoint@peer0.org1.example.com',
      'peer-vm-endpoint@peer0.org2.example.com',
      'privileged-container@dind',
    ])
    for (const f of r.findings)
      expect(f).to.include({file: COMPOSE, kind: 'Compose', name: 'fabric_test', namespace: null})
    const by = (rule: string, c: string) => r.findings.find((f) => f.rule === rule && f.container === c)!
    expect(at(by('docker-socket-mount', 'peer0.org1.example.com'))).to.equal(
      '- ${DOCKER_SOCK}:/host/var/run/docker.sock',
    )
    expect(at(by('docker-socket-mount', 'peer0.org2.example.com'))).to.equal('- type: bind')
    expect(at(by('docker-socket-mount', 'cli'))).to.equal('- /var/run/:/host/var/run/')
    expect(by('docker-socket-mount', 'cli').message).to.contain('host directory /var/run/')
    expect(at(by('peer-vm-endpoint', 'peer0.org1.example.com'))).to.equal(
      '- CORE_VM_ENDPOINT=unix:///host/var/run/docker.sock',
    )
    expect(at(by('peer-vm-endpoint', 'peer0.org2.example.com'))).to.equal(
      'CORE_VM_ENDPOINT: unix:///host/var/run/docker.sock',
    )
    expect(by('peer-vm-endpoint', 'peer0.org1.example.com').message).to.match(/the host's socket through/)
    expect(at(by('dind-sidecar', 'dind'))).to.equal('dind:')
    expect(by('dind-sidecar', 'dind').message).to.match(/image docker:24-dind.*privileged, Docker API without TLS/)
    expect(at(by('privileged-container', 'dind'))).to.equal('privileged: true')
  })

  it('.gitlab-ci.yml: docker:dind services (short and long form), DOCKER_HOST without TLS, CORE_VM_ENDPOINT on a job', async () => {
    const {at, r} = await doctor(GITLAB)
    expect(r.errors).to.deep.equal([])
    expect(r.summary).to.include({objects: 4})
    expect(keys(r.findings)).to.deep.equal([
      'dind-sidecar@docker',
      'dind-sidecar@docker',
      'dind-sidecar@dockerd',
      'vm-endpoint-non-peer@integration',
    ])
    expect(r.findings.map((f) => `${f.kind} ${f.name}`).sort()).to.deep.equal([
      'GitLabJob .docker-template',
      'GitLabJob build-chaincode',
      'GitLabJob integration',
      'GitLabJob integration',
    ])
    const dind = r.findings.filter((f) => f.rule === 'dind-sidecar')
    expect(dind.map((f) => at(f))).to.deep.equal(['- docker:24-dind', '- docker:24-dind', '- name: docker:24-dind'])
    for (const f of dind) expect(f.message).to.match(/Docker API without TLS or authentication/)
    expect(at(r.findings.find((f) => f.rule === 'vm-endpoint-non-peer')!)).to.equal(
      'CORE_VM_ENDPOINT: tcp://dockerd:2375',
    )
  })

  it('a GitHub Actions workflow: job container options (--privileged, -v docker.sock), services with DinD and a peer', async () => {
    const {at, r} = await doctor(GITHUB)
    expect(r.errors).to.deep.equal([])
    expect(r.summary).to.include({objects: 2})
    expect(keys(r.findings)).to.deep.equal([
      'dind-sidecar@dind',
      'docker-socket-mount@peer0',
      'docker-socket-mount@test-network',
      'peer-no-external-builder@peer0',
      'peer-vm-endpoint@peer0',
      'privileged-container@dind',
      'privileged-container@test-network',
      'vm-endpoint-non-peer@test-network',
    ])
    for (const f of r.findings) expect(f).to.include({kind: 'GitHubJob', name: 'test-network'})
    const by = (rule: string, c: string) => r.findings.find((f) => f.rule === rule && f.container === c)!
    expect(at(by('docker-socket-mount', 'test-network'))).to.equal(
      'options: --privileged -v /var/run/docker.sock:/var/run/docker.sock',
    )
    expect(at(by('privileged-container', 'test-network'))).to.equal(
      'options: --privileged -v /var/run/docker.sock:/var/run/docker.sock',
    )
    expect(at(by('privileged-container', 'dind'))).to.equal('options: --privileged')
    expect(at(by('docker-socket-mount', 'peer0'))).to.equal('- /var/run/docker.sock:/host/var/run/docker.sock')
    expect(at(by('peer-vm-endpoint', 'peer0'))).to.equal('CORE_VM_ENDPOINT: tcp://dind:2375')
    expect(by('peer-vm-endpoint', 'peer0').message).to.match(/unauthenticated tcp Docker API/)
    expect(at(by('dind-sidecar', 'dind'))).to.equal('dind:')
  })

  it('the Kubernetes-only rules stay silent on compose and CI (no run-as-root or probes noise)', async () => {
    for (const file of [COMPOSE, GITLAB, GITHUB]) {
      const {r} = await doctor(file)
      expect(r.findings.map((f) => f.rule)).to.not.include.members(['run-as-root', 'host-path', 'chaincode-no-probes'])
    }
  })

  it('a directory of CI files is read whole (dot folders included)', async () => {
    const r = await runDoctor({files: [CI], noDefaultIgnoreFile: true})
    expect(r.errors).to.deep.equal([])
    expect(r.summary).to.include({files: 3, objects: 7})
  })

  it('compose: a named volume bound to the socket directory, an alias bomb and a cycle stay bounded', async () => {
    const named = await check(
      'services:\n  peer:\n    image: hyperledger/fabric-peer:2.5\n    volumes: ["run:/host/var/run"]\nvolumes:\n  run:\n    driver: local\n    driver_opts: {type: none, o: bind, device: /var/run}\n',
      'docker-compose.yml',
    )
    expect(keys(named.findings)).to.deep.equal(['docker-socket-mount@peer'])
    expect(named.findings[0].line).to.equal(4)
    const cyc = await check('services: &s\n  a:\n    image: x\n    s: *s\n', 'compose.yaml')
    expect(cyc.parsed.errors).to.have.length(1)
    expect(cyc.parsed.errors[0].message).to.match(/a cycle/)
  })

  describe('YAML merge keys (<<: *anchor) count as Compose, GitLab and Kubernetes read them', () => {
    it('compose: a service built from an x- anchor has its socket mount and CORE_VM_ENDPOINT, at the lines of the anchor', async () => {
      const text = [
        'x-peer: &peer', // 1
        '  image: hyperledger/fabric-peer:2.5',
        '  environment:',
        '    - CORE_VM_ENDPOINT=unix:///host/var/run/docker.sock', // 4
        '  volumes:',
        '    - /var/run/:/host/var/run/', // 6
        'services:',
        '  peer0.org1.example.com:', // 8
        '    <<: *peer',
        '    container_name: peer0.org1.example.com',
        '',
      ].join('\n')
      const r = await check(text, 'docker-compose.yaml')
      expect(r.parsed.errors).to.deep.equal([])
      expect(keys(r.findings)).to.deep.equal([
        'docker-socket-mount@peer0.org1.example.com',
        'peer-no-external-builder@peer0.org1.example.com',
        'peer-vm-endpoint@peer0.org1.example.com',
      ])
      const line = (rule: string) => r.findings.find((f) => f.rule === rule)!.line
      expect(line('docker-socket-mount')).to.equal(6)
      expect(line('peer-vm-endpoint')).to.equal(4)
    })

    it('.gitlab-ci.yml: a job that merges a template with a docker:dind service runs that daemon', async () => {
      const text = [
        '.docker: &docker',
        '  image: docker:24',
        '  services:',
        '    - docker:24-dind', // 4
        'build:',
        '  <<: *docker',
        '  script: [docker build .]',
        '',
      ].join('\n')
      const r = await check(text, '.gitlab-ci.yml')
      expect(r.findings.filter((f) => f.rule === 'dind-sidecar').map((f) => [f.name, f.line])).to.deep.equal([
        ['.docker', 4],
        ['build', 4],
      ])
    })

    it('a manifest whose second container merges the first: both mount the socket', async () => {
      const text = [
        'apiVersion: v1',
        'kind: Pod',
        'metadata: {name: p}',
        'spec:',
        '  containers:',
        '    - &peer',
        '      name: peer',
        '      image: hyperledger/fabric-peer:2.5',
        '      volumeMounts: [{name: sock, mountPath: /host/var/run/docker.sock}]',
        '    - <<: *peer',
        '      name: peer-b',
        '  volumes: [{name: sock, hostPath: {path: /var/run/docker.sock}}]',
        '',
      ].join('\n')
      const r = await check(text)
      expect(keys(r.findings.filter((f) => f.rule === 'docker-socket-mount'))).to.deep.equal([
        'docker-socket-mount@peer',
        'docker-socket-mount@peer-b',
      ])
    })
  })
})
