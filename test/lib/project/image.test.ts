import {expect} from 'chai'
import {mkdtemp, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {FabError} from '../../../src/lib/errors.js'
import {loadProject} from '../../../src/lib/project/load.js'

async function load(text: string) {
  const dir = await mkdtemp(path.join(tmpdir(), 'fabk8s-img-'))
  const file = path.join(dir, 'fabk8s.yaml')
  await writeFile(file, text)
  return loadProject(file, {})
}

async function loadError(text: string): Promise<FabError> {
  try {
    await load(text)
  } catch (error) {
    expect(error).to.be.instanceOf(FabError)
    return error as FabError
  }

  throw new Error('expected loadProject to fail')
}

describe('fabk8s.yaml image: a tag, or {name, registry, pullSecrets}', () => {
  it('a plain tag: no registry, no pull secrets', async () => {
    const p = await load('name: kv\nversion: "1.0"\nimage: acme/kv:2\n')
    expect(p.image).to.equal('acme/kv:2')
    expect(p.imagePull).to.deep.equal({pullSecrets: []})
  })

  it('a mapping: registry and pull secrets; name defaults to <name>:<version>', async () => {
    const p = await load(
      'name: kv\nversion: "1.0"\nimage:\n  registry: ghcr.io/acme\n  pullSecrets: [ghcr-pull, other.secret]\n',
    )
    expect(p.image).to.equal('kv:1.0')
    expect(p.imagePull).to.deep.equal({pullSecrets: ['ghcr-pull', 'other.secret'], registry: 'ghcr.io/acme'})
    const q = await load('name: kv\nversion: "1.0"\nimage: {name: "kv:dev", registry: "localhost:5000"}\n')
    expect(q.image).to.equal('kv:dev')
    expect(q.imagePull?.registry).to.equal('localhost:5000')
  })

  it('errors name file:line and field', async () => {
    const e = await loadError(
      'name: kv\nversion: "1.0"\nimage:\n  registry: https://ghcr.io/acme\n  pullSecrets: [ok, Not_A_Name]\n  regsitry: x\n',
    )
    expect(e.code).to.equal('PROJECT')
    expect(e.message).to.match(/fabk8s\.yaml:4 image\.registry: must be a registry host\[:port\]\[\/path\] without scheme/)
    expect(e.message).to.match(/fabk8s\.yaml:5 image\.pullSecrets\[1\]: must be the name of a Secret/)
    expect(e.message).to.match(/fabk8s\.yaml:6 image\.regsitry: unknown key; did you mean registry\?/)
    const bad = await loadError('name: kv\nversion: "1.0"\nimage: {name: "KV:1"}\n')
    expect(bad.message).to.match(/fabk8s\.yaml:3 image\.name: must be an image reference/)
    const list = await loadError('name: kv\nversion: "1.0"\nimage: {pullSecrets: one}\n')
    expect(list.message).to.match(/image\.pullSecrets: must be a list of Secret names/)
  })
})
