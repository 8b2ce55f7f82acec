import {expect} from 'chai'
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {besidePath, runFix} from '../../../../src/lib/doctor/fix/run.js'
import {runDoctor} from '../../../../src/lib/doctor/run.js'
import {ROOT} from '../helpers.js'
import {fixAndCheck} from './helpers.js'

const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'doctor')

describe('doctor --fix on GitHub Actions and GitLab CI files (issue 14 #3)', () => {
  it('GitHub: the peer service loses socket, --privileged and its DinD; the build job and the docker run step are listed', async () => {
    const {copy, r} = await fixAndCheck(path.join(FIXTURES, 'fix', 'ci', '.github', 'workflows', 'peer-e2e.yml'))
    const out = readFileSync(copy, 'utf8')
    expect(out).to.include('        options: --health-cmd "peer version"\n')
    expect(out).to.not.include('docker:24-dind')
    expect(out).to.include('        CORE_VM_ENDPOINT: ""   # copied from the peer\n')
    expect(out).to.include(`          CHAINCODE_AS_A_SERVICE_BUILDER_CONFIG: '{"peername":"peer0.org1.example.com"}'\n`)
    expect(out).to.include('      options: -v /var/run/docker.sock:/var/run/docker.sock\n') // the image build's
    expect(out).to.include('            -v /var/run/docker.sock:/host/var/run/docker.sock \\\n') // a shell command
    expect(r.notFixed.map((n) => `${n.rule} ${n.name} ${n.container}${n.unseen ? ' (unseen)' : ''}`).sort()).to.deep.equal([
      'docker-socket-mount e2e null (unseen)',
      'docker-socket-mount image image',
    ])
  })

  it('GitHub: a job container whose steps run network.sh keeps its socket and --privileged (listed); the DinD only a peer used goes', async () => {
    const {copy, r} = await fixAndCheck(path.join(FIXTURES, 'ci', '.github', 'workflows', 'fabric-integration.yml'))
    const out = readFileSync(copy, 'utf8')
    expect(out).to.include('      options: --privileged -v /var/run/docker.sock:/var/run/docker.sock\n')
    expect(out).to.not.include('docker:24-dind')
    const listed = r.notFixed.map((n) => `${n.rule} ${n.container}`).sort()
    expect(listed).to.deep.equal(['docker-socket-mount test-network', 'privileged-container test-network'])
    expect(r.notFixed[0].reason + r.notFixed[1].reason).to.match(/\.\/network\.sh up createChannel/)
  })

  it('GitLab: the DinD of a job that only talks to its peer goes with DOCKER_HOST; a docker build keeps its own', async () => {
    const {copy, r} = await fixAndCheck(path.join(FIXTURES, 'fix', 'ci', '.gitlab-ci.yml'))
    const out = readFileSync(copy, 'utf8')
    expect(out).to.include('  variables:\n    CORE_PEER_ADDRESS: peer0:7051\n')
    expect(out).to.include('        CORE_VM_ENDPOINT: ""\n')
    expect(out).to.include('  services:\n    - docker:24-dind\n  variables:\n    DOCKER_HOST: tcp://docker:2375\n')
    expect(r.notFixed.map((n) => `${n.rule} ${n.name}: ${n.reason}`)).to.deep.equal([
      "dind-sidecar build-image: the job's script may use Docker through it (`docker build -t asset-cc .`): it serves the script, not a Fabric peer",
    ])
  })

  it("GitLab: the checker's file — templates and scripts that use Docker keep their DinD, CORE_VM_ENDPOINT is emptied", async () => {
    const {copy, r} = await fixAndCheck(path.join(FIXTURES, 'ci', '.gitlab-ci.yml'))
    expect(readFileSync(copy, 'utf8')).to.include('    CORE_VM_ENDPOINT: ""\n    DOCKER_HOST: tcp://dockerd:2375\n')
    expect(r.notFixed.map((n) => `${n.name} ${n.reason.split(':')[0]}`).sort()).to.deep.equal([
      '.docker-template a template',
      'build-chaincode the job\'s script may use Docker through it (`docker build -t asset-cc',
      'integration the job\'s script may use Docker through it (`./scripts/network.sh up`)',
    ])
  })

  it('GitLab: the output written beside (.gitlab-ci.fixed.yml) is still read as GitLab CI by doctor', async () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'doctor-fix-gitlab-')), '.gitlab-ci.yml')
    writeFileSync(file, 'chaincode-install:\n  variables:\n    CORE_VM_ENDPOINT: unix:///var/run/docker.sock\n  script:\n    - peer lifecycle chaincode install cc.tgz\n')
    const r = await runFix({files: [file], mode: 'beside', noDefaultIgnoreFile: true})
    expect(r.fixes.map((f) => f.rule)).to.deep.equal(['vm-endpoint-non-peer'])
    const again = await runDoctor({failOn: 'none', files: [besidePath(file)], noDefaultIgnoreFile: true})
    expect(again.errors).to.deep.equal([])
    expect(again.summary.objects).to.equal(1)
    expect(again.findings).to.deep.equal([])
  })
})
