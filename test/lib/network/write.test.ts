import {expect} from 'chai'
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  promises,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {restore, stub} from 'sinon'

import type {ImportedNetwork} from '../../../src/lib/network/model.js'

import {pathForYaml, planSection, renderSection} from '../../../src/lib/network/section.js'
import {planDockerignore, spliceNetwork, stageMaterial, writeImport} from '../../../src/lib/network/write.js'
import {loadProject} from '../../../src/lib/project/load.js'
import {render} from '../../../src/lib/scaffold/templates.js'
import {rejection} from '../../support/rejection.js'
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
      // rendered as init renders it (the template engine itself: its sections may sit inside a line)
      const src = render(template, {
        addressYaml: 'kv.fabk8s.svc.cluster.local:9999',
        channel: 'mychannel',
        cluster: 'kind',
        collections: false,
        collectionsFile: 'collections_config.json',
        language: 'go',
        name: 'kv',
        namespace: 'fabk8s',
        nodePort: 0,
        port: 9999,
        tls: false,
        version: '1.0',
      })
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

    it('a file whose keys are indented, or that ends its document with ..., gets the section inside its mapping', async () => {
      const indented = await spliceNetwork('  name: kv\n  version: "1"\n', SECTION, 'f')
      expect(indented.text).to.equal('  name: kv\n  version: "1"\n\n' + SECTION.replaceAll(/^(?=.)/gm, '  '))
      const replaced = await spliceNetwork('  name: kv\n  network: ~\n  version: "1"\n', SECTION, 'f')
      expect(replaced.text).to.equal('  name: kv\n' + SECTION.replaceAll(/^(?=.)/gm, '  ') + '  version: "1"\n')
      const ended = await spliceNetwork('name: kv\nversion: "1"\n...\n# after the document\n', SECTION, 'f')
      expect(ended.text).to.equal('name: kv\nversion: "1"\n\n' + SECTION + '...\n# after the document\n')
    })

    it('refuses a file that is not one block mapping (exit 3, file and line)', async () => {
      let e = await rejection(spliceNetwork('name: kv\nname: kw\n', SECTION, 'fabk8s.yaml'))
      expect(e.exitCode).to.equal(3)
      expect(e.message).to.match(/^fabk8s\.yaml:2 Map keys must be unique/)
      e = await rejection(spliceNetwork('- a\n- b\n', SECTION, 'fabk8s.yaml'))
      expect(e.message).to.equal('fabk8s.yaml: must be a block YAML mapping (name: …, version: …)')
      e = await rejection(spliceNetwork('name: a\n---\nname: b\n', SECTION, 'fabk8s.yaml'))
      expect(e.message).to.match(/several YAML documents/)
    })
  })

  describe('files', () => {
    let dir: string

    beforeEach(() => {
      dir = mkdtempSync(path.join(tmpdir(), 'fabk8s-write-'))
    })

    afterEach(() => rmSync(dir, {force: true, recursive: true}))

    it('writeImport replaces fabk8s.yaml through a rename, keeps its mode and a symlink, leaves no temporary file', async () => {
      const file = path.join(dir, 'fabk8s.yaml')
      const only = (f: string, text: string) =>
        writeImport({file: f, material: {dir: path.join(dir, 'm'), files: []}, text})
      writeFileSync(file, 'old\n', {mode: 0o640})
      await only(file, 'new\n')
      expect(readFileSync(file, 'utf8')).to.equal('new\n')
      expect(statSync(file).mode & 0o777).to.equal(0o640)
      expect(readdirSync(dir)).to.deep.equal(['fabk8s.yaml'])
      const e = await rejection(only(path.join(dir, 'missing', 'x.yaml'), 'x'))
      expect(e.exitCode).to.equal(4)
      expect(e.message).to.match(
        /missing\/x\.yaml: cannot write \(ENOENT: its folder does not exist\); nothing was changed$/,
      )
      // a symlink stays a symlink; the file it points to gets the text
      const {lstatSync, symlinkSync} = await import('node:fs')
      const link = path.join(dir, 'link.yaml')
      symlinkSync(file, link)
      await only(link, 'via link\n')
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

    it('planDockerignore: creates, appends once, leaves a file that already lists .fabk8s; a folder is exit 4', async () => {
      const file = path.join(dir, '.dockerignore')
      const created = await planDockerignore(dir)
      expect(created).to.deep.include({file, status: 'created'})
      expect(created.text).to.match(/^\.fabk8s$/m)
      writeFileSync(file, created.text!)
      expect(await planDockerignore(dir)).to.deep.equal({file, status: 'present'})
      writeFileSync(file, 'node_modules')
      const added = await planDockerignore(dir)
      expect(added.status).to.equal('added')
      expect(added.text).to.match(/^node_modules\n#.*\n\.fabk8s\n$/)
      expect(readFileSync(file, 'utf8')).to.equal('node_modules') // planning writes nothing
      rmSync(file)
      mkdirSync(file)
      const e = await rejection(planDockerignore(dir))
      expect(e.exitCode).to.equal(4)
      expect(e.message).to.equal(`${file}: cannot write (EISDIR: a folder has that name); nothing was changed`)
    })

    describe('writeImport: all or nothing, fabk8s.yaml last', () => {
      const KEY = {content: 'NEW KEY\n', mode: 0o600, rel: 'Org1MSP/admin/msp/keystore/key.pem'}
      let yaml: string
      let ignore: string
      let mat: string
      const write = (files = [KEY]) =>
        writeImport({
          dockerignore: {file: ignore, text: 'node_modules\n.fabk8s\n'},
          file: yaml,
          material: {dir: mat, files},
          text: 'name: kv\nnetwork: {}\n',
        })

      /** Every file and folder under `dir` with its content (folders '<dir>'). */
      const snapshot = (d = dir): Record<string, string> => {
        const out: Record<string, string> = {}
        for (const e of readdirSync(d, {recursive: true, withFileTypes: true})) {
          const p = path.join(e.parentPath, e.name)
          out[path.relative(dir, p)] = e.isDirectory() ? '<dir>' : readFileSync(p, 'utf8')
        }

        return out
      }

      /** Make fs.promises.rename fail with EIO for the renames `fails` picks; the others run (and are recorded). */
      const failRename = (fails: (from: string, to: string) => boolean) => {
        const real = promises.rename.bind(promises)
        const calls: string[] = []
        stub(promises, 'rename').callsFake(async (from, to) => {
          calls.push(path.relative(dir, String(to)))
          if (fails(String(from), String(to))) throw Object.assign(new Error('EIO: rename failed'), {code: 'EIO'})
          return real(from, to)
        })
        return calls
      }

      beforeEach(() => {
        yaml = path.join(dir, 'fabk8s.yaml')
        ignore = path.join(dir, '.dockerignore')
        mat = path.join(dir, '.fabk8s', 'network')
        writeFileSync(yaml, 'name: kv\n')
        writeFileSync(ignore, 'node_modules\n')
        mkdirSync(path.join(mat, 'Org1MSP'), {recursive: true})
        writeFileSync(path.join(mat, 'Org1MSP', 'old.pem'), 'OLD\n')
      })

      afterEach(() => restore())

      it('writes the folder, .dockerignore and fabk8s.yaml, and leaves nothing else', async () => {
        expect(await write()).to.deep.equal({notes: []})
        expect(snapshot()).to.deep.equal({
          '.dockerignore': 'node_modules\n.fabk8s\n',
          '.fabk8s': '<dir>',
          '.fabk8s/network': '<dir>',
          '.fabk8s/network/.gitignore': '# written by fabk8s network import: keys stay out of git\n*\n',
          '.fabk8s/network/Org1MSP': '<dir>',
          '.fabk8s/network/Org1MSP/admin': '<dir>',
          '.fabk8s/network/Org1MSP/admin/msp': '<dir>',
          '.fabk8s/network/Org1MSP/admin/msp/keystore': '<dir>',
          '.fabk8s/network/Org1MSP/admin/msp/keystore/key.pem': 'NEW KEY\n',
          'fabk8s.yaml': 'name: kv\nnetwork: {}\n',
        })
      })

      it('.dockerignore a folder, .fabk8s or .fabk8s/network a file: exit 4 naming it, before anything is written', async () => {
        // each: what is in the way, made in place of what the import writes there, and why it cannot write
        const replace = (p: string, as: 'file' | 'folder') => () => {
          rmSync(p, {recursive: true})
          if (as === 'folder') mkdirSync(p)
          else writeFileSync(p, 'mine\n')
        }

        const cases: [string, () => void, string][] = [
          [ignore, replace(ignore, 'folder'), 'EISDIR: a folder has that name'],
          [mat, replace(mat, 'file'), 'ENOTDIR: a file has that name'],
          [path.dirname(mat), replace(path.dirname(mat), 'file'), 'ENOTDIR: a file has that name'],
        ]
        for (const [where, make, why] of cases) {
          rmSync(dir, {force: true, recursive: true})
          mkdirSync(dir)
          writeFileSync(yaml, 'name: kv\n')
          writeFileSync(ignore, 'node_modules\n')
          mkdirSync(mat, {recursive: true})
          make()
          const before = snapshot()
          const e = await rejection(write())
          expect(e.exitCode, where).to.equal(4)
          expect(e.message).to.equal(`${where}: cannot write (${why}); nothing was changed`)
          expect(snapshot(), where).to.deep.equal(before)
        }
      })

      it('fabk8s.yaml failing after the folder and .dockerignore went in: both are undone, nothing changed', async () => {
        const before = snapshot()
        const calls = failRename((_, to) => to === yaml)
        const e = await rejection(write())
        expect(
          calls.slice(0, 4).map((c) => c.replace(/\.(old|new)-\w+$/, '.$1-*').replace(/\.\w+\.tmp$/, '.*.tmp')),
        ).to.deep.equal([
          '.fabk8s/network.old-*', // the previous folder set aside
          '.fabk8s/network', // the new one in
          '.dockerignore', // .dockerignore in
          'fabk8s.yaml', // fails
        ])
        expect(e.exitCode).to.equal(4)
        expect(e.message).to.equal(`${yaml}: cannot write (EIO); nothing was changed`)
        expect(snapshot()).to.deep.equal(before)
      })

      it('a new .fabk8s made for the import goes too when the import fails', async () => {
        rmSync(path.dirname(mat), {recursive: true})
        const before = snapshot()
        failRename((_, to) => to === yaml)
        const e = await rejection(write())
        expect(e.message).to.equal(`${yaml}: cannot write (EIO); nothing was changed`)
        expect(snapshot()).to.deep.equal(before)
      })

      it('when undoing fails too, the error says what was written, what not, and where the previous file is', async () => {
        failRename((from, to) => to === yaml || from.endsWith('.orig'))
        const e = await rejection(write())
        expect(e.exitCode).to.equal(4)
        expect(e.message).to.equal(`${yaml}: cannot write (EIO); written: ${ignore}; not written: ${mat}, ${yaml}`)
        const kept = readdirSync(dir).find((n) => n.endsWith('.orig'))!
        expect(e.hint).to.equal(`could not undo ${ignore} (EIO): the previous one is at ${path.join(dir, kept)}`)
        expect(readFileSync(path.join(dir, kept), 'utf8')).to.equal('node_modules\n')
        expect(readFileSync(yaml, 'utf8')).to.equal('name: kv\n')
        expect(readFileSync(path.join(mat, 'Org1MSP', 'old.pem'), 'utf8')).to.equal('OLD\n')
        expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).to.deep.equal([])
      })
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

    it('pathForYaml: a folder of the project named ~ or ~user is written ./~…, which loads inside the project (not from a home folder)', async () => {
      expect(pathForYaml('/p', '/p/~/msp')).to.equal('./~/msp')
      expect(pathForYaml('/p', '/p/~bob/ca.pem')).to.equal('./~bob/ca.pem')
      expect(pathForYaml('/p', '/p/a/~/b.pem')).to.equal('a/~/b.pem')
      const dir = mkdtempSync(path.join(tmpdir(), 'fabk8s-tilde-'))
      const msp = path.join(dir, '~', 'msp')
      const ca = path.join(dir, '~bob', 'ca.pem')
      writeFileSync(
        path.join(dir, 'fabk8s.yaml'),
        `name: kv\nversion: "1"\n${SECTION.replace('mspPath: msp', `mspPath: ${pathForYaml(dir, msp)}`).replaceAll('ca.pem', pathForYaml(dir, ca))}`,
      )
      const project = await loadProject(path.join(dir, 'fabk8s.yaml'), {})
      expect(project.network!.orgs[0].mspPath).to.equal(msp)
      expect(project.network!.orderer.tlsCACert).to.equal(ca)
      rmSync(dir, {force: true, recursive: true})
    })
  })
})
