import {expect} from 'chai'
import {spawnSync} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {createServer} from 'node:net'
import {tmpdir} from 'node:os'
import path from 'node:path'

import type {ImportResult} from '../../../src/lib/network/import.js'

import {loadProject} from '../../../src/lib/project/load.js'
import {type Fabnet, fabnetOrSkip, uniqueName} from '../../lib/fabric/fabnet.js'
import {
  fill,
  FIXTURES,
  issue,
  newCA,
  org1Profile,
  type Pair,
  writeK8sBuild,
  writeOrganizations,
} from '../../lib/network/crypto.js'
import {BIN, json, runCli} from '../../support/cli.js'

interface ErrorOut {
  error: {code: string; exitCode: number; hint?: string; message: string}
}

/** A project the way `fabk8s init` writes it (the real command), in a fresh temporary folder. */
async function initProject(root: string, name = 'kv'): Promise<string> {
  const r = await runCli(['init', name, '--language', 'go', '--yes', '--dir', path.join(root, name)], {cwd: root})
  expect(r.code, r.stderr).to.equal(0)
  return path.join(root, name)
}

/** Every file under `dir`, relative, with its mode. */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {}
  const walk = (d: string) => {
    for (const e of readdirSync(d, {withFileTypes: true})) {
      const p = path.join(d, e.name)
      out[path.relative(dir, p)] = (statSync(p).mode & 0o777).toString(8)
      if (e.isDirectory()) walk(p)
    }
  }

  walk(dir)
  return out
}

