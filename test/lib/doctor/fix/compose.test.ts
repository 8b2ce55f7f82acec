import {expect} from 'chai'
import {spawnSync} from 'node:child_process'
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {CCAAS_BUILDERS} from '../../../../src/lib/doctor/fix/plan.js'
import {runDoctor} from '../../../../src/lib/doctor/run.js'
import {ROOT} from '../helpers.js'
import {fixAndCheck} from './helpers.js'

const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'doctor')
const COMPOSE = path.join(FIXTURES, 'fix', 'compose')

/**
 * What checks a compose file the way Compose v2 does: the `docker compose` plugin or a `docker-compose` of v2 or
 * later when the machine has one (Compose v1 predates the compose spec: it refuses `name:`), else
 * test/tools/compose-config, built here with Go (compose-go, the loader Compose v2 itself uses, pinned in its go.mod);
 * else why not.
 */
let checker: undefined | {cmd: string[]} | {why: string}
function composeCli(): {cmd: string[]} | {why: string} {
  if (checker) return checker
  const env = {...process.env, DOCKER_HOST: process.env.DOCKER_HOST ?? 'unix:///tmp/fabk8s-docker.sock'}
  for (const cmd of [['docker', 'compose'], ['docker-compose']]) {
    const r = spawnSync(cmd[0], [...cmd.slice(1), 'version', '--short'], {encoding: 'utf8', env})
    if (r.status === 0 && Number(/^v?(\d+)\./.exec(r.stdout.trim())?.[1]) >= 2) return (checker = {cmd})
  }

  const out = path.join(mkdtempSync(path.join(os.tmpdir(), 'compose-config-')), 'compose-config')
  const built = spawnSync('go', ['build', '-o', out, '.'], {
    cwd: path.join(ROOT, 'test', 'tools', 'compose-config'),
    encoding: 'utf8',
  })
  if (built.error) return (checker = {why: 'no docker compose v2, and no Go to build test/tools/compose-config'})
  expect(built.status, `go build test/tools/compose-config: ${built.stderr}`).to.equal(0)
  return (checker = {cmd: [out]})
}

function composeConfig(file: string): void {
  const cli = composeCli()
  if ('why' in cli) {
    console.log(`      (docker compose config skipped: ${cli.why}; the output was checked by parsing)`)
    return
  }

  const r = spawnSync(cli.cmd[0], [...cli.cmd.slice(1), '-f', file, 'config', '--quiet'], {
    cwd: path.dirname(file),
    encoding: 'utf8',
    env: {...process.env, DOCKER_SOCK: '/var/run/docker.sock'},
  })
  expect(r.status, r.stderr).to.equal(0)
}

