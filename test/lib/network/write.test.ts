import {expect} from 'chai'
import {existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import type {ImportedNetwork} from '../../../src/lib/network/model.js'

import {FabError} from '../../../src/lib/errors.js'
import {pathForYaml, planSection, renderSection} from '../../../src/lib/network/section.js'
import {atomicWrite, ensureDockerignore, spliceNetwork, stageMaterial} from '../../../src/lib/network/write.js'
import {loadProject} from '../../../src/lib/project/load.js'
import {issue, newCA} from './crypto.js'

const SECTION = `network:
  # imported by test
  channel: mychannel
  orderer:
    address: localhost:7050
    tlsCACert: ca.pem
  orgs:
    - mspId: Org1MSP
      mspPath: msp
      peers:
        - address: localhost:7051
          tlsCACert: ca.pem
`

async function rejects(p: Promise<unknown>): Promise<FabError> {
  try {
    await p
  } catch (error) {
    return error as FabError
  }

  throw new Error('expected a rejection')
}

describe('network import: writing fabk8s.yaml', () => {
  describe('spliceNetwork keeps every byte outside the network section', () => {
    const head = `# my project
name: kv   # the chaincode
version: "1.0"   # quoted on purpose
chaincode:
  address:   kv.fabk8s.svc.cluster.local:9999
  tls: false

`
    const tail = `
# definition comment at column 0
definition:
  signaturePolicy: "OR('Org1MSP.peer')"   # keep me
  initRequired: false
`

    it('replaces an existing block section, with its indented trailing comments, and nothing else', async () => {
      const old = `# the network, hand-written
network:
  channel: old
  orderer: {address: "x:1", tlsCACert: a.pem}
  orgs:
    - mspId: OldMSP
      mspPath: old/msp
      peers:
        - {address: "y:2", tlsCACert: b.pem}   # a peer
  # an indented note inside the section
`
      const {mode, text} = await spliceNetwork(head + old + tail, SECTION, 'fabk8s.yaml')
      expect(mode).to.equal('replaced')
      expect(text).to.equal(head + '# the network, hand-written\n' + SECTION + tail)
    })

    it('replaces a flow-style or empty section on one line', async () => {
      for (const old of ['network: {channel: x, orgs: []}   # flow\n', 'network:\n', 'network: ~\n']) {
        const {text} = await spliceNetwork(head + old + tail, SECTION, 'f.yaml')
        expect(text).to.equal(head + SECTION + tail)
      }
    })

    it('replaces the section when it is last in a file without a final newline', async () => {
      const {text} = await spliceNetwork(head + 'network:\n  channel: x', SECTION, 'f.yaml')
      expect(text).to.equal(head + SECTION)
    })

    it("takes the place of fabk8s init's commented-out example, keeping the comments above it", async () => {
      const template = readFileSync(new URL('../../../templates/chaincode/common/fabk8s.yaml', import.meta.url), 'utf8')
      const src = template
        .replaceAll(/^\{\{#(\w+)\}\}\n[\s\S]*?^\{\{\/\1\}\}\n/gm, '')
        .replaceAll(/^\{\{[\^/]\w+\}\}\n/gm, '')
        .replaceAll(/\{\{(\w+)\}\}/g, (m, k: string) => ({language: 'go', port: '9999', version: '1.0'})[k] ?? 'kv')
      const {mode, text} = await spliceNetwork(src, SECTION, 'fabk8s.yaml')
      expect(mode).to.equal('replaced-example')
      const at = src.indexOf('# network:')
      expect(at).to.be.greaterThan(0)
      expect(text.slice(0, at)).to.equal(src.slice(0, at))
      expect(text.slice(at)).to.equal(SECTION)
      expect(text).to.contain('# Fill in your orderer, orgs and peers')
    })

    it('appends when there is no section, with one blank line before it', async () => {
      expect((await spliceNetwork('name: kv\n', SECTION, 'f')).text).to.equal('name: kv\n\n' + SECTION)
      expect((await spliceNetwork('name: kv', SECTION, 'f')).text).to.equal('name: kv\n\n' + SECTION)
      expect((await spliceNetwork('name: kv\n\n', SECTION, 'f')).text).to.equal('name: kv\n\n' + SECTION)
      const r = await spliceNetwork('', SECTION, 'f')
      expect([r.mode, r.text]).to.deep.equal(['appended', SECTION])
    })

    it('refuses a file that is not one block mapping (exit 3, file and line)', async () => {
      let e = await rejects(spliceNetwork('name: kv\nname: kw\n', SECTION, 'fabk8s.yaml'))
      expect(e.exitCode).to.equal(3)
      expect(e.message).to.match(/^fabk8s\.yaml:2 Map keys must be unique/)
      e = await rejects(spliceNetwork('- a\n- b\n', SECTION, 'fabk8s.yaml'))
      expect(e.message).to.equal('fabk8s.yaml: must be a block YAML mapping (name: …, version: …)')
      e = await rejects(spliceNetwork('name: a\n---\nname: b\n', SECTION, 'fabk8s.yaml'))
      expect(e.message).to.match(/several YAML documents/)
    })
  })

  describe('files', () => {
    let dir: string

    beforeEach(() => {
      dir = mkdtempSync(path.join(tmpdir(), 'fabk8s-write-'))
    })

    afterEach(() => rmSync(dir, {force: true, recursive: true}))

    it('atomicWrite replaces the file through a rename, keeps its mode and leaves no temporary file', async () => {
      const file = path.join(dir, 'fabk8s.yaml')
      writeFileSync(file, 'old\n', {mode: 0o640})
      await atomicWrite(file, 'new\n')
      expect(readFileSync(file, 'utf8')).to.equal('new\n')
      expect(statSync(file).mode & 0o777).to.equal(0o640)
      const {readdirSync} = await import('node:fs')
      expect(readdirSync(dir)).to.deep.equal(['fabk8s.yaml'])
      const e = await rejects(atomicWrite(path.join(dir, 'missing', 'x.yaml'), 'x'))
      expect(e.exitCode).to.equal(4)
      // a symlink stays a symlink; the file it points to gets the text
      const {lstatSync, symlinkSync} = await import('node:fs')
      const link = path.join(dir, 'link.yaml')
      symlinkSync(file, link)
      await atomicWrite(link, 'via link\n')
      expect(lstatSync(link).isSymbolicLink()).to.equal(true)
      expect(readFileSync(file, 'utf8')).to.equal('via link\n')
    })

    it('stageMaterial: folders 0700, keys 0600, a .gitignore of *; rollback restores, commit drops the old', async () => {
      const mat = path.join(dir, '.fabk8s', 'network')
      const files = [
        {content: 'CERT\n', mode: 0o644, rel: 'Org1MSP/admin/msp/signcerts/cert.pem'},
        {content: 'KEY\n', mode: 0o600, rel: 'Org1MSP/admin/msp/keystore/key.pem'},
      ]
      const s1 = await stageMaterial(mat, files)
      await s1.commit()
      expect(readFileSync(path.join(mat, '.gitignore'), 'utf8')).to.match(/^\*$/m)
      const mode = (p: string) => statSync(path.join(mat, p)).mode & 0o777
      expect(mode('Org1MSP/admin/msp/keystore/key.pem')).to.equal(0o600)
      expect(mode('Org1MSP/admin/msp/signcerts/cert.pem')).to.equal(0o644)
      for (const d of ['.', 'Org1MSP', 'Org1MSP/admin', 'Org1MSP/admin/msp', 'Org1MSP/admin/msp/keystore'])
        expect(mode(d), d).to.equal(0o700)

      const s2 = await stageMaterial(mat, [{content: 'OTHER\n', mode: 0o644, rel: 'tls/x-ca.pem'}])
      expect(existsSync(path.join(mat, 'tls/x-ca.pem'))).to.equal(true)
      await s2.rollback()
      expect(existsSync(path.join(mat, 'tls'))).to.equal(false)
      expect(readFileSync(path.join(mat, 'Org1MSP/admin/msp/keystore/key.pem'), 'utf8')).to.equal('KEY\n')

      const s3 = await stageMaterial(mat, [])
      await s3.commit()
      expect(existsSync(mat)).to.equal(false)
      const {readdirSync} = await import('node:fs')
      expect(readdirSync(path.join(dir, '.fabk8s'))).to.deep.equal([])
    })

    it('ensureDockerignore creates, appends once, and leaves a file that already lists .fabk8s', async () => {
      expect(await ensureDockerignore(dir)).to.equal('created')
      expect(readFileSync(path.join(dir, '.dockerignore'), 'utf8')).to.match(/^\.fabk8s$/m)
      expect(await ensureDockerignore(dir)).to.equal('present')
      writeFileSync(path.join(dir, '.dockerignore'), 'node_modules')
      expect(await ensureDockerignore(dir)).to.equal('added')
      expect(readFileSync(path.join(dir, '.dockerignore'), 'utf8')).to.match(/^node_modules\n#.*\n\.fabk8s\n$/)
    })

    it('planSection: inline PEMs become material files (one per distinct CA), paths relative inside the project', async () => {
      const ca = await newCA('tlsca')
      const idCA = await newCA('ca')
      const admin = await issue(idCA, {cn: 'Admin', ous: ['admin']})
      const outside = mkdtempSync(path.join(tmpdir(), 'fabk8s-outside-'))
      const msp = path.join(outside, 'msp')
      mkdirSync(msp)
      const net: ImportedNetwork = {
        kind: 'profile',
        notes: [],
        orderer: {address: 'o:7050', addressFrom: 't', name: 'o', tlsCA: {file: path.join(dir, 'certs', 'o-ca.pem')}},
        orderers: [],
        orgs: [
          {
            identity: {cert: {pem: admin.cert}, from: 't', key: {pem: admin.key}, kind: 'pem', name: 'admin'},
            mspId: 'Org1MSP',
            name: 'Org1',
            peers: [
              {address: 'p0:7051', addressFrom: 't', hostnameOverride: 'peer0', name: 'p0', tlsCA: {pem: ca.cert}},
              {address: 'p1:7051', addressFrom: 't', name: 'p1', tlsCA: {pem: ca.cert}},
            ],
          },
          {
            identity: {from: 't', kind: 'msp', mspPath: msp},
            mspId: 'Org2MSP',
            name: 'Org2',
            peers: [{address: 'q:9051', addressFrom: 't', name: 'q$x', tlsCA: {pem: (await newCA('other')).cert}}],
          },
        ],
        source: dir,
      }
      const plan = await planSection(net, dir)
      expect(plan.files.map((f) => [f.rel, f.mode.toString(8)])).to.deep.equal([
        ['tls/p0-ca.pem', '644'],
        ['Org1MSP/admin/msp/signcerts/cert.pem', '644'],
        ['Org1MSP/admin/msp/keystore/key.pem', '600'],
        ['tls/q_x-ca.pem', '644'],
      ])
      expect(plan.section).to.deep.equal({
        channel: 'mychannel',
        orderer: {address: 'o:7050', tlsCACert: 'certs/o-ca.pem'},
        orgs: [
          {
            mspId: 'Org1MSP',
            mspPath: '.fabk8s/network/Org1MSP/admin/msp',
            peers: [
              {address: 'p0:7051', hostnameOverride: 'peer0', tlsCACert: '.fabk8s/network/tls/p0-ca.pem'},
              {address: 'p1:7051', tlsCACert: '.fabk8s/network/tls/p0-ca.pem'},
            ],
          },
          {mspId: 'Org2MSP', mspPath: msp, peers: [{address: 'q:9051', tlsCACert: '.fabk8s/network/tls/q_x-ca.pem'}]},
        ],
      })
      const cfg = plan.config('/elsewhere')
      expect(cfg.orgs[0].mspPath).to.equal('/elsewhere/Org1MSP/admin/msp')
      expect(cfg.orgs[0].peers[0]).to.deep.equal({
        address: 'p0:7051',
        hostnameOverride: 'peer0',
        tlsCACert: '/elsewhere/tls/p0-ca.pem',
      })
      expect(cfg.orgs[1].mspPath).to.equal(msp)

      // the rendered section loads with the project loader, and resolves to the same absolute paths
      const yaml = await renderSection(plan.section, 'imported by a test')
      expect(yaml).to.match(/^network:\n {2}# imported by a test\n {2}channel: mychannel\n/)
      expect(yaml).not.to.contain('PRIVATE KEY')
      writeFileSync(path.join(dir, 'fabk8s.yaml'), `name: kv\nversion: "1"\n${yaml}`)
      const project = await loadProject(path.join(dir, 'fabk8s.yaml'))
      expect(project.network).to.deep.equal(plan.config(plan.materialDir))
      rmSync(outside, {force: true, recursive: true})
    })

    it('pathForYaml: relative inside the project, absolute outside, $ doubled for the loader', () => {
      expect(pathForYaml('/p', '/p/a/b.pem')).to.equal('a/b.pem')
      expect(pathForYaml('/p', '/q/b.pem')).to.equal('/q/b.pem')
      expect(pathForYaml('/p', '/p')).to.equal('/p')
      expect(pathForYaml('/p', '/p/$HOME/x')).to.equal('$$HOME/x')
    })
  })
})