/** The text outside the network section must be the original text outside its (commented) network block. */
function outsideSection(text: string): string {
  const start = text.search(/^#? ?network:/m)
  const rest = text.slice(start).split('\n')
  let n = 1
  while (n < rest.length && /^(#? {2}|\s*$)/.test(rest[n]) && rest[n].trim() !== '') n++
  return text.slice(0, start) + rest.slice(n).join('\n')
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer()
    s.listen(0, '127.0.0.1', () => {
      const {port} = s.address() as {port: number}
      s.close(() => resolve(port))
    })
  })
}

describe('fabk8s network import', function () {
  this.timeout(120_000)
  let root: string

  before(() => {
    root = mkdtempSync(path.join(tmpdir(), 'fabk8s-netimport-'))
  })

  after(() => rmSync(root, {force: true, recursive: true}))

  describe('from fixtures (no network)', () => {
    let orgs: string
    let project: string

    before(async () => {
      orgs = path.join(root, 'test-network', 'organizations')
      await writeOrganizations(orgs)
      project = await initProject(root)
    })

    it("organizations/: writes the section in place of init's example; every other byte of fabk8s.yaml stays", async () => {
      const file = path.join(project, 'fabk8s.yaml')
      const before = readFileSync(file, 'utf8')
      const r = await runCli(['network', 'import', orgs, '--json'], {cwd: project})
      expect(r.code, r.stdout + r.stderr).to.equal(0)
      const out = json<ImportResult>(r)
      expect(out).to.deep.include({kind: 'organizations', mode: 'replaced-example', source: orgs, written: true})
      expect(out.files).to.deep.equal([])
      const after = readFileSync(file, 'utf8')
      expect(outsideSection(after)).to.equal(outsideSection(before))
      expect(after).to.contain(out.section)
      const p = (s: string) => path.join(orgs, s)
      expect(out.network).to.deep.equal({
        channel: 'mychannel',
        orderer: {
          address: 'localhost:7050',
          tlsCACert: p('ordererOrganizations/example.com/tlsca/tlsca.example.com-cert.pem'),
        },
        orgs: [1, 2].map((n) => ({
          mspId: `Org${n}MSP`,
          mspPath: p(`peerOrganizations/org${n}.example.com/users/Admin@org${n}.example.com/msp`),
          peers: [
            {
              address: `localhost:${n === 1 ? 7051 : 9051}`,
              // test-network's CHAINCODE_AS_A_SERVICE_BUILDER_CONFIG peername for peer0.orgN.example.com
              peername: `peer0org${n}`,
              tlsCACert: p(`peerOrganizations/org${n}.example.com/tlsca/tlsca.org${n}.example.com-cert.pem`),
            },
          ],
        })),
      })
      // what other commands read: the project loader takes the file as it is
      const loaded = await loadProject(file)
      expect(loaded.network?.orgs.map((o) => o.peers[0].address)).to.deep.equal(['localhost:7051', 'localhost:9051'])
      expect(loaded.name).to.equal('kv')
      expect(existsSync(path.join(project, '.fabk8s'))).to.equal(false)

      // a second import replaces the section it wrote, nothing else
      const r2 = await runCli(['network', 'import', orgs, '--channel', 'other', '--json'], {cwd: project})
      expect(json<ImportResult>(r2).mode).to.equal('replaced')
      const again = readFileSync(file, 'utf8')
      expect(again.replace('channel: other', 'channel: mychannel')).to.equal(after)
    })

    it('--dry-run prints the section and writes nothing; without --json it is YAML on stdout', async () => {
      const file = path.join(project, 'fabk8s.yaml')
      const before = readFileSync(file, 'utf8')
      const r = await runCli(['network', 'import', orgs, '--dry-run', '--channel', 'dry'], {cwd: project})
      expect(r.code, r.stderr).to.equal(0)
      expect(r.stdout).to.match(
        /^network:\n {2}# imported by fabk8s network import from .* \(organizations\)\n {2}channel: dry\n/,
      )
      expect(r.stderr).to.match(/# dry run: the section fabk8s network import would write into fabk8s\.yaml/)
      expect(readFileSync(file, 'utf8')).to.equal(before)
    })

    it('hlf-operator profile with an inline admin: key into .fabk8s/network (0700/0600), never printed or in fabk8s.yaml', async () => {
      const proj = await initProject(root, 'hlf')
      const idCA = await newCA('ca.org1')
      const admin = await issue(idCA, {cn: 'admin', ous: ['admin']})
      const tlsCA = await newCA('tlsca.org1')
      const ordCA = await newCA('tlsca.ord')
      const profile = path.join(root, 'hlf-network.yaml')
      writeFileSync(
        profile,
        fill(readFileSync(path.join(FIXTURES, 'hlf/network.yaml'), 'utf8'), {
          ADMIN_CERT: admin.cert,
          ADMIN_KEY: admin.key,
          ORDERER_TLSCA: ordCA.cert,
          ORG1_TLSCA: tlsCA.cert,
        }),
      )
      const r = await runCli(['network', 'import', profile, '--json'], {cwd: proj})
      expect(r.code, r.stdout + r.stderr).to.equal(0)
      const out = json<ImportResult>(r)
      expect(out.network).to.deep.equal({
        channel: 'demo',
        orderer: {address: 'orderer0-ord.localho.st:443', tlsCACert: '.fabk8s/network/tls/ord-node1-ca.pem'},
        orgs: [
          {
            mspId: 'Org1MSP',
            mspPath: '.fabk8s/network/Org1MSP/admin/msp',
            peers: [
              {address: 'peer0-org1.localho.st:443', tlsCACert: '.fabk8s/network/tls/org1-peer0.default-ca.pem'},
              {address: 'peer1-org1.localho.st:443', tlsCACert: '.fabk8s/network/tls/org1-peer0.default-ca.pem'},
            ],
          },
        ],
      })
      expect(tree(path.join(proj, '.fabk8s'))).to.deep.equal({
        network: '700',
        'network/.gitignore': '644',
        'network/Org1MSP': '700',
        'network/Org1MSP/admin': '700',
        'network/Org1MSP/admin/msp': '700',
        'network/Org1MSP/admin/msp/keystore': '700',
        'network/Org1MSP/admin/msp/keystore/key.pem': '600',
        'network/Org1MSP/admin/msp/signcerts': '700',
        'network/Org1MSP/admin/msp/signcerts/cert.pem': '644',
        'network/tls': '700',
        'network/tls/ord-node1-ca.pem': '644',
        'network/tls/org1-peer0.default-ca.pem': '644',
      })
      const key = path.join(proj, '.fabk8s/network/Org1MSP/admin/msp/keystore/key.pem')
      expect(readFileSync(key, 'utf8').trim()).to.equal(admin.key.trim())
      expect(out.dockerignore).to.equal('added')
      expect(readFileSync(path.join(proj, '.dockerignore'), 'utf8')).to.match(/^\.fabk8s$/m)
      const yaml = readFileSync(path.join(proj, 'fabk8s.yaml'), 'utf8')
      for (const text of [r.stdout, r.stderr, yaml]) expect(text).not.to.contain('PRIVATE KEY')
      const loaded = await loadProject(path.join(proj, 'fabk8s.yaml'))
      expect(loaded.network?.orgs[0].mspPath).to.equal(path.join(proj, '.fabk8s/network/Org1MSP/admin/msp'))

      // the human output says where the keys went and nothing of them
      const r2 = await runCli(['network', 'import', profile], {cwd: proj})
      expect(r2.code, r2.stderr).to.equal(0)
      expect(r2.stdout).to.match(/wrote 4 file\(s\) under \.fabk8s\/network \(keys 0600, git-ignored\)/)
      expect(r2.stdout + r2.stderr).not.to.contain('PRIVATE KEY')

      // re-importing from a source without inline material removes the folder it wrote
      const r3 = await runCli(['network', 'import', orgs], {cwd: proj})
      expect(r3.code, r3.stderr).to.equal(0)
      expect(readdirSync(path.join(proj, '.fabk8s'))).to.deep.equal([])
    })

    /** hlf-operator's profile with inline PEMs (a fresh admin and fresh CAs), written to `file`. */
    async function hlfProfile(file: string): Promise<string> {
      const idCA = await newCA('ca.org1')
      const admin = await issue(idCA, {cn: 'admin', ous: ['admin']})
      const vars = {
        ADMIN_CERT: admin.cert,
        ADMIN_KEY: admin.key,
        ORDERER_TLSCA: (await newCA('tlsca.ord')).cert,
        ORG1_TLSCA: (await newCA('tlsca.org1')).cert,
      }
      writeFileSync(file, fill(readFileSync(path.join(FIXTURES, 'hlf/network.yaml'), 'utf8'), vars))
      return file
    }

    /** Every file and folder under `dir` with its content (folders '<dir>'). */
    function snapshot(dir: string): Record<string, string> {
      const out: Record<string, string> = {}
      for (const e of readdirSync(dir, {recursive: true, withFileTypes: true})) {
        const p = path.join(e.parentPath, e.name)
        out[path.relative(dir, p)] = e.isDirectory() ? '<dir>' : readFileSync(p, 'utf8')
      }

      return out
    }

    it('.dockerignore is a folder: exit 4 naming it, before anything is written (fabk8s.yaml, .fabk8s unchanged)', async () => {
      const proj = await initProject(root, 'ignoredir')
      const profile = await hlfProfile(path.join(root, 'ignoredir-profile.yaml'))
      rmSync(path.join(proj, '.dockerignore'))
      mkdirSync(path.join(proj, '.dockerignore'))
      const before = snapshot(proj)
      const r = await runCli(['network', 'import', profile], {cwd: proj})
      expect(r.code, r.stdout + r.stderr).to.equal(4)
      expect(r.stderr.split('\n')[0]).to.equal(
        'Error: .dockerignore: cannot write (EISDIR: a folder has that name); nothing was changed',
      )
      expect(snapshot(proj)).to.deep.equal(before) // no network section, no .fabk8s, no temporary file
      const j = await runCli(['network', 'import', profile, '--json'], {cwd: proj})
      expect(j.code).to.equal(4)
      expect(json<ErrorOut>(j).error).to.include({code: 'FILESYSTEM', exitCode: 4})
      expect(snapshot(proj)).to.deep.equal(before)
    })

    it('a file named .fabk8s/network is never replaced: exit 4 naming it, nothing written', async () => {
      const proj = await initProject(root, 'matfile')
      const profile = await hlfProfile(path.join(root, 'matfile-profile.yaml'))
      mkdirSync(path.join(proj, '.fabk8s'))
      writeFileSync(path.join(proj, '.fabk8s', 'network'), 'my notes\n')
      const before = snapshot(proj)
      const r = await runCli(['network', 'import', profile], {cwd: proj})
      expect(r.code, r.stdout + r.stderr).to.equal(4)
      expect(r.stderr.split('\n')[0]).to.equal(
        `Error: ${path.join('.fabk8s', 'network')}: cannot write (ENOTDIR: a file has that name); nothing was changed`,
      )
      expect(snapshot(proj)).to.deep.equal(before)
    })

    it('fabk8s.yaml cannot be written (EFBIG, ulimit -f) after the keys and .dockerignore were staged: exit 4, nothing changed', async () => {
      const proj = await initProject(root, 'efbig')
      const first = await runCli(['network', 'import', await hlfProfile(path.join(root, 'efbig-1.yaml'))], {cwd: proj})
      expect(first.code, first.stderr).to.equal(0)
      // .dockerignore must change again, and fabk8s.yaml (30 KiB) is the one file over the limit (8 KiB)
      writeFileSync(path.join(proj, '.dockerignore'), 'node_modules\n')
      const file = path.join(proj, 'fabk8s.yaml')
      writeFileSync(file, readFileSync(file, 'utf8') + `# ${'padding '.repeat(12)}\n`.repeat(300))
      const before = snapshot(proj)
      const profile = await hlfProfile(path.join(root, 'efbig-2.yaml'))
      const r = spawnSync(
        'bash',
        ['-c', 'ulimit -f 8 && exec "$0" "$@"', process.execPath, BIN, 'network', 'import', profile],
        {
          cwd: proj,
          encoding: 'utf8',
          env: {...process.env, CI: 'true', NO_COLOR: '1'},
        },
      )
      expect(r.status, r.stdout + r.stderr).to.equal(4)
      expect(r.stderr.split('\n')[0]).to.equal('Error: fabk8s.yaml: cannot write (EFBIG); nothing was changed')
      expect(snapshot(proj)).to.deep.equal(before) // the first import's keys, the old .dockerignore, no leftovers
    })

    it("test-network's connection profile lacks the orderer and the admin: exit 2 naming the flags; the flags fill them in", async () => {
      const proj = await initProject(root, 'tn')
      const profile = path.join(root, 'connection-org1.json')
      writeFileSync(profile, org1Profile(orgs))
      let r = await runCli(['network', 'import', profile, '--json'], {cwd: proj})
      expect(r.code).to.equal(2)
      let e = json<ErrorOut>(r).error
      expect(e.message).to.match(/connection-org1\.json: names no orderer$/)
      expect(e.hint).to.equal('give it: --orderer HOST:PORT --orderer-tls-ca FILE')

      const ordererCA = path.join(orgs, 'ordererOrganizations/example.com/tlsca/tlsca.example.com-cert.pem')
      r = await runCli(['network', 'import', profile, '--orderer', 'localhost:7050', '--orderer-tls-ca', ordererCA], {
        cwd: proj,
      })
      expect(r.code).to.equal(2)
      expect(r.stderr).to.match(
        /Error: Org1MSP: no admin identity in the source\nHint: give one: --msp-path Org1MSP=DIR/,
      )

      const msp = path.join(orgs, 'peerOrganizations/org1.example.com/users/Admin@org1.example.com/msp')
      r = await runCli(
        [
          'network',
          'import',
          profile,
          '--orderer',
          'localhost:7050',
          '--orderer-tls-ca',
          ordererCA,
          '--msp-path',
          msp,
          '--json',
        ],
        {cwd: proj},
      )
      expect(r.code, r.stdout).to.equal(0)
      const out = json<ImportResult>(r)
      expect(out.network.orderer).to.deep.equal({address: 'localhost:7050', tlsCACert: ordererCA})
      expect(out.network.orgs).to.deep.equal([
        {
          mspId: 'Org1MSP',
          mspPath: msp,
          peers: [
            {
              address: 'localhost:7051',
              hostnameOverride: 'peer0.org1.example.com',
              tlsCACert: '.fabk8s/network/tls/peer0.org1.example.com-ca.pem',
            },
          ],
        },
      ])

      // --cert/--key: a loose certificate and key become an MSP folder
      const admin = path.join(msp, 'signcerts', 'Admin@org1.example.com-cert.pem')
      r = await runCli(
        [
          'network',
          'import',
          profile,
          '--orderer',
          'localhost:7050',
          '--orderer-tls-ca',
          ordererCA,
          '--cert',
          `Org1MSP=${admin}`,
          '--key',
          `Org1MSP=${path.join(msp, 'keystore', 'priv_sk')}`,
          '--json',
        ],
        {cwd: proj},
      )
      expect(r.code, r.stdout).to.equal(0)
      expect(json<ImportResult>(r).network.orgs[0].mspPath).to.equal('.fabk8s/network/Org1MSP/admin/msp')
      r = await runCli(
        ['network', 'import', profile, '--orderer', 'localhost:7050', '--orderer-tls-ca', ordererCA, '--cert', admin],
        {cwd: proj},
      )
      expect(r.code).to.equal(2)
      expect(r.stderr).to.match(/Org1MSP: give --cert and --key together/)
      r = await runCli(['network', 'import', profile, '--msp-path', 'Org9MSP=/x', '--json'], {cwd: proj})
      e = json<ErrorOut>(r).error
      expect([e.exitCode, e.message]).to.deep.equal([
        2,
        '--msp-path Org9MSP=…: no org Org9MSP in the source (it has Org1MSP (Org1))',
      ])
    })

    it('a project whose chaincode.address uses {{.peername}}, from a profile that names no peername: the note says which peers need one', async () => {
      const proj = await initProject(root, 'pn')
      const yaml = path.join(proj, 'fabk8s.yaml')
      writeFileSync(
        yaml,
        readFileSync(yaml, 'utf8').replace(
          /^ {2}address: .*$/m,
          '  address: "{{.peername}}-pn.fabk8s.svc.cluster.local:9999"',
        ),
      )
      const profile = path.join(root, 'connection-pn.json')
      writeFileSync(profile, org1Profile(orgs))
      const ordererCA = path.join(orgs, 'ordererOrganizations/example.com/tlsca/tlsca.example.com-cert.pem')
      const msp = path.join(orgs, 'peerOrganizations/org1.example.com/users/Admin@org1.example.com/msp')
      const args = ['network', 'import', profile, '--orderer', 'localhost:7050', '--orderer-tls-ca', ordererCA]
      const r = await runCli([...args, '--msp-path', msp], {cwd: proj})
      expect(r.code, r.stderr).to.equal(0)
      expect(r.stderr).to.contain(
        'note: chaincode.address uses {{.peername}}, and the source gives no peername for peer0.org1.example.com (Org1MSP): add peername: to each of them in fabk8s.yaml; fabk8s cannot load it until then',
      )
      const j = await runCli([...args, '--msp-path', msp, '--json', '--dry-run'], {cwd: proj})
      expect(json<ImportResult>(j).notes).to.include(
        'chaincode.address uses {{.peername}}, and the source gives no peername for peer0.org1.example.com (Org1MSP): add peername: to each of them in fabk8s.yaml; fabk8s cannot load it until then',
      )
    })

    it('test-network-k8s build/: org admins, both peers of each org and the orderer behind the ingress', async () => {
      const build = path.join(root, 'test-network-k8s', 'build')
      await writeK8sBuild(build)
      const proj = await initProject(root, 'k8s')
      const r = await runCli(['network', 'import', path.dirname(build), '--json'], {cwd: proj})
      expect(r.code, r.stdout + r.stderr).to.equal(0)
      const out = json<ImportResult>(r)
      expect(out.kind).to.equal('k8s-build')
      const cm = (s: string) => path.join(build, 'channel-msp', s)
      expect(out.network).to.deep.equal({
        channel: 'mychannel',
        orderer: {
          address: 'org0-orderer1.localho.st:443',
          tlsCACert: cm('ordererOrganizations/org0/msp/tlscacerts/tlsca-signcert.pem'),
        },
        orgs: [1, 2].map((n) => ({
          mspId: `Org${n}MSP`,
          mspPath: path.join(build, `enrollments/org${n}/users/org${n}admin/msp`),
          peers: [1, 2].map((p) => ({
            address: `org${n}-peer${p}.localho.st:443`,
            peername: `org${n}peer${p}`,
            tlsCACert: cm(`peerOrganizations/org${n}/msp/tlscacerts/tlsca-signcert.pem`),
          })),
        })),
      })
      expect(out.notes.join('\n')).to.match(/test-network-k8s' peers \(build\/ does not list them\)/)
    })

    it('exit 3 without fabk8s.yaml; exit 2 for a missing or broken SOURCE, naming file, line and field', async () => {
      const empty = mkdtempSync(path.join(tmpdir(), 'fabk8s-noproject-'))
      try {
        let r = await runCli(['network', 'import', orgs, '--json'], {cwd: empty})
        expect(r.code).to.equal(3)
        expect(json<ErrorOut>(r).error.message).to.match(/no fabk8s\.yaml in .* or any parent folder/)
        r = await runCli(['network', 'import', orgs, '--project', empty], {cwd: project})
        expect(r.code).to.equal(3)
        expect(r.stderr).to.match(/--project: no fabk8s\.yaml in /)
      } finally {
        rmSync(empty, {force: true, recursive: true})
      }

      let r = await runCli(['network', 'import', path.join(root, 'nope.json'), '--json'], {cwd: project})
      expect(r.code).to.equal(2)
      expect(json<ErrorOut>(r).error.message).to.match(/SOURCE .*nope\.json: no such file or folder/)
      r = await runCli(['network', 'import', path.join(FIXTURES, 'bad', 'no-mspid.yaml')], {cwd: project})
      expect(r.code).to.equal(2)
      expect(r.stderr).to.match(/Error: .*bad\/no-mspid\.yaml:2 organizations\.Org1\.mspid: required\n/)
      r = await runCli(['network', 'import', path.join(FIXTURES, 'bad', 'syntax.json'), '--json'], {cwd: project})
      expect(r.code).to.equal(2)
      expect(json<ErrorOut>(r).error.message).to.match(/bad\/syntax\.json:11 not valid JSON or YAML: /)
      r = await runCli(['network', 'import'], {cwd: project})
      expect(r.code).to.equal(2)
      // an address the profile allows but fabk8s.yaml cannot hold is a usage error naming the field
      r = await runCli(['network', 'import', orgs, '--address', 'peer0.org1.example.com=[::1]:7051'], {cwd: project})
      expect(r.code).to.equal(2)
      expect(r.stderr).to.match(
        /Error: the imported section does not validate: network\.orgs\[0\]\.peers\[0\]\.address: must be host:port, got "\[::1\]:7051"/,
      )

      // a broken fabk8s.yaml is not touched
      const broken = path.join(root, 'broken')
      mkdirSync(broken)
      writeFileSync(path.join(broken, 'fabk8s.yaml'), 'name: kv\nname: again\n')
      r = await runCli(['network', 'import', orgs], {cwd: broken})
      expect(r.code).to.equal(3)
      expect(r.stderr).to.match(/fabk8s\.yaml:2 Map keys must be unique/)
      expect(readFileSync(path.join(broken, 'fabk8s.yaml'), 'utf8')).to.equal('name: kv\nname: again\n')
    })
  })

  describe('against the test bed network @integration', () => {
    let f: Fabnet
    let project: string
    let organizations: string

    // the bed is shared: a peer busy with other people's tests may take longer than the 10 s default per step
    before(async function () {
      f = fabnetOrSkip(this)
      organizations = path.join(f.env.FABNET_DIR, 'organizations')
      if (!existsSync(organizations)) {
        console.log(`      skipped: ${organizations} does not exist (fabnet writes it on up)`)
        this.skip()
      }

      project = await initProject(root, uniqueName('n'))
    })

    it("imports fabnet's organizations/ to exactly the FABNET_* endpoints, and --check passes on every endpoint", async () => {
      const r = await runCli(['network', 'import', organizations, '--check', '--timeout', '60', '--json'], {
        cwd: project,
      })
      expect(r.code, r.stdout + r.stderr).to.equal(0)
      const out = json<ImportResult>(r)
      expect(out.network).to.deep.equal({
        channel: f.channel,
        orderer: {address: f.ordererAddress, tlsCACert: f.ordererCA},
        orgs: f.orgs.map((o, i) => ({
          mspId: o.mspId,
          mspPath: o.adminMsp,
          // fabnet runs its peers with CHAINCODE_AS_A_SERVICE_BUILDER_CONFIG {"peername":"peer0orgN"}, as test-network does
          peers: [{address: o.peerAddress, peername: `peer0org${i + 1}`, tlsCACert: o.peerCA}],
        })),
      })
      const check = out.check!
      expect(check.ok).to.equal(true)
      expect(check.endpoints.map((e) => [e.kind, e.address, e.ok])).to.deep.equal([
        ['peer', f.orgs[0].peerAddress, true],
        ['peer', f.orgs[1].peerAddress, true],
        ['orderer', f.ordererAddress, true],
      ])
      for (const e of check.endpoints)
        expect(e.steps.map((s) => [s.probe, s.status])).to.deep.equal(
          e.kind === 'peer'
            ? [
                ['tls', 'ok'],
                ['identity', 'ok'],
                ['admin', 'ok'],
                ['channel', 'ok'],
              ]
            : [
                ['tls', 'ok'],
                ['deliver', 'ok'],
              ],
        )
      expect(check.endpoints[0].steps[2].message).to.match(
        /^QueryInstalledChaincodes as Admin@org1\.example\.com \(Org1MSP\): \d+ package/,
      )
      expect(check.endpoints[2].steps[1].message).to.match(
        /^channel mychannel: newest block #\d+ \(read as Admin@org1\.example\.com, Org1MSP\)$/,
      )

      // the human report: one line per step
      const text = await runCli(['network', 'import', organizations, '--check'], {cwd: project})
      expect(text.code, text.stderr).to.equal(0)
      expect(text.stdout).to.match(
        /✓ peer peer0\.org1\.example\.com localhost:7051 \(Org1MSP\)\n {6}✓ tls {6}CN=peer0\.org1\.example\.com issued by CN=tlsca\.org1\.example\.com/,
      )
    })

    it('reports a non-admin identity, a closed port and a wrong CA precisely, per endpoint, and exits 9', async () => {
      const closed = await freePort()
      const r = await runCli(
        [
          'network',
          'import',
          organizations,
          '--check',
          '--timeout',
          '60',
          '--json',
          '--msp-path',
          `Org1MSP=${f.orgs[0].userMsp}`,
          '--address',
          `peer0.org2.example.com=localhost:${closed}`,
          '--orderer-tls-ca',
          f.orgs[0].peerCA,
        ],
        {cwd: project},
      )
      expect(r.code, r.stdout + r.stderr).to.equal(9)
      const {check} = json<ImportResult>(r)
      const [p1, p2, o] = check!.endpoints
      const step = (e: typeof p1, probe: string) => e.steps.find((s) => s.probe === probe)!
      expect(step(p1, 'tls').status).to.equal('ok')
      expect(step(p1, 'admin')).to.deep.include({
        code: 'not-admin',
        message: `identity User1@org1.example.com (${f.orgs[0].userMsp}) is not an admin of Org1MSP: ${f.orgs[0].peerAddress} refused QueryInstalledChaincodes`,
        status: 'failed',
      })
      expect(step(p1, 'channel').status).to.equal('skipped')
      expect(step(p2, 'tls')).to.deep.include({
        code: 'connection-refused',
        message: `nothing listens on localhost:${closed} (connection refused)`,
      })
      expect(step(p2, 'admin')).to.deep.include({message: 'skipped: TLS failed', status: 'skipped'})
      expect(step(o, 'tls')).to.deep.include({
        code: 'tls-unknown-ca',
        message: `wrong TLS CA: the certificate of ${f.ordererAddress} (CN=orderer.example.com, issued by CN=tlsca.example.com) is not signed by ${f.orgs[0].peerCA} (CN=tlsca.org1.example.com)`,
      })

      // without --json: the same report on stdout, then one error line and exit 9
      const text = await runCli(
        [
          'network',
          'import',
          organizations,
          '--check',
          '--timeout',
          '60',
          '--msp-path',
          `Org1MSP=${f.orgs[0].userMsp}`,
        ],
        {
          cwd: project,
        },
      )
      expect(text.code).to.equal(9)
      expect(text.stdout).to.contain('✗ admin    identity User1@org1.example.com')
      expect(text.stderr).to.match(
        /Error: check: 1 of 3 endpoint\(s\) failed; first: identity User1@org1\.example\.com .* is not an admin of Org1MSP/,
      )
    })

    it("--address puts the orderer at a peer's address: each endpoint keeps its own name, and Deliver says the address is not an orderer", async () => {
      const peer = f.orgs[0]
      const r = await runCli(
        [
          'network',
          'import',
          organizations,
          '--check',
          '--dry-run',
          '--timeout',
          '60',
          '--json',
          '--address',
          `orderer.example.com=${peer.peerAddress}`,
          '--orderer-tls-ca',
          peer.peerCA,
        ],
        {cwd: project},
      )
      expect(r.code, r.stdout + r.stderr).to.equal(9)
      const {check} = json<ImportResult>(r)
      expect(check!.endpoints.map((e) => [e.kind, e.name, e.address])).to.deep.equal([
        ['peer', 'peer0.org1.example.com', peer.peerAddress],
        ['peer', 'peer0.org2.example.com', f.orgs[1].peerAddress],
        ['orderer', 'orderer.example.com', peer.peerAddress],
      ])
      expect(check!.endpoints[2].steps.find((s) => s.probe === 'deliver')).to.deep.include({
        code: 'deliver-error',
        message: `${peer.peerAddress} is not an orderer: it has no orderer.AtomicBroadcast service (is it a peer?) during Deliver on ${f.channel}`,
        status: 'failed',
      })
    })

    it("a profile with inline identities and CAs works against the network; a peer's wrong CA, a wrong name, another org's admin", async () => {
      const pem = (file: string) => readFileSync(file, 'utf8')
      const one = (dir: string) => path.join(dir, readdirSync(dir)[0])
      const identity = (msp: string): Pair => ({
        cert: pem(one(path.join(msp, 'signcerts'))),
        key: pem(one(path.join(msp, 'keystore'))),
      })
      const profile = (o: {org1CA?: string; org2Admin?: Pair}) => ({
        channels: {[f.channel]: {orderers: ['orderer.example.com']}},
        orderers: {'orderer.example.com': {tlsCACerts: {pem: pem(f.ordererCA)}, url: `grpcs://${f.ordererAddress}`}},
        organizations: Object.fromEntries(
          f.orgs.map((org, i) => {
            const id = i === 1 && o.org2Admin ? o.org2Admin : identity(org.adminMsp)
            return [
              org.mspId,
              {mspid: org.mspId, peers: [`peer${i}`], users: {Admin: {cert: {pem: id.cert}, key: {pem: id.key}}}},
            ]
          }),
        ),
        peers: Object.fromEntries(
          f.orgs.map((org, i) => [
            `peer${i}`,
            {tlsCACerts: {pem: i === 0 && o.org1CA ? o.org1CA : pem(org.peerCA)}, url: `grpcs://${org.peerAddress}`},
          ]),
        ),
      })
      const file = path.join(root, `${uniqueName('n')}.json`)
      writeFileSync(file, JSON.stringify(profile({}), null, 2))
      // --dry-run --check probes with the inline material in a private temporary folder, and writes nothing here
      const yamlBefore = readFileSync(path.join(project, 'fabk8s.yaml'), 'utf8')
      let r = await runCli(['network', 'import', file, '--check', '--timeout', '60', '--dry-run', '--json'], {
        cwd: project,
      })
      expect(r.code, r.stdout + r.stderr).to.equal(0)
      expect(json<ImportResult>(r)).to.deep.include({written: false})
      expect(json<ImportResult>(r).check?.ok).to.equal(true)
      expect(existsSync(path.join(project, '.fabk8s'))).to.equal(false)
      expect(readFileSync(path.join(project, 'fabk8s.yaml'), 'utf8')).to.equal(yamlBefore)

      r = await runCli(['network', 'import', file, '--check', '--timeout', '60', '--json'], {cwd: project})
      expect(r.code, r.stdout + r.stderr).to.equal(0)
      expect(json<ImportResult>(r).check?.ok).to.equal(true)
      expect(r.stdout + r.stderr).not.to.contain('PRIVATE KEY')
      // the imported section drives the other commands: lifecycle status reads through the inline identities
      const st = await runCli(['lifecycle', 'status', '--json'], {cwd: project})
      expect(st.code, st.stdout + st.stderr).to.equal(0)
      expect(json<{peers: unknown[]}>(st).peers).to.have.length(2)

      writeFileSync(
        file,
        JSON.stringify(profile({org1CA: pem(f.orgs[1].peerCA), org2Admin: identity(f.orgs[0].adminMsp)})),
      )
      r = await runCli(
        [
          'network',
          'import',
          file,
          '--check',
          '--timeout',
          '60',
          '--json',
          '--orderer-hostname',
          'orderer.wrong.example.com',
        ],
        {
          cwd: project,
        },
      )
      expect(r.code, r.stdout + r.stderr).to.equal(9)
      const [p1, p2, o] = json<ImportResult>(r).check!.endpoints
      expect(p1.steps[0]).to.deep.include({code: 'tls-unknown-ca'})
      expect(p1.steps[0].message).to.match(
        /^wrong TLS CA: the certificate of localhost:7051 \(CN=peer0\.org1\.example\.com, issued by CN=tlsca\.org1\.example\.com\) is not signed by .*\.fabk8s\/network\/tls\/peer0-ca\.pem \(CN=tlsca\.org2\.example\.com\)$/,
      )
      expect(p2.steps.find((s) => s.probe === 'admin')).to.deep.include({
        code: 'wrong-msp',
        message: `identity Admin@org1.example.com (${path.join(project, '.fabk8s/network/Org2MSP/Admin/msp')}) is not an identity of Org2MSP: ${f.orgs[1].peerAddress} cannot validate it against Org2MSP`,
      })
      expect(o.steps[0]).to.deep.include({code: 'tls-name-mismatch'})
      expect(o.steps[0].message).to.match(
        /is for orderer\.example\.com, .*localhost.*, not "orderer\.wrong\.example\.com" \(hostnameOverride\)$/,
      )
    })

    it('--channel of a channel the network lacks: each peer has not joined it, the orderer does not serve it', async () => {
      const r = await runCli(
        [
          'network',
          'import',
          organizations,
          '--check',
          '--timeout',
          '60',
          '--json',
          '--channel',
          'nosuchchannel',
          '--dry-run',
        ],
        {
          cwd: project,
        },
      )
      expect(r.code, r.stdout + r.stderr).to.equal(9)
      const out = json<ImportResult>(r)
      expect(out.written).to.equal(false)
      const [p1, , o] = out.check!.endpoints
      expect(p1.steps[3]).to.deep.include({
        code: 'channel-not-joined',
        message: `${f.orgs[0].peerAddress} has not joined channel "nosuchchannel" (or it does not exist)`,
      })
      expect(o.steps[1]).to.deep.include({
        code: 'channel-not-found',
        message: `orderer ${f.ordererAddress} does not serve channel "nosuchchannel" (NOT_FOUND)`,
      })
    })
  })
})