describe('doctor --fix on docker-compose files (issue 14 #3)', () => {
  it("test-network's Docker override: ${DOCKER_SOCK} mounts and CORE_VM_ENDPOINT (list form) fixed, the env_file peer listed", async () => {
    const {copy, r} = await fixAndCheck(path.join(COMPOSE, 'docker-compose-test-net.yaml'))
    const out = readFileSync(copy, 'utf8')
    expect(out).to.not.include('docker.sock')
    expect(out).to.include('      #Generic peer variables\n      - CORE_VM_ENDPOINT=\n')
    expect(out).to.include(`      - '${`CORE_CHAINCODE_EXTERNALBUILDERS=${CCAAS_BUILDERS}`}'\n`)
    expect(out).to.include(`      - 'CHAINCODE_AS_A_SERVICE_BUILDER_CONFIG={"peername":"peer0.org1.example.com"}'\n`)
    expect(out).to.include('    env_file: ./org2-peer.env   # org2 keeps its settings in a file\n')
    const unseen = r.notFixed.filter((n) => n.unseen)
    expect(unseen.map((n) => [n.rule, n.container, n.line])).to.deep.equal([
      ['peer-vm-endpoint', 'peer0.org2.example.com', 24],
    ])
    expect(unseen[0].reason).to.match(/env_file entries cannot be edited: make sure \.\/org2-peer\.env/)
    // Compose reads the env file: one as test-network keeps beside it
    writeFileSync(path.join(path.dirname(copy), 'org2-peer.env'), 'CORE_PEER_ID=peer0.org2.example.com\n')
    composeConfig(copy)
  })

  it('a socket source with a default (${DOCKER_SOCK:-/var/run/docker.sock}): found, and its mount removed', async () => {
    const file = path.join(COMPOSE, 'compose-sock-default.yaml')
    const found = await runDoctor({failOn: 'none', files: [file], noDefaultIgnoreFile: true})
    const mount = found.findings.find((f) => f.rule === 'docker-socket-mount')
    expect(mount, JSON.stringify(found.findings)).to.include({container: 'peer0.org1.example.com', line: 9})
    expect(mount!.message).to.contain('/var/run/docker.sock')
    const vm = found.findings.find((f) => f.rule === 'peer-vm-endpoint')!
    expect(vm.message).to.match(/the host's socket through/)

    const {copy, r} = await fixAndCheck(file)
    const out = readFileSync(copy, 'utf8')
    expect(out).to.not.include('docker.sock')
    expect(out).to.include('      - ./peer0:/var/hyperledger/production:rw\n')
    expect(r.notFixed).to.deep.equal([])
    composeConfig(copy)
  })

  it('a DinD set-up: the daemon, its depends_on, its only volume and the peer privileged go; a non-Fabric socket user stays', async () => {
    const {copy, r} = await fixAndCheck(path.join(COMPOSE, 'compose-dind.yaml'))
    const out = readFileSync(copy, 'utf8')
    expect(out).to.not.match(/docker:24-dind|dind-storage|- dind\n|privileged/)
    expect(out).to.include('  dind-certs:\n') // the peer still mounts it
    expect(out).to.include('      CORE_VM_ENDPOINT: ""\n      CORE_VM_DOCKER_TLS_ENABLED: "true"\n')
    expect(out).to.include('        source: /var/run/docker.sock\n') // registry-gc keeps its socket
    expect(r.fixes.map((f) => f.rule).sort()).to.deep.equal([
      'dind-sidecar',
      'dind-sidecar',
      'peer-no-external-builder',
      'peer-vm-endpoint',
      'privileged-container',
    ])
    expect(r.notFixed.map((n) => `${n.rule} ${n.container}: ${n.reason}`)).to.deep.equal([
      'docker-socket-mount registry-gc: service "registry-gc" (registry:2) is not a Fabric container: it may need the socket',
    ])
    composeConfig(copy)
  })

  it("the checker's test-network compose file (bind, long syntax, ${VAR}, a directory mount, DinD)", async () => {
    const {copy, r} = await fixAndCheck(path.join(FIXTURES, 'ci', 'test-network', 'compose-test-net.yaml'))
    expect(readFileSync(copy, 'utf8')).to.not.match(/docker\.sock|\/var\/run\/:|docker:24-dind/)
    expect(r.notFixed).to.deep.equal([])
    expect(r.summary.exitCode).to.equal(0)
  })

  it('depends_on as a mapping, a named volume bound to /var/run, a flow-style list; an anchored environment is listed', async () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'doctor-fix-compose-')), 'compose.yaml')
    writeFileSync(file, EDGE)
    const {copy, r} = await fixAndCheck(file)
    const out = readFileSync(copy, 'utf8')
    expect(out).to.include('    depends_on:\n      couchdb:\n        condition: service_healthy\n')
    expect(out).to.not.match(/dind|volumes: \[|\n {2}run:|^volumes:/m)
    expect(out).to.include('    environment: *peer-env\n  couchdb:\n')
    expect(out).to.include('x-env: &peer-env\n  CORE_PEER_ID: peer1\n  CORE_VM_ENDPOINT: unix:///host/var/run/docker.sock\n')
    expect(r.notFixed.map((n) => `${n.rule} ${n.container}`).sort()).to.deep.equal([
      'peer-no-external-builder peer1',
      'peer-vm-endpoint peer1',
    ])
    for (const n of r.notFixed) expect(n.reason).to.match(/alias \(\*peer-env\) shared with other entries/)
  })
})

const EDGE = `x-env: &peer-env
  CORE_PEER_ID: peer1
  CORE_VM_ENDPOINT: unix:///host/var/run/docker.sock
services:
  peer0:
    image: hyperledger/fabric-peer:2.5
    depends_on:
      dind:
        condition: service_started
      couchdb:
        condition: service_healthy
    environment:
      CORE_PEER_ID: peer0
      CORE_VM_ENDPOINT: tcp://dind:2375
    volumes:
      - run:/host/var/run
  peer1:
    image: hyperledger/fabric-peer:2.5
    environment: *peer-env
    volumes: ["/var/run/docker.sock:/host/var/run/docker.sock"]
  couchdb:
    image: couchdb:3
  dind:
    image: docker:dind
    privileged: true
volumes:
  run:
    driver: local
    driver_opts: {type: none, o: bind, device: /var/run}
`
