import {expect} from 'chai'
import {execFile} from 'node:child_process'
import {createHash} from 'node:crypto'
import {cp, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {promisify} from 'node:util'

import type {AdoptResult} from '../../src/commands/adopt.js'

import {loadProject} from '../../src/lib/project/load.js'
import {fabnetOrSkip} from '../lib/fabric/fabnet.js'
import {json, ROOT, runCli} from '../support/cli.js'
import {
  buildNetwork,
  cleanup,
  goBaseImage,
  javaBaseImage,
  nodeBaseImage,
  requireDocker,
  uniq,
} from '../support/docker.js'
import {assertRoundTrip, type RoundTrip, type ServedChaincode, serveOnFabnet} from '../support/served-chaincode.js'

const exec = promisify(execFile)
const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'adopt')

/** A copy of a fixture in a new temporary folder (tests never change the fixtures), minus `drop`. */
async function fixture(name: string, drop: string[] = []): Promise<string> {
  const dir = path.join(await mkdtemp(path.join(tmpdir(), 'fabk8s-adopt-')), name)
  await cp(path.join(FIXTURES, name), dir, {recursive: true})
  for (const f of drop) await rm(path.join(dir, f), {force: true, recursive: true})
  return dir
}

/** Every file below dir with a hash of its content and its mode: what "nothing changed" compares. */
async function snapshot(dir: string, rel = ''): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  for (const e of await readdir(path.join(dir, rel), {withFileTypes: true})) {
    const p = rel ? `${rel}/${e.name}` : e.name
    if (e.isDirectory()) Object.assign(out, {[`${p}/`]: 'dir'}, await snapshot(dir, p))
    else {
      const st = await stat(path.join(dir, p))
      out[p] = `${(st.mode & 0o7777).toString(8)} ${createHash('sha256')
        .update(await readFile(path.join(dir, p)))
        .digest('hex')}`
    }
  }

  return out
}

const adopt = (dir: string, ...flags: string[]) => runCli(['adopt', dir, ...flags])

