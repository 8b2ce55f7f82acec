import {expect} from 'chai'
import {readdir, readFile} from 'node:fs/promises'
import path from 'node:path'

import type {Analyzed, ContainerInfo} from '../../../src/lib/doctor/model/types.js'

import {RULES} from '../../../src/lib/doctor/rules/index.js'
import {perContainer} from '../../../src/lib/doctor/rules/rule.js'
import {ROOT} from './helpers.js'

/** The rows of README's doctor rule table: `| \`id\` | severity | … |`. */
async function readmeRules(): Promise<{id: string; severity: string}[]> {
  const readme = await readFile(path.join(ROOT, 'README.md'), 'utf8')
  const start = readme.indexOf('### Rules')
  expect(start, 'README has a "### Rules" section').to.be.greaterThan(-1)
  const section = readme.slice(start, readme.indexOf('\n### ', start + 1))
  return [...section.matchAll(/^\| `([a-z0-9-]+)` \| (\w+) \|/gm)].map((m) => ({id: m[1], severity: m[2]}))
}

/** Relative imports (static, type-only and dynamic) of every file under a folder, as a graph of absolute paths. */
async function importGraph(dir: string): Promise<Map<string, string[]>> {
  const graph = new Map<string, string[]>()
  for (const e of await readdir(dir, {recursive: true, withFileTypes: true})) {
    if (!e.isFile() || !e.name.endsWith('.ts')) continue
    const file = path.join(e.parentPath, e.name)
    const text = await readFile(file, 'utf8')
    const deps = [...text.matchAll(/(?:from|import\()\s*'(\.{1,2}\/[^']+)\.js'/g)].map((m) =>
      path.resolve(path.dirname(file), m[1] + '.ts'),
    )
    graph.set(file, deps)
  }

  return graph
}

describe('doctor rule registry', () => {
  it('src/lib/doctor has no import cycle (type-only and dynamic imports included)', async () => {
    const graph = await importGraph(path.join(ROOT, 'src', 'lib', 'doctor'))
    const state = new Map<string, 'done' | 'open'>()
    const cycles: string[] = []
    const visit = (f: string, trail: string[]) => {
      if (state.get(f) === 'done') return
      if (state.get(f) === 'open') {
        cycles.push([...trail.slice(trail.indexOf(f)), f].map((x) => path.relative(ROOT, x)).join(' → '))
        return
      }

      state.set(f, 'open')
      for (const d of graph.get(f) ?? []) visit(d, [...trail, f])
      state.set(f, 'done')
    }

    for (const f of graph.keys()) visit(f, [])
    expect(cycles).to.deep.equal([])
  })

  it("README's rule table lists exactly the registered rules, in order, with their severities", async () => {
    expect(await readmeRules()).to.deep.equal(RULES.map((r) => ({id: r.id, severity: r.severity})))
  })

  it('README lists exactly the rules that read compose and CI files', async () => {
    const readme = await readFile(path.join(ROOT, 'README.md'), 'utf8')
    const sentence = /checked with the\s+Docker rules: ([^;]+);/.exec(readme)
    expect(sentence, 'README: "checked with the Docker rules: …;"').to.not.equal(null)
    const named = [...sentence![1].matchAll(/`([a-z-]+)`/g)].map((m) => m[1]).sort()
    expect(named).to.deep.equal(
      RULES.filter((r) => (r.inputs ?? []).includes('compose'))
        .map((r) => r.id)
        .sort(),
    )
    for (const r of RULES)
      expect(JSON.stringify([...(r.inputs ?? ['kubernetes'])].sort()), r.id).to.be.oneOf([
        '["kubernetes"]',
        '["compose","github-actions","gitlab-ci","kubernetes"]',
      ])
  })

  it('perContainer runs the body once per container, names the container, and skips objects without a workload', () => {
    const c = (name: string) => ({at: [], name}) as unknown as ContainerInfo
    const check = perContainer((x) => (x.name === 'b' ? null : {message: `saw ${x.name}`}))
    const a = {workload: {containers: [c('a'), c('b'), c('d')]}} as unknown as Analyzed
    expect(check(a)).to.deep.equal([
      {container: 'a', message: 'saw a'},
      {container: 'd', message: 'saw d'},
    ])
    expect(check({workload: null} as unknown as Analyzed)).to.deep.equal([])
    const objectLevel = perContainer(() => ({container: null, message: 'pod-level'}))
    expect(objectLevel(a).map((f) => f.container)).to.deep.equal([null, null, null])
  })
})
