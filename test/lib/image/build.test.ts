import {expect} from 'chai'
import {cp, mkdtemp, rm, writeFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

import {buildArgv, chooseBuilder, resolveTag, stepOf, validateBuildOptions} from '../../../src/lib/image/build.js'
import {ensureEngine, resetEngineCache} from '../../../src/lib/image/docker.js'
import {loadProject} from '../../../src/lib/project/load.js'
import {buildNetwork, cleanup, dockerCmd, nodeBaseImage, requireDocker, uniq} from '../../support/docker.js'
import {build} from '../../support/tasks.js'

const FIXTURE = path.resolve(import.meta.dirname, '..', '..', 'fixtures', 'image')

describe('image build (unit)', () => {
  it('builds the docker argv for BuildKit and the classic builder', () => {
    const opts = {baseImage: 'base:1', buildArgs: ['A=1', 'B'], network: 'host', noCache: true, platform: 'linux/amd64'}
    const bk = buildArgv('/p', '/p/Dockerfile', 'kv:1', '/t/iid', 'buildkit', opts)
    expect(bk.slice(0, 4)).to.deep.equal(['buildx', 'build', '--progress=plain', '--load'])
    const classic = buildArgv('/p', '/p/Dockerfile', 'kv:1', '/t/iid', 'classic', opts)
    expect(classic).to.deep.equal([
      'build',
      '--force-rm',
      '--tag',
      'kv:1',
      '--file',
      '/p/Dockerfile',
      '--iidfile',
      '/t/iid',
      '--build-arg',
      'BASE_IMAGE=base:1',
      '--build-arg',
      'A=1',
      '--build-arg',
      'B',
      '--no-cache',
      '--platform',
      'linux/amd64',
      '--network',
      'host',
      '/p',
    ])
  })

  it('reads build steps from classic and BuildKit logs, nothing else', () => {
    expect(stepOf('Step 3/9 : RUN npm ci')).to.equal('step 3/9: RUN npm ci')
    expect(stepOf('#7 [build 3/6] RUN npm ci --no-audit')).to.equal('[build 3/6] RUN npm ci --no-audit')
    expect(stepOf('#7 [stage-1 2/4] COPY --from=build /src/dist ./dist')).to.equal(
      '[stage-1 2/4] COPY --from=build /src/dist ./dist',
    )
    expect(stepOf('#7 [internal] load metadata')).to.equal(undefined)
    expect(stepOf(' ---> Running in 1234')).to.equal(undefined)
  })

  it('rejects bad --build-arg, --platform and tags with USAGE (exit 2)', () => {
    expect(() => validateBuildOptions({buildArgs: ['=x']}))
      .to.throw(/--build-arg "=x"/)
      .with.property('exitCode', 2)
    expect(() => validateBuildOptions({platform: 'amd64'}))
      .to.throw(/--platform "amd64"/)
      .with.property('exitCode', 2)
    expect(() => resolveTag({image: 'kv:1'}, 'Not A Tag'))
      .to.throw(/--tag/)
      .with.property('exitCode', 2)
    expect(resolveTag({image: 'kv:1'})).to.equal('kv:1')
    expect(resolveTag({image: 'kv:1'}, 'kv:2')).to.equal('kv:2')
  })

  it('chooses BuildKit only when buildx is there, unless forced', () => {
    expect(chooseBuilder({buildx: true, platform: 'linux/amd64', serverVersion: '28'})).to.equal('buildkit')
    expect(chooseBuilder({buildx: false, platform: 'linux/amd64', serverVersion: '28'})).to.equal('classic')
    expect(chooseBuilder({buildx: true, platform: 'linux/amd64', serverVersion: '28'}, 'classic')).to.equal('classic')
  })

  it('says how to start an engine when none answers (exit 5)', async function () {
    if ((await dockerCmd(['--version'])).code !== 0) {
      console.log('      skipped: no docker CLI on PATH')
      this.skip()
    }

    const saved = process.env.DOCKER_HOST
    process.env.DOCKER_HOST = `unix://${path.join(os.tmpdir(), `no-docker-${uniq()}.sock`)}`
    resetEngineCache()
    try {
      const err = await ensureEngine().then(
        () => {},
        (error: unknown) => error as {exitCode: number; hint: string; message: string},
      )
      expect(err?.exitCode).to.equal(5)
      expect(err?.message).to.match(/^no Docker engine reachable: .*no-docker-/)
      expect(err?.hint).to.match(/start Docker|DOCKER_HOST/)
    } finally {
      process.env.DOCKER_HOST = saved
      resetEngineCache()
    }
  })
})

describe('image build @integration (real Docker engine)', function () {
  this.timeout(600_000)
  let base: string
  let network: string | undefined
  let dir: string
  const tags: string[] = []

  before(async function () {
    await requireDocker(this)
    base = await nodeBaseImage()
    network = await buildNetwork()
    dir = await mkdtemp(path.join(os.tmpdir(), 'fabk8s-build-'))
    await cp(FIXTURE, dir, {recursive: true})
  })

  after(async () => {
    if (tags.length > 0) await cleanup({images: tags})
    if (dir) await rm(dir, {force: true, recursive: true})
  })

  it('builds the fixture on the local base image, tagged as asked, running as a non-root user', async () => {
    const project = await loadProject(path.join(dir, 'fabk8s.yaml'))
    const tag = `fabk8s-test/imgfix-${uniq()}:0.1.0`
    tags.push(tag)
    const r = await build(project, {baseImage: base, json: true, network, tag})
    expect(r.image).to.equal(tag)
    expect(r.id).to.match(/^sha256:[a-f0-9]{64}$/)
    expect(r.sizeBytes).to.be.greaterThan(1_000_000)
    const user = await dockerCmd(['image', 'inspect', '--format', '{{.Config.User}}', tag])
    expect(user.stdout.trim()).to.equal('10001:10001')
    // a rebuild with no change gives the same image ID (layer cache)
    const again = await build(project, {baseImage: base, json: true, network, tag})
    expect(again.id).to.equal(r.id)
  })

  it('fails with the exit code and the log tail when a step fails', async () => {
    const project = await loadProject(path.join(dir, 'fabk8s.yaml'))
    await writeFile(
      path.join(dir, 'Dockerfile.bad'),
      'ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\nRUN echo about-to-fail && exit 3\n',
    )
    const err = await build(project, {
      baseImage: base,
      dockerfile: 'Dockerfile.bad',
      json: true,
      network,
      tag: `fabk8s-test/bad-${uniq()}:1`,
    }).then(
      () => {},
      (error: unknown) => error as {detail: {exitCode: number; logTail: string[]}; exitCode: number; message: string},
    )
    expect(err?.exitCode).to.equal(5)
    expect(err?.message).to.match(/^docker build failed \(exit \d+\) at step \d+\/\d+: RUN echo about-to-fail/)
    expect(err?.detail.logTail.join('\n')).to.include('about-to-fail')
    expect(err?.detail.logTail.join('\n')).to.match(/returned a non-zero code: 3|exit code: 3/)
  })

  it('names the missing Dockerfile', async () => {
    const project = await loadProject(path.join(dir, 'fabk8s.yaml'))
    const err = await build(project, {dockerfile: 'Nope.Dockerfile', json: true}).catch(
      (error: Error & {exitCode: number}) => error,
    )
    expect(err).to.have.property('exitCode', 5)
    expect((err as Error).message).to.equal(`Dockerfile not found: ${path.join(dir, 'Nope.Dockerfile')}`)
  })
})