describe('fabk8s adopt', () => {
  describe('finds the project and its build', () => {
    const cases: [string, Partial<AdoptResult>, string[]][] = [
      [
        'go-subpackage',
        {build: 'go build ./cmd/fabk8s-server', language: 'go', name: 'asset-transfer', version: '1.0'},
        [
          '.dockerignore',
          'Dockerfile',
          'cmd/fabk8s-server/fabk8s_server.go',
          'cmd/fabk8s-server/main.go',
          'fabk8s.yaml',
        ],
      ],
      [
        'go-main',
        {build: 'go build ./', language: 'go', name: 'token-erc20'},
        ['.dockerignore', 'Dockerfile', 'fabk8s.yaml', 'fabk8s_server.go', 'main.go'],
      ],
      [
        'js',
        {build: 'npm ci', language: 'javascript', name: 'inventory-chaincode', version: '2.1.0'},
        ['.dockerignore', 'Dockerfile', 'fabk8s-server.cjs', 'fabk8s.yaml'],
      ],
      [
        'ts',
        {build: 'npm ci, npm run build', language: 'typescript', name: 'ballot', version: '0.3.0'},
        ['.dockerignore', 'Dockerfile', 'fabk8s-server.cjs', 'fabk8s.yaml'],
      ],
      [
        'java-maven',
        {build: 'mvn package', language: 'java', name: 'land-registry', version: '1.4.0'},
        ['.dockerignore', 'Dockerfile', 'fabk8s-server.sh', 'fabk8s.yaml'],
      ],
      [
        'java-gradle',
        {build: 'gradle build', language: 'java', name: 'parcel-tracking', version: '0.9.1'},
        ['.dockerignore', 'Dockerfile', 'fabk8s-server.sh', 'fabk8s.yaml'],
      ],
    ]
    for (const [name, want, files] of cases)
      it(`${name}: --dry-run --json names ${want.language} (${want.build}) and lists every file; nothing is written`, async () => {
        const dir = await fixture(name)
        const before = await snapshot(dir)
        const r = await adopt(dir, '--dry-run', '--json')
        expect(r.code, r.stderr + r.stdout).to.equal(0)
        const out = json<AdoptResult>(r)
        expect(out).to.include({...want, dryRun: true, written: false})
        expect(out.files.map((f) => f.path)).to.deep.equal(files)
        expect(await snapshot(dir)).to.deep.equal(before)
      })

    for (const name of ['js', 'go-main', 'java-maven'])
      it(`${name}: the .dockerignore keeps private keys, keystores and .env out of the image, as init's does`, async () => {
        const dir = await fixture(name)
        const r = await adopt(dir, '--write', '--json')
        expect(r.code, r.stderr).to.equal(0)
        const ignore = (await readFile(path.join(dir, '.dockerignore'), 'utf8')).split('\n')
        for (const line of ['*.key', '**/*.key', '**/*_sk', '**/keystore', '.env'])
          expect(ignore, line).to.include(line)
      })

    it('without a lockfile the image runs npm install; a JS project without a build script installs without dev dependencies', async () => {
      const dir = await fixture('js', ['package-lock.json'])
      const r = await adopt(dir, '--json')
      expect(r.code, r.stderr).to.equal(0)
      expect(json<AdoptResult>(r).build).to.equal('npm install')
      const df = await readFile(path.join(dir, 'Dockerfile'), 'utf8')
      expect(df)
        .to.match(/^COPY package\.json \.\/$/m)
        .and.match(/^RUN npm install --no-audit --no-fund --omit=dev$/m)
      expect(df).not.to.match(/npm run build/)
      const locked = await fixture('ts')
      expect(json<AdoptResult>(await adopt(locked, '--json')).build).to.equal('npm ci, npm run build')
      expect(await readFile(path.join(locked, 'Dockerfile'), 'utf8'))
        .to.match(/^COPY package\.json package-lock\.json \.\/$/m)
        .and.match(/^RUN npm ci --no-audit --no-fund$/m)
        .and.match(/^RUN npm run build && npm prune --omit=dev/m)
    })

    it('TypeScript needs a tsconfig and a build script; with only one it is JavaScript', async () => {
      const dir = await fixture('ts', ['tsconfig.json'])
      const out = json<AdoptResult>(await adopt(dir, '--dry-run', '--json'))
      expect(out.language).to.equal('javascript')
      expect(out.build).to.equal('npm ci, npm run build') // its own build script still runs
    })

    it('a Gradle wrapper builds the image (./gradlew), not a gradle from the build image', async () => {
      const dir = await fixture('java-gradle')
      await mkdir(path.join(dir, 'gradle', 'wrapper'), {recursive: true})
      await writeFile(path.join(dir, 'gradlew'), '#!/bin/sh\nexec java -jar gradle/wrapper/gradle-wrapper.jar "$@"\n')
      const r = await adopt(dir, '--json')
      expect(r.code, r.stderr).to.equal(0)
      expect(json<AdoptResult>(r).build).to.equal('./gradlew build')
      expect(await readFile(path.join(dir, 'Dockerfile'), 'utf8'))
        .to.match(/&& sh \.\/gradlew --no-daemon -q build -x test fabk8sRuntime -I \/tmp\/fabk8s-runtime\.gradle$/m)
        .and.match(/^ARG BUILD_IMAGE=eclipse-temurin:11-jdk$/m)
        .and.match(
          /^# BUILD_IMAGE: a JDK with Gradle \(the wrapper fetches Gradle itself: any JDK 11 or later will do\)\.$/m,
        )
        .and.not.include('{{')
      // without a wrapper the build image must bring the build tool, and the comment says only that
      const plain = await fixture('java-maven')
      expect((await adopt(plain, '--json')).code).to.equal(0)
      expect(await readFile(path.join(plain, 'Dockerfile'), 'utf8'))
        .to.match(/^# BUILD_IMAGE: a JDK with Maven\.$/m)
        .and.not.include('{{')
    })

    it('a private data project: fabk8s.yaml defines the chaincode with its collections_config.json, and it loads', async () => {
      const dir = await fixture('go-private')
      const r = await adopt(dir, '--json')
      expect(r.code, r.stderr).to.equal(0)
      expect(json<AdoptResult>(r).notes.join('\n')).to.match(/private data collections of collections_config\.json/)
      expect(await readFile(path.join(dir, 'fabk8s.yaml'), 'utf8')).to.match(
        /^ {2}collectionsConfig: collections_config\.json {3}# the private data collections/m,
      )
      const p = await loadProject(path.join(dir, 'fabk8s.yaml'), {})
      expect(p.definition.collectionsConfig).to.equal(path.join(dir, 'collections_config.json'))

      // a project without one keeps the commented-out example, as init writes it; a file that is not a JSON array
      // of collections is not used, and the note says so
      const plain = await fixture('go-subpackage')
      await writeFile(path.join(plain, 'collections.json'), '{"name": "not a list"}')
      const out = json<AdoptResult>(await adopt(plain, '--json'))
      expect(out.notes.join('\n')).to.match(/collections\.json is not a JSON array of collections/)
      expect(await readFile(path.join(plain, 'fabk8s.yaml'), 'utf8')).to.match(
        /^ {2}# collectionsConfig: collections_config\.json$/m,
      )
      expect((await loadProject(path.join(plain, 'fabk8s.yaml'), {})).definition.collectionsConfig).to.equal(undefined)
    })

    it('a Gradle 9 wrapper (Java 17 or later to run) builds on JDK 17 even for a Java 11 project, which still runs on 11', async () => {
      const props = (v: string) =>
        `distributionBase=GRADLE_USER_HOME\ndistributionUrl=https\\://services.gradle.org/distributions/gradle-${v}-bin.zip\n`
      const dir = await fixture('java-gradle')
      await mkdir(path.join(dir, 'gradle', 'wrapper'), {recursive: true})
      await writeFile(path.join(dir, 'gradlew'), '#!/bin/sh\nexec java -jar gradle/wrapper/gradle-wrapper.jar "$@"\n')
      await writeFile(path.join(dir, 'gradle', 'wrapper', 'gradle-wrapper.properties'), props('9.1.0'))
      const r = await adopt(dir, '--json')
      expect(r.code, r.stderr).to.equal(0)
      expect(json<AdoptResult>(r).notes.join('\n')).to.match(/Gradle 9 \(gradle-wrapper\.properties\) runs on Java 17/)
      expect(await readFile(path.join(dir, 'Dockerfile'), 'utf8'))
        .to.match(/^ARG BUILD_IMAGE=eclipse-temurin:17-jdk$/m)
        .and.match(/^ARG BASE_IMAGE=eclipse-temurin:11-jre$/m)
        .and.match(/any JDK 17 or later will do/)
      // Gradle 8 runs on Java 11: the build image stays the project's release
      const eight = await fixture('java-gradle')
      await mkdir(path.join(eight, 'gradle', 'wrapper'), {recursive: true})
      await writeFile(path.join(eight, 'gradlew'), '#!/bin/sh\n')
      await writeFile(path.join(eight, 'gradle', 'wrapper', 'gradle-wrapper.properties'), props('8.14.3'))
      expect((await adopt(eight, '--json')).code).to.equal(0)
      expect(await readFile(path.join(eight, 'Dockerfile'), 'utf8')).to.match(
        /^ARG BUILD_IMAGE=eclipse-temurin:11-jdk$/m,
      )
    })

    it('the next steps name the network section before up, and no `cd .` when adopted where it runs', async () => {
      const dir = await fixture('js')
      const here = await runCli(['adopt'], {cwd: dir})
      expect(here.code, here.stderr).to.equal(0)
      const next = here.stdout.slice(here.stdout.indexOf('Next:'))
      expect(next).to.not.match(/cd \./)
      expect(next).to.match(/fabk8s network import SOURCE .*network: in fabk8s\.yaml[\s\S]*fabk8s up /)
      const other = await fixture('ts')
      const there = await adopt(other)
      expect(there.stdout).to.match(/^ {2}cd \S*ts$/m)
    })

    it('fabk8s.yaml takes the project name and version, the flags override them, and it loads', async () => {
      const dir = await fixture('java-maven')
      const r = await adopt(dir, '--namespace', 'chaincode', '--port', '7070', '--json')
      expect(r.code, r.stderr).to.equal(0)
      const p = await loadProject(path.join(dir, 'fabk8s.yaml'), {})
      expect(p).to.include({label: 'land-registry_1.4.0', language: 'java', name: 'land-registry', version: '1.4.0'})
      expect(p.chaincode).to.include({address: 'land-registry.chaincode.svc.cluster.local:7070', port: 7070})
      const other = await fixture('js')
      expect(json<AdoptResult>(await adopt(other, '--name', 'stock', '--chaincode-version', '3', '--json'))).to.include(
        {
          name: 'stock',
          version: '3',
        },
      )
      expect(await loadProject(path.join(other, 'fabk8s.yaml'), {})).to.include({label: 'stock_3'})
    })
  })

  it('Java: fabk8s-server.sh maps the fabk8s names onto what ContractRouter reads, TLS included', async () => {
    const dir = await fixture('java-maven')
    expect((await adopt(dir)).code).to.equal(0)
    expect((await stat(path.join(dir, 'fabk8s-server.sh'))).mode & 0o111).to.not.equal(0)
    // a stand-in java that shows what it was given
    const bin = await mkdtemp(path.join(tmpdir(), 'fabk8s-adopt-bin-'))
    await writeFile(
      path.join(bin, 'java'),
      '#!/bin/sh\nenv | grep -E "^(CHAINCODE_SERVER_ADDRESS|CORE_)" | sort\necho "args: $*"\n',
      {mode: 0o755},
    )
    const run = async (env: Record<string, string>) =>
      exec('sh', [path.join(dir, 'fabk8s-server.sh')], {env: {PATH: `${bin}:${process.env.PATH}`, ...env}}).catch(
        (error: {code: number; stderr: string; stdout: string}) => error,
      )
    const plain = await run({CHAINCODE_ID: 'cc_1:ab', CORE_CHAINCODE_ADDRESS: '0.0.0.0:7052'})
    expect(plain.stdout)
      .to.match(/^CHAINCODE_SERVER_ADDRESS=0\.0\.0\.0:7052$/m)
      .and.match(/^CORE_CHAINCODE_ID_NAME=cc_1:ab$/m)
      .and.match(/^CORE_PEER_TLS_ENABLED=false$/m)
      .and.match(/args: .*-cp \/app\/lib\/\* org\.hyperledger\.fabric\.contract\.ContractRouter$/m)
    const tls = await run({
      CHAINCODE_CLIENT_CA_CERT: '/t/ca.crt',
      CHAINCODE_ID: 'cc_1:ab',
      CHAINCODE_SERVER_ADDRESS: '0.0.0.0:7052',
      CHAINCODE_TLS_CERT: '/t/tls.crt',
      CHAINCODE_TLS_KEY: '/t/tls.key',
    })
    expect(tls.stdout)
      .to.match(/^CORE_PEER_TLS_ENABLED=true$/m)
      .and.match(/^CORE_TLS_CLIENT_KEY_FILE=\/t\/tls\.key$/m)
      .and.match(/^CORE_TLS_CLIENT_CERT_FILE=\/t\/tls\.crt$/m)
      .and.match(/^CORE_TLS_CLIENT_KEY_PATH=\/t\/tls\.key$/m)
      .and.match(/^CORE_PEER_TLS_ROOTCERT_FILE=/m)
    expect(tls.stderr).to.match(/does not ask the peer for a client certificate/)
    const off = await run({
      CHAINCODE_ID: 'x',
      CHAINCODE_SERVER_ADDRESS: ':1',
      CHAINCODE_TLS_CERT: '/c',
      CHAINCODE_TLS_DISABLED: 'True',
      CHAINCODE_TLS_KEY: '/k',
    })
    expect(off.stdout).to.match(/^CORE_PEER_TLS_ENABLED=false$/m)
    const none = (await run({})) as {code: number; stderr: string}
    expect(none.code).to.equal(2)
    expect(none.stderr).to.match(
      /CHAINCODE_SERVER_ADDRESS \(or CORE_CHAINCODE_ADDRESS\) and CHAINCODE_ID .* must be set/,
    )
  })

  describe('refuses, writing nothing (one line, documented exit code)', () => {
    it('no chaincode project → exit 2 naming what it looked for', async () => {
      const dir = await mkdtemp(path.join(tmpdir(), 'fabk8s-adopt-empty-'))
      const r = await adopt(dir)
      expect(r.code).to.equal(2)
      expect(r.stderr).to.match(
        /^Error: no chaincode project found in .*: looked for package\.json depending on fabric-contract-api or fabric-shim, go\.mod requiring fabric-contract-api-go or fabric-chaincode-go, pom\.xml or build\.gradle\[\.kts\] with fabric-chaincode-shim$/m,
      )
      await writeFile(path.join(dir, 'package.json'), JSON.stringify({dependencies: {express: '4'}, name: 'web'}))
      const r2 = await adopt(dir, '--json')
      expect(r2.code).to.equal(2)
      expect(json<{error: {code: string; hint: string}}>(r2).error).to.deep.include({
        code: 'USAGE',
        hint: 'found: package.json does not depend on fabric-contract-api or fabric-shim',
      })
      expect(await readdir(dir)).to.deep.equal(['package.json'])
    })

    it('a file the project already has → exit 4 naming it and how to go on; --force replaces it', async () => {
      const dir = await fixture('js')
      await writeFile(path.join(dir, 'Dockerfile'), 'FROM node:20\nCMD ["npm", "start"]\n')
      const before = await snapshot(dir)
      const r = await adopt(dir)
      expect(r.code).to.equal(4)
      expect(r.stderr).to.match(
        /^Error: .* already has Dockerfile, which fabk8s adopt would add; nothing was written$/m,
      )
      expect(r.stderr).to.match(/^Hint: rename or move it .* or pass --force/m)
      expect(await snapshot(dir)).to.deep.equal(before)
      const dry = json<AdoptResult>(await adopt(dir, '--dry-run', '--json'))
      expect(dry.existing).to.deep.equal(['Dockerfile'])
      expect(dry.files.find((f) => f.path === 'Dockerfile')!.action).to.equal('replace')
      const forced = await adopt(dir, '--force', '--json')
      expect(forced.code, forced.stderr).to.equal(0)
      expect(await readFile(path.join(dir, 'Dockerfile'), 'utf8')).to.match(/fabk8s adopt/)
    })

    it('Go contracts in a sub-package, adopted before: adopt again is exit 4 naming its own files; --force redoes it', async () => {
      const dir = await fixture('go-subpackage')
      expect((await adopt(dir)).code).to.equal(0)
      const before = await snapshot(dir)
      // its own cmd/fabk8s-server is no second main package of the project
      const again = await adopt(dir)
      expect(again.code, again.stderr).to.equal(4)
      expect(again.stderr).to.match(
        /already has .*cmd\/fabk8s-server\/main\.go, which fabk8s adopt would add/,
      )
      expect(again.stderr).to.not.match(/several main packages/)
      expect(await snapshot(dir)).to.deep.equal(before)
      const forced = await adopt(dir, '--force', '--json')
      expect(forced.code, forced.stderr).to.equal(0)
      expect(json<AdoptResult>(forced).build).to.equal('go build ./cmd/fabk8s-server')
      expect(await snapshot(dir)).to.deep.equal(before)
    })

    it("adopt again with --force replaces the files it added but keeps the project's fabk8s.yaml, edits and all", async () => {
      const dir = await fixture('js')
      expect((await adopt(dir)).code).to.equal(0)
      // what a user adds after adopting: the network (by hand or with network import) and a policy
      const edited =
        (await readFile(path.join(dir, 'fabk8s.yaml'), 'utf8')) +
        "definition:\n  signaturePolicy: OR('Org1MSP.peer')\nnetwork:\n  channel: mychannel\n"
      await writeFile(path.join(dir, 'fabk8s.yaml'), edited)
      await writeFile(path.join(dir, 'Dockerfile'), 'FROM node:20\n')
      const dry = json<AdoptResult>(await adopt(dir, '--dry-run', '--json'))
      expect(dry.existing).to.not.include('fabk8s.yaml')
      expect(dry.files.find((f) => f.path === 'fabk8s.yaml')!.action).to.equal('keep')
      const forced = await adopt(dir, '--force')
      expect(forced.code, forced.stderr).to.equal(0)
      expect(forced.stdout).to.match(/^ {2}kept {4}fabk8s\.yaml \(yours: adopt writes one only where there is none\)$/m)
      expect(forced.stdout).to.match(/^ {2}replaced Dockerfile$/m)
      expect(await readFile(path.join(dir, 'fabk8s.yaml'), 'utf8')).to.equal(edited)
      expect(await readFile(path.join(dir, 'Dockerfile'), 'utf8')).to.match(/fabk8s adopt/)
    })

    it('Go contracts in package main: without --write exit 4 showing the line; --write changes exactly that line', async () => {
      const dir = await fixture('go-main')
      const before = await snapshot(dir)
      const original = await readFile(path.join(dir, 'main.go'), 'utf8')
      const dry = await adopt(dir, '--dry-run')
      expect(dry.code, dry.stderr).to.equal(0)
      expect(dry.stdout)
        .to.match(/main\.go:84 \(applied with --write\):/)
        .and.match(/- \tif err := tokenChaincode\.Start\(\); err != nil \{/)
        .and.match(/\+ \tif err := fabk8sStart\(tokenChaincode\); err != nil \{/)
      const r = await adopt(dir, '--json')
      expect(r.code).to.equal(4)
      const err = json<{
        error: {detail: {changes: {after: string; before: string; file: string; line: number}[]}; message: string}
      }>(r).error
      expect(err.message).to.match(/^main\.go:84 must change .*--write; nothing was written$/)
      expect(err.detail.changes).to.deep.equal([
        {
          after: '\tif err := fabk8sStart(tokenChaincode); err != nil {',
          before: '\tif err := tokenChaincode.Start(); err != nil {',
          file: 'main.go',
          line: 84,
        },
      ])
      expect(await snapshot(dir)).to.deep.equal(before)
      const w = await adopt(dir, '--write', '--json')
      expect(w.code, w.stderr).to.equal(0)
      const changed = (await readFile(path.join(dir, 'main.go'), 'utf8')).split('\n')
      const was = original.split('\n')
      expect(changed.filter((l, i) => l !== was[i])).to.deep.equal([err.detail.changes[0].after])
      expect(((await stat(path.join(dir, 'main.go'))).mode & 0o7777).toString(8)).to.equal(
        before['main.go'].split(' ')[0],
      )
    })

    it('a change already made by hand (fabk8sStart in main) needs no --write', async () => {
      const dir = await fixture('go-main')
      const file = path.join(dir, 'main.go')
      await writeFile(
        file,
        (await readFile(file, 'utf8')).replace('tokenChaincode.Start()', 'fabk8sStart(tokenChaincode)'),
      )
      const r = await adopt(dir, '--json')
      expect(r.code, r.stderr).to.equal(0)
      expect(json<AdoptResult>(r).changes).to.deep.equal([])
    })

    it('a write that fails midway leaves the project as it was (all or nothing)', async () => {
      const dir = await fixture('go-subpackage')
      // a file named cmd: .dockerignore and Dockerfile move in first, then cmd/fabk8s-server/ cannot be made
      await writeFile(path.join(dir, 'cmd'), 'not a folder\n')
      const before = await snapshot(dir)
      const r = await adopt(dir)
      expect(r.code).to.equal(4)
      expect(r.stderr).to.match(/nothing was changed in/)
      expect(await snapshot(dir)).to.deep.equal(before)
    })

    it('fabric-shim without fabric-contract-api, a missing fabric-shim, a Java project without @Contract → exit 2', async () => {
      const shimOnly = await fixture('js')
      const pj = path.join(shimOnly, 'package.json')
      const pkg = JSON.parse(await readFile(pj, 'utf8'))
      delete pkg.dependencies['fabric-contract-api']
      await writeFile(pj, JSON.stringify(pkg))
      const a = await adopt(shimOnly)
      expect(a.code).to.equal(2)
      expect(a.stderr).to.match(/fabric-shim without fabric-contract-api/)
      const noShim = await fixture('js')
      const pkg2 = JSON.parse(await readFile(path.join(noShim, 'package.json'), 'utf8'))
      delete pkg2.dependencies['fabric-shim']
      await writeFile(path.join(noShim, 'package.json'), JSON.stringify(pkg2))
      const b = await adopt(noShim)
      expect(b.code).to.equal(2)
      expect(b.stderr).to.match(/fabric-shim is not in dependencies/)
      const java = await fixture('java-maven')
      const src = path.join(java, 'src/main/java/org/acme/registry/RegistryContract.java')
      await writeFile(src, (await readFile(src, 'utf8')).replaceAll(/^@(Contract|Default)\b.*$/gm, ''))
      const c = await adopt(java)
      expect(c.code).to.equal(2)
      expect(c.stderr).to.match(/no @Contract class under src\/main/)
      for (const d of [shimOnly, noShim, java]) expect(await readdir(d)).not.to.include('fabk8s.yaml')
    })
  })

  describe('adopted projects build with the real Docker engine and answer a real invoke through the bed @integration', function () {
    this.timeout(3_600_000)
    const images: string[] = []
    let fabnet: ReturnType<typeof fabnetOrSkip>
    let network: string | undefined

    before(async function () {
      fabnet = fabnetOrSkip(this)
      await requireDocker(this)
      network = await buildNetwork()
    })

    after(async () => {
      await cleanup({images})
    })

    const projects: {adoptFlags?: string[]; drop?: string[]; fixture: string; label: string; trip: RoundTrip}[] = [
      {
        fixture: 'go-subpackage',
        label: 'Go, contracts in a sub-package (a new main package beside them)',
        trip: {
          evaluate: ['ReadAsset', 'asset7'],
          failing: {evaluate: ['ReadAsset', 'nope'], message: /the asset nope does not exist/},
          result: {Color: 'blue', ID: 'asset7', Owner: 'tom', Size: 5},
          submit: ['CreateAsset', 'asset7', 'blue', '5', 'tom'],
        },
      },
      {
        adoptFlags: ['--write'],
        fixture: 'go-main',
        label: 'Go, contracts in package main (main.go changed with --write)',
        trip: {
          evaluate: ['BalanceOf', 'alice'],
          failing: {evaluate: ['Transfer', 'bob', 'alice', '5'], message: /account bob has insufficient funds: 0 < 5/},
          result: 100,
          submit: ['Mint', 'alice', '100'],
        },
      },
      ...(['js', 'ts'] as const).flatMap((lang) =>
        [false, true].map((drop) => ({
          drop: drop ? ['package-lock.json'] : [],
          fixture: lang,
          label: `${lang === 'js' ? 'JavaScript' : 'TypeScript'} ${drop ? 'without' : 'with'} a lockfile`,
          trip:
            lang === 'js'
              ? {
                  evaluate: ['GetItem', 'sku-1'],
                  failing: {evaluate: ['GetItem', 'nope'], message: /item nope is not stocked/},
                  result: {name: 'bolts', quantity: 40, sku: 'sku-1'},
                  submit: ['AddItem', 'sku-1', 'bolts', '40'],
                }
              : {
                  evaluate: ['GetProposal', 'p1'],
                  failing: {evaluate: ['GetProposal', 'nope'], message: /no proposal nope/},
                  result: {id: 'p1', title: 'more parks', votes: 0},
                  submit: ['Propose', 'p1', 'more parks'],
                },
        })),
      ),
      {
        fixture: 'java-maven',
        label: 'Java with Maven',
        trip: {
          evaluate: ['QueryTitle', 'lot-9'],
          failing: {evaluate: ['QueryTitle', 'nope'], message: /parcel nope is not registered/},
          result: {holder: 'ann', parcel: 'lot-9'},
          submit: ['RegisterTitle', 'lot-9', 'ann'],
        },
      },
      {
        fixture: 'java-gradle',
        label: 'Java with Gradle',
        trip: {
          evaluate: ['Track', 'px1'],
          failing: {evaluate: ['Track', 'nope'], message: /parcel nope is unknown/},
          result: {depot: 'north', id: 'px1'},
          submit: ['Ship', 'px1', 'north'],
        },
      },
    ]

    for (const p of projects)
      describe(p.label, () => {
        let dir: string
        let served: ServedChaincode | undefined
        const name = `ad${p.fixture.replaceAll(/[^a-z]/g, '').slice(0, 6)}${uniq()}`
        const image = `fabk8s-test/${name}:1`

        before(async function () {
          if (p.fixture === 'java-gradle') {
            try {
              await exec('gradle', ['--version'])
            } catch {
              console.log('      skipped: no gradle on this machine for the build image (apt-get install gradle)')
              this.skip()
            }
          }

          dir = await fixture(p.fixture, p.drop)
          const a = await adopt(dir, '--name', name, '--json', ...(p.adoptFlags ?? []))
          expect(a.code, a.stderr + a.stdout).to.equal(0)
          const lang = json<AdoptResult>(a).language
          const base =
            lang === 'go'
              ? ['--base-image', await goBaseImage()]
              : lang === 'java'
                ? [
                    '--base-image',
                    await javaBaseImage('runtime'),
                    '--build-arg',
                    `BUILD_IMAGE=${await javaBaseImage('build')}`,
                  ]
                : ['--base-image', await nodeBaseImage()]
          images.push(image)
          const b = await runCli(
            ['build', '-p', dir, '--tag', image, ...base, ...(network ? ['--network', network] : []), '--json'],
            {timeoutMs: 1_800_000},
          )
          expect(b.code, b.stderr + b.stdout).to.equal(0)
          served = await serveOnFabnet(fabnet, dir, image)
        })

        after(async () => {
          await served?.stop()
          if (dir) await rm(path.dirname(dir), {force: true, recursive: true})
        })

        it("its image, run as the Deployment runs it, answers a submit and an evaluate through both orgs' peers", async () => {
          await assertRoundTrip(dir, p.trip, served)
        })
      })
  })
})
