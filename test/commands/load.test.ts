import {expect} from 'chai'
import {execFile} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {promisify} from 'node:util'

import {parseCtrImages} from '../../src/lib/image/load.js'
import {immutableTag} from '../../src/lib/image/tags.js'
import {loadProject} from '../../src/lib/project/load.js'
import {json, runCli} from '../support/cli.js'
import {
  buildNetwork,
  cleanup,
  dockerCmd,
  kindNodeImage,
  nodeBaseImage,
  nodeImages,
  requireDocker,
  startKindNode,
  uniq,
} from '../support/docker.js'
import {build} from '../support/tasks.js'

const FIXTURE = path.resolve(import.meta.dirname, '..', 'fixtures', 'image')

interface LoadJson {
  cluster: {cluster: string; images: string; kind: string; why: string}
  id: string
  image: string
  nodes: {action: string; name: string; pruned: string[]; pruneErrors?: string[]; seconds: number}[]
}

describe('fabk8s load @integration (real Docker engine, containerd stand-in kind nodes)', function () {
  this.timeout(600_000)
  const cluster = `fabk8s-c${uniq()}`
  const nodes = [`${cluster}-control-plane`, `${cluster}-worker`]
  let image: string
  let latest: string

  before(async function () {
    await requireDocker(this)
    const [nodeImg, base, network] = await Promise.all([kindNodeImage(), nodeBaseImage(), buildNetwork()])
    await Promise.all([startKindNode(nodeImg, cluster, nodes[0]), startKindNode(nodeImg, cluster, nodes[1], 'worker')])
    image = `fabk8s-test/imgfix-${uniq()}:0.1.0`
    await build(await loadProject(path.join(FIXTURE, 'fabk8s.yaml')), {
      baseImage: base,
      json: true,
      network,
      tag: image,
    })
    latest = image.replace(/:0\.1\.0$/, ':latest')
    await dockerCmd(['tag', image, latest])
  })

  after(async () => {
    await cleanup({containers: nodes, images: [image, latest].filter(Boolean)})
  })

  it('loads into every node, then skips them all', async () => {
    const first = await runCli(['load', '--cluster', cluster, '--image', image, '--json'])
    expect(first.code, first.stderr).to.equal(0)
    const j = json<LoadJson>(first)
    // the shape `up --json` gives its cluster field
    expect(j.cluster).to.deep.equal({cluster, images: 'load', kind: 'kind', why: '--cluster'})
    expect(j.nodes).to.deep.equal(
      nodes.map((name) => ({
        action: 'loaded',
        name,
        pruned: [],
        seconds: j.nodes.find((n) => n.name === name)!.seconds,
      })),
    )
    for (const n of nodes) expect(await nodeImages(n)).to.include(`docker.io/${image}`)

    const second = await runCli(['load', '--cluster', cluster, '--image', image])
    expect(second.code, second.stderr).to.equal(0)
    expect(second.stdout).to.include(`already on ${nodes.join(', ')}`)
    expect(second.stdout).to.not.include('loaded into')
  })

  it('takes the cluster from fabk8s.yaml and lists the clusters that exist when it is not found (exit 6)', async function () {
    const yamlCluster = (await loadProject(path.join(FIXTURE, 'fabk8s.yaml'))).kind.cluster
    if (
      (await dockerCmd(['ps', '-aq', '--filter', `label=io.x-k8s.kind.cluster=${yamlCluster}`])).stdout.trim() !== ''
    ) {
      console.log(`      skipped: a kind cluster "${yamlCluster}" exists on this engine`)
      this.skip()
    }

    const r = await runCli(['load', '-p', FIXTURE, '--image', image, '--json'])
    expect(r.code).to.equal(6)
    const e = json<{error: {code: string; detail: {clusters: string[]}; hint: string; message: string}}>(r).error
    expect(e.code).to.equal('CLUSTER')
    expect(e.message).to.equal(`kind cluster "${yamlCluster}" not found`)
    expect(e.detail.clusters).to.include(cluster)
    expect(e.hint).to.include(cluster)
  })

  it('warns about :latest and recommends an immutable tag', async () => {
    const r = await runCli(['load', '--cluster', cluster, '--image', latest, '--nodes', nodes[0]])
    expect(r.code, r.stderr).to.equal(0)
    expect(r.stderr).to.match(/warning: .*:latest is a :latest tag; kubelet pulls it with imagePullPolicy Always/)
    expect(r.stdout).to.include(`loaded into ${nodes[0]}`)
    expect(await nodeImages(nodes[1])).to.not.include(`docker.io/${latest}`)
  })

  it('says the image is not built (exit 5)', async () => {
    const r = await runCli(['load', '--cluster', cluster, '--image', 'fabk8s-test/never-built:9'])
    expect(r.code).to.equal(5)
    expect(r.stderr).to.include('image fabk8s-test/never-built:9 not found in the local Docker engine')
    expect(r.stderr).to.include('fabk8s build')
  })
})

describe('fabk8s load: older build tags leave the nodes @integration (real Docker engine, a containerd stand-in kind node)', function () {
  this.timeout(600_000)
  const cluster = `fabk8s-p${uniq()}`
  const node = `${cluster}-control-plane`
  const repo = `fabk8s-test/prune-${uniq()}`
  const image = `${repo}:1.0`
  /** Five builds of `image`, oldest first, by their build tags as Docker names them. */
  const builds: string[] = []
  /** Refs of other shapes and of other images, on the node before any build: no load of `image` removes them. */
  const others: string[] = []
  const dir = mkdtempSync(path.join(tmpdir(), 'fabk8s-prune-'))
  const onNode = (ref: string) => `docker.io/${ref}`

  /** A tiny image of its own (one file with this text), tagged `tag` when given; its ID. */
  const tinyImage = async (text: string, tag?: string): Promise<string> => {
    writeFileSync(path.join(dir, 'n'), text)
    await promisify(execFile)('tar', ['-C', dir, '-cf', path.join(dir, 'n.tar'), 'n'])
    const r = await dockerCmd(['import', path.join(dir, 'n.tar'), ...(tag ? [tag] : [])])
    expect(r.code, r.stderr).to.equal(0)
    return r.stdout.trim()
  }

  const load = async (img: string) => {
    const r = await runCli(['load', '--cluster', cluster, '--image', img, '--json'])
    expect(r.code, r.stderr).to.equal(0)
    return json<LoadJson>(r).nodes[0]
  }

  const ctr = async (...args: string[]) => {
    const r = await dockerCmd(['exec', node, 'ctr', '-n', 'k8s.io', ...args])
    expect(r.code, r.stderr).to.equal(0)
    return r.stdout
  }

  /** The commands run in the node (docker exec) from `since` (Unix seconds) on. */
  const execsSince = async (since: number): Promise<string> => {
    const until = String(Math.ceil(Date.now() / 1000) + 1)
    const r = await dockerCmd([
      'events',
      '--since',
      String(since),
      '--until',
      until,
      '--filter',
      `container=${node}`,
      '--filter',
      'event=exec_create',
      '--format',
      '{{.Action}}',
    ])
    expect(r.code, r.stderr).to.equal(0)
    return r.stdout
  }

  /** Unix seconds at the start of the next second, once it has come (events before it are older). */
  const nextSecond = async (): Promise<number> => {
    await new Promise((resolve) => setTimeout(resolve, 1010 - (Date.now() % 1000)))
    return Math.floor(Date.now() / 1000)
  }

  before(async function () {
    await requireDocker(this)
    await startKindNode(await kindNodeImage(), cluster, node)
    for (let i = 0; i < 5; i++) {
      const id = await tinyImage(`${repo} build ${i}`)
      builds.push(immutableTag(image, id))
      await dockerCmd(['tag', id, builds[i]])
    }

    await tinyImage(`${repo} plain`, image)
    others.push(image, `${repo}:1.0-latest`)
    await tinyImage(`${repo} latest`, others[1])
    for (const of of [`${repo}:2.0`, repo]) {
      const id = await tinyImage(`${repo} ${of}`)
      others.push(immutableTag(of, id))
      await dockerCmd(['tag', id, others.at(-1)!])
    }
  })

  after(async () => {
    await cleanup({containers: [node], images: [...builds, ...others]})
    rmSync(dir, {force: true, recursive: true})
  })

  it('removes the older build tags of the image; keeps the loaded one, those Docker keeps, one a container uses, and every other ref', async () => {
    for (const o of others) expect((await load(o)).action).to.equal('loaded')
    // Docker has every build: nothing leaves the node
    const early = [await load(builds[0]), await load(builds[1])]
    expect(await nodeImages(node)).to.include.members([onNode(builds[0]), onNode(builds[1])])
    // a container on the node (a pod's, running or stopped) uses build 1
    await ctr('containers', 'create', onNode(builds[1]), `c${uniq()}`, '/n')
    // Docker drops builds 0 and 1 (build keeps the newest): the next load removes build 0, not build 1 (in use)
    await dockerCmd(['rmi', builds[0], builds[1]])
    const listed = parseCtrImages(await ctr('images', 'ls'))
    const digest0 = listed.find((r) => r.ref === onNode(builds[0]))!.digest
    // the same image under the import's digest ref and the image ID: they go with it, else its content would stay
    const build0Refs = listed.filter((r) => r.digest === digest0).map((r) => r.ref)
    expect(build0Refs).to.have.length.greaterThan(1)
    const t2 = await nextSecond()
    const r2 = await load(builds[2])
    let left = await nodeImages(node)
    for (const ref of build0Refs) expect(left).to.not.include(ref)
    expect(left).to.include.members([onNode(builds[1]), onNode(builds[2])])
    expect(await execsSince(t2)).to.include('images rm')
    expect(early.map((n) => [n.action, n.pruned])).to.deep.equal([
      ['loaded', []],
      ['loaded', []],
    ])
    expect(r2).to.deep.include({pruned: [onNode(builds[0])]})
    // Docker keeps builds 2 to 4
    expect(await load(builds[3])).to.deep.include({pruned: []})
    await dockerCmd(['rmi', builds[2]])
    const r4 = await runCli(['load', '--cluster', cluster, '--image', builds[4]])
    expect(r4.code, r4.stderr).to.equal(0)
    expect(r4.stderr).to.include(`removed 1 older build tag(s) from ${node}: ${onNode(builds[2])}`)
    left = await nodeImages(node)
    expect(left).to.include.members([...[1, 3, 4].map((i) => onNode(builds[i])), ...others.map((o) => onNode(o))])
    expect(left).to.not.include(onNode(builds[0]))
    expect(left).to.not.include(onNode(builds[2]))

    // nothing imported: nothing removed, and no ctr call but the check's
    const t5 = await nextSecond()
    expect(await load(builds[4])).to.deep.include({action: 'skipped', pruned: []})
    const calls = await execsSince(t5)
    expect(calls).to.include('images ls name==')
    expect(calls).to.not.include('images rm')
    expect(calls).to.not.include('containers ls')
    expect(await nodeImages(node)).to.deep.equal(left)
  })
})

describe('fabk8s load: bad input, before Docker is asked', () => {
  it('an --image that is not an image reference is a usage error naming the flag (exit 2)', async () => {
    const r = await runCli(['load', '--cluster', 'any', '--image', 'BAD IMAGE', '--json'], {
      env: {DOCKER_HOST: 'unix:///nonexistent/docker.sock'},
    })
    expect(r.code, r.stderr).to.equal(2)
    expect(json<{error: {message: string}}>(r).error.message).to.equal(
      '--image: "BAD IMAGE" is not an image reference like repository:tag',
    )
  })

  it('an empty --nodes (an unset variable) is a usage error naming the flag, not a load into every node', async () => {
    for (const nodes of ['', ' , ']) {
      const r = await runCli(['load', '--cluster', 'any', '--image', 'kv:1.0', '--nodes', nodes, '--json'], {
        env: {DOCKER_HOST: 'unix:///nonexistent/docker.sock'},
      })
      expect(r.code, r.stderr).to.equal(2)
      expect(json<{error: {message: string}}>(r).error.message).to.equal(`--nodes "${nodes}": no node name`)
    }
  })
})
