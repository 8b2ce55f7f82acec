import {expect} from 'chai'
import {mkdir, mkdtemp, symlink, writeFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {Readable} from 'node:stream'

import {MAX_DEPTH} from '../../../src/lib/doctor/input/bounds.js'
import {readSources} from '../../../src/lib/doctor/input/files.js'
import {locate} from '../../../src/lib/doctor/input/locate.js'
import {parseSources, sequenceEntries, splitDocuments, splitList} from '../../../src/lib/doctor/input/parse.js'
import {runDoctor} from '../../../src/lib/doctor/run.js'
import {aliasBomb, check, ids} from './helpers.js'

const SOCK_POD = (name: string) => `apiVersion: v1
kind: Pod
metadata: {name: ${name}}
spec:
  securityContext: {runAsNonRoot: true, runAsUser: 1}
  containers:
    - name: c
      image: a:1
      volumeMounts:
        - {name: s, mountPath: /var/run/docker.sock}
  volumes:
    - {name: s, hostPath: {path: /var/run/docker.sock}}
`

describe('doctor input', () => {
  it("splitDocuments keeps each document's first line", () => {
    const docs = splitDocuments('# c\na: 1\n---\nb: 2\n\n--- # x\nc: 3\n---\n')
    expect(docs.map((d) => d.line)).to.deep.equal([1, 3, 6, 8])
    expect(docs[1].text.startsWith('---')).to.equal(true)
  })

  it('does not split on --- inside a line or an indented block', () => {
    expect(splitDocuments('a: "x --- y"\nb: |\n  ---\n  z\n')).to.have.length(1)
  })

  it('gives findings the line of the object in a multi-document stream (mount line)', async () => {
    const text = `${SOCK_POD('one')}---\n${SOCK_POD('two')}`
    const {findings} = await check(text)
    expect(findings.map((f) => [f.name, f.line])).to.deep.equal([
      ['one', 10],
      ['two', 23],
    ])
  })

  it('expands kind: List (and *List) items, each with its own line', async () => {
    const list = {
      apiVersion: 'v1',
      items: [{apiVersion: 'v1', kind: 'Pod', metadata: {name: 'a'}, spec: {containers: []}}],
      kind: 'List',
    }
    const yamlList = `apiVersion: v1\nkind: PodList\nitems:\n${[SOCK_POD('first'), SOCK_POD('second')].map((p) => '  - ' + p.trim().split('\n').join('\n    ')).join('\n')}\n`
    const {findings} = await check(yamlList)
    expect(findings.map((f) => f.name)).to.deep.equal(['first', 'second'])
    expect(findings[1].line).to.be.greaterThan(findings[0].line!)
    const j = await check(JSON.stringify(list), 'list.json')
    expect(j.parsed.objects.map((o) => o.obj.metadata.name)).to.deep.equal(['a'])
  })

  it("lines are right in kubectl output, whose keys are sorted (a container's env before its name)", async () => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {name: 'two', namespace: 'n'},
      spec: {
        containers: ['a', 'b'].map((n) => ({
          command: ['peer', 'node', 'start'],
          env: [{name: 'CORE_VM_ENDPOINT', value: `unix:///${n}/docker.sock`}],
          image: 'hyperledger/fabric-peer:2.5',
          name: n,
        })),
        securityContext: {runAsNonRoot: true, runAsUser: 1},
        volumes: [{hostPath: {path: '/opt/data', type: 'Directory'}, name: 'data'}],
      },
    }
    const {stringify} = await import('yaml')
    for (const [text, file] of [
      [stringify(pod, {indentSeq: false}), 'kubectl.yaml'],
      [JSON.stringify(pod, null, 4), 'kubectl.json'],
    ]) {
      const lines = text.split('\n')
      const {findings} = await check(text, file)
      for (const f of findings.filter((x) => x.rule === 'peer-vm-endpoint'))
        expect(lines[f.line! - 1] + lines[f.line!], `${file} ${f.container}`).to.contain(`/${f.container}/docker.sock`)
      const hp = findings.find((x) => x.rule === 'host-path')!
      expect(lines[hp.line! - 1], file).to.match(/path"?: "?\/opt\/data/)
    }
  })

  it('reads JSON manifests, with lines', async () => {
    const obj = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {name: 'j'},
      spec: {
        containers: [{image: 'a', name: 'c', securityContext: {privileged: true}}],
        securityContext: {runAsNonRoot: true},
      },
    }
    const {findings} = await check(JSON.stringify(obj, null, 2), 'pod.json')
    expect(ids(findings)).to.deep.equal(['privileged-container@c'])
    expect(findings[0].line).to.be.greaterThan(1)
  })

  it('a raw template is an input error with its line; the other documents of the file are still checked', async () => {
    const text = `${SOCK_POD('good')}---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ .Release.Name }}\nspec: {}\n`
    const {findings, parsed} = await check(text, 'mixed.yaml')
    expect(findings.map((f) => f.name)).to.deep.equal(['good'])
    expect(parsed.errors).to.have.length(1)
    expect(parsed.errors[0]).to.include({file: 'mixed.yaml', line: 17})
    expect(parsed.errors[0].message).to.match(/^unparseable template .*helm template … \| fabk8s doctor -f -/)
  })

  it('the hint fits the template: Helm for Go-template actions, the filling script for {{NAME}} placeholders; a socket it names is pointed at, not promised as a finding', async () => {
    const placeholder = await check(
      'apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{PEER_NAME}}-cc\nspec: {}\n',
      'p.yaml',
    )
    expect(placeholder.parsed.errors[0].message).to.match(
      /: render it first: fill its \{\{NAME\}\} placeholders as its scripts do/,
    )
    const helm = await check(
      'apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: {{ $.Values.name }}\nspec:\n  env: [{name: CORE_VM_ENDPOINT, value: unix:///var/run/docker.sock}]\n',
      'h.yaml',
    )
    expect(helm.parsed.errors[0].message).to.match(
      /helm template … \| fabk8s doctor -f -; it mentions \S*docker\.sock at line 6$/,
    )
  })

  it('GitHub Actions expressions (runs-on: ${{ matrix.os }}) are workflow syntax, not a template: the workflow is checked', async () => {
    const workflow = [
      'on: push',
      'jobs:',
      '  test:',
      '    runs-on: ${{ matrix.os }}',
      '    strategy: {matrix: {os: [ubuntu-latest]}}',
      '    container:',
      "      image: ${{ format('node:{0}', matrix.node) }}",
      '      volumes: [/var/run/docker.sock:/var/run/docker.sock]',
      '    services:',
      '      dind: {image: docker:dind, options: --privileged}',
      '    steps:',
      '      - run: echo ${{ github.sha }} ${{ secrets.TOKEN }}',
    ].join('\n')
    const {findings, parsed} = await check(workflow, 'ci.yml')
    expect(parsed.errors).to.deep.equal([])
    expect(ids(findings)).to.include.members(['docker-socket-mount@test', 'dind-sidecar@dind'])
    // a Go template action behind a $ is still one
    const helm = await check(workflow.replace('${{ github.sha }}', '${{ .Values.sha }}'), 'ci.yml')
    expect(helm.parsed.errors).to.have.length(1)
    expect(helm.parsed.errors[0]).to.include({file: 'ci.yml', line: 12})
    expect(helm.parsed.errors[0].message).to.match(/^unparseable template /)
  })

  it('a template that happens to parse (quoted {{ }}) is still an input error; Go templates in ConfigMap data are not', async () => {
    const quoted = await check(
      'apiVersion: v1\nkind: Pod\nmetadata:\n  name: "{{ .Release.Name }}"\nspec: {containers: []}\n',
    )
    expect(quoted.parsed.errors).to.have.length(1)
    const prom = await check(
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: alerts}\ndata:\n  rules.yaml: |\n    summary: "{{ $labels.instance }} down"\n',
    )
    expect(prom.parsed.errors).to.deep.equal([])
    expect(prom.parsed.objects).to.have.length(1)
  })

  it("issue 12 #13: a parse error has one line number (the file's), and no library wording or excerpt", async () => {
    const text = `${SOCK_POD('a')}---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n   bad: indent\n---\n${SOCK_POD('b')}`
    const {findings, parsed} = await check(text, 'f.yaml')
    expect(findings.map((f) => f.name)).to.deep.equal(['a', 'b'])
    expect(parsed.errors).to.have.length(1)
    expect(parsed.errors[0].line).to.be.oneOf([16, 17])
    expect(parsed.errors[0].message).to.match(/^invalid YAML: \S/)
    expect(parsed.errors[0].message).to.not.match(/line \d|column \d|\n|YAML\.parse|parseAllDocuments/)
    const tab = await check('apiVersion: v1\nkind: Pod\nmetadata:\n\tname: x\n', 'tab.yaml')
    expect(tab.parsed.errors[0].line).to.equal(4)
    expect(tab.parsed.errors[0].message).to.not.match(/line \d|column \d|\n/)
  })

  it("invalid YAML (not a template) is an input error with yaml's precise line", async () => {
    const {parsed} = await check('apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n   bad: indent\n')
    expect(parsed.errors).to.have.length(1)
    expect(parsed.errors[0].line).to.be.oneOf([4, 5])
    expect(parsed.errors[0].message).to.match(/^invalid YAML/)
  })

  it('skips documents that are not Kubernetes objects (values.yaml) and empty documents', async () => {
    const {parsed} = await check('---\n# only a comment\n---\nreplicaCount: 1\n---\n')
    expect(parsed.errors).to.deep.equal([])
    expect(parsed.objects).to.deep.equal([])
  })

  it('locate follows needles in order and falls back to the first content line', () => {
    const doc = {
      line: 10,
      text: '---\n# c\nkind: Pod\nspec:\n  containers:\n  - name: a\n    image: x\n  - name: b\n    image: y\n',
    }
    expect(locate(doc, [{key: 'name', value: 'b'}, {key: 'image'}])).to.equal(18)
    expect(locate(doc, [{key: 'nothing'}])).to.equal(12)
    expect(
      locate({line: 1, text: '- { name: host, mountPath: "/x/" }\n'}, [{key: 'mountPath', value: '/x/'}]),
    ).to.equal(1)
  })

  it('reads directories recursively (.yaml, .yml, .json only) and reports missing paths', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'doctor-dir-'))
    await mkdir(path.join(dir, 'a', 'b'), {recursive: true})
    await writeFile(path.join(dir, 'a', 'one.yaml'), SOCK_POD('one'))
    await writeFile(path.join(dir, 'a', 'b', 'two.yml'), SOCK_POD('two'))
    await writeFile(
      path.join(dir, 'a', 'b', 'three.json'),
      '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"three"},"spec":{"containers":[]}}',
    )
    await writeFile(path.join(dir, 'notes.txt'), 'kind: Pod')
    const r = await readSources([dir, path.join(dir, 'missing.yaml')])
    expect(r.sources.map((s) => path.basename(s.file)).sort()).to.deep.equal(['one.yaml', 'three.json', 'two.yml'])
    expect(r.errors).to.have.length(1)
    expect(r.errors[0].message).to.contain('missing.yaml: no such file or directory')
    const parsed = await parseSources(r.sources)
    expect(parsed.objects.map((o) => o.obj.metadata.name).sort()).to.deep.equal(['one', 'three', 'two'])
  })

  it('reads a file named twice once (the same path, another spelling of it, or inside a folder also given)', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'doctor-twice-'))
    const file = path.join(dir, 'a.yaml')
    await writeFile(file, SOCK_POD('a'))
    const r = await readSources([file, `${dir}/./a.yaml`, dir, file])
    expect(r.sources.map((s) => s.file)).to.deep.equal([file])
    expect(r.errors).to.deep.equal([])
  })

  it('reads stdin once for "-"', async () => {
    const r = await readSources(['-', '-'], {stdin: Readable.from([Buffer.from(SOCK_POD('in'))])})
    expect(r.sources.map((s) => s.file)).to.deep.equal(['<stdin>'])
  })

  it('reads files and stdin as UTF-8, ASCII ones and others alike (an ASCII text is decoded as latin1)', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'fabk8s-doctor-utf8-'))
    const texts = {'ascii.yaml': SOCK_POD('plain'), 'utf8.yaml': SOCK_POD('caf\u00E9-\u6F22-\u{1F600}')}
    for (const [f, t] of Object.entries(texts)) await writeFile(path.join(dir, f), t)
    const r = await readSources([path.join(dir, 'ascii.yaml'), path.join(dir, 'utf8.yaml'), '-'], {
      stdin: Readable.from([
        Buffer.from(texts['utf8.yaml']).subarray(0, 40),
        Buffer.from(texts['utf8.yaml']).subarray(40),
      ]),
    })
    expect(r.sources.map((s) => s.text)).to.deep.equal([texts['ascii.yaml'], texts['utf8.yaml'], texts['utf8.yaml']])
    const parsed = await parseSources(r.sources)
    expect(parsed.objects.map((o) => o.obj.metadata.name)).to.deep.equal([
      'plain',
      'caf\u00E9-\u6F22-\u{1F600}',
      'caf\u00E9-\u6F22-\u{1F600}',
    ])
  })

  describe('bounded inputs (issue 12 #9, #10)', () => {
    it('#9: an alias bomb next to a "{{" string is an input error at once; the other documents are still checked', async () => {
      const text = `${SOCK_POD('good')}---\napiVersion: example.com/v1\nkind: Widget\nmetadata: {name: "x{{y"}\nspec:\n${aliasBomb('  ')}`
      const {findings, parsed} = await check(text, 'bomb.yaml')
      expect(findings.map((f) => f.name)).to.deep.equal(['good'])
      expect(parsed.errors).to.have.length(1)
      expect(parsed.errors[0]).to.include({file: 'bomb.yaml', line: 14})
      expect(parsed.errors[0].message).to.match(/YAML aliases expand it to more than 10× its size/)
    })

    it('#9: an alias bomb in a Fabric operator resource is an input error (the resource walk never sees it)', async () => {
      const text = `apiVersion: hlf.kungfusoftware.es/v1alpha1\nkind: FabricPeer\nmetadata: {name: p}\nspec:\n${aliasBomb('  ')}  dockerSocketPath: *i\n`
      const {findings, parsed} = await check(text)
      expect(findings).to.deep.equal([])
      expect(parsed.errors.map((e) => e.line)).to.deep.equal([1])
    })

    it('#10: a self-referencing List is an input error, not a stack overflow', async () => {
      const text = `${SOCK_POD('good')}---\n&a {kind: List, apiVersion: v1, items: [*a]}\n`
      const {findings, parsed} = await check(text, 'self.yaml')
      expect(findings.map((f) => f.name)).to.deep.equal(['good'])
      expect(parsed.errors).to.have.length(1)
      expect(parsed.errors[0]).to.include({file: 'self.yaml', line: 14})
      expect(parsed.errors[0].message).to.match(/alias refers to the node that contains it \(a cycle\)/)
      const json = await check(
        '{"kind": "List", "items": ['.repeat(MAX_DEPTH + 2) + ']}'.repeat(MAX_DEPTH + 2),
        'deep.json',
      )
      expect(json.parsed.errors).to.have.length(1)
      expect(json.parsed.errors[0].message).to.match(/nest deeper than/)
    })

    it('#9: List items keep their own lines in kubectl -o yaml and -o json layouts, even when a name repeats earlier', async () => {
      // pod "b" is mounted by name in pod "a" (volume "b"), which fooled a plain search for the name
      const pod = (name: string, vol: string) => ({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {name, namespace: 'n'},
        spec: {
          containers: [
            {image: 'i:1', name: 'c', securityContext: {privileged: true, runAsNonRoot: true, runAsUser: 1}},
          ],
          volumes: [{configMap: {name: vol}, name: vol}],
        },
      })
      const items = [pod('a', 'b'), pod('b', 'x'), pod('c', 'y')]
      const {stringify} = await import('yaml')
      const yamlText = stringify({apiVersion: 'v1', items, kind: 'List'}, {indentSeq: false})
      const jsonText = JSON.stringify({apiVersion: 'v1', items, kind: 'List'}, null, 4)
      for (const [text, file] of [
        [yamlText, 'pods.yaml'],
        [jsonText, 'pods.json'],
      ]) {
        const {findings} = await check(text, file)
        const lines = text.split('\n')
        expect(
          findings.map((f) => f.name),
          file,
        ).to.deep.equal(['a', 'b', 'c'])
        let prev = 0
        for (const f of findings) {
          expect(lines[f.line! - 1], `${file} ${f.name}`).to.match(/privileged/)
          // the item's own metadata.name lies between the previous finding and this one
          const between = lines.slice(prev, f.line! - 1).join('\n')
          expect(between, `${file} ${f.name}`).to.match(
            new RegExp(String.raw`"?name"?: "?${f.name}"?,?\n\s*"?namespace`),
          )
          prev = f.line!
        }

        const starts = findings.map((f) => f.line!)
        expect(starts[0]).to.be.lessThan(starts[1])
        expect(starts[1]).to.be.lessThan(starts[2])
        expect(lines.slice(starts[0], starts[1]).join('\n'), file).to.match(/\bname\W+b\b/)
      }
    })

    it('#9: a large List is read item by item, each with its lines; a broken item is an error and the rest is checked', async () => {
      const pod = (i: number) =>
        `apiVersion: v1\nkind: Pod\nmetadata:\n  name: p${i}\n  namespace: n\nspec:\n  containers:\n  - image: i:1\n    name: c\n    securityContext:\n      privileged: ${i % 2 === 0}\n      runAsNonRoot: true\n      runAsUser: 1\n  nodeName: node-with-a-rather-long-name-to-make-the-list-large-${i}\n`
      const n = 400
      const items = (indent: string) =>
        Array.from({length: n}, (_, i) =>
          (i === 7 ? pod(i).replace('  name: c', '   name: c') : pod(i))
            .trimEnd()
            .split('\n')
            .map((l, j) => `${indent}${j === 0 ? '- ' : '  '}${l}`)
            .join('\n'),
        ).join('\n')
      for (const [indent, layout] of [
        ['', 'kubectl'],
        ['  ', 'indented'],
      ]) {
        const text = `# a comment\napiVersion: v1\nitems:\n${items(indent)}\nkind: List\nmetadata:\n  resourceVersion: ""\n`
        expect(text.length, layout).to.be.greaterThan(64 * 1024)
        expect(splitList({line: 1, text})?.length, layout).to.equal(n)
        const {findings, parsed} = await check(text, `${layout}.yaml`)
        expect(parsed.errors, layout).to.have.length(1)
        const lines = text.split('\n')
        // the broken item's own lines (the first of them names p7)
        const p7 = lines.findIndex((l) => l.trim() === 'name: p7') + 1
        expect(parsed.errors[0].line! - p7, layout).to.be.within(1, 8)
        expect(lines[parsed.errors[0].line! - 1], layout).to.match(/image: i:1|name: c/)
        const priv = findings.filter((f) => f.rule === 'privileged-container')
        expect(priv.map((f) => f.name)).to.deep.equal(
          Array.from({length: n}, (_, i) => i)
            .filter((i) => i % 2 === 0)
            .map((i) => `p${i}`),
        )
        for (const f of priv) expect(lines[f.line! - 1], `${layout} ${f.name}`).to.match(/privileged: true/)
        expect(parsed.count).to.equal(n - 1)
      }

      // not cut up: small Lists, and Lists that may use aliases
      expect(splitList({line: 1, text: 'kind: List\nitems:\n- {kind: Pod}\n'})).to.equal(null)
    })

    it("#9: a List's items start and end where the regular expressions of the first version said, found in one pass", () => {
      // the expression the line scan replaced: the first line (not blank, not a comment) indented no deeper than the
      // dashes that is not an entry
      const byRegExp = (text: string, from: number, indent: string) => {
        const re = new RegExp(
          String.raw`^(?!${indent}-(?:[ \t\r\n]|$))(?![ \t]*(?:#|$))[ \t]{0,${indent.length}}\S`,
          'gm',
        )
        re.lastIndex = from
        const m = re.exec(text)
        return m ? m.index : text.length
      }

      // seeded lines of every kind that matters: entries, deeper lines, comments, blanks, tabs, `-x`, `- `, keys
      let seed = 7
      const rnd = (n: number) => {
        seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0
        return seed % n
      }

      const pieces = [
        '- a: 1',
        '-',
        '-x',
        '  b: 2',
        '    c: 3',
        ' d',
        '\t- e',
        '# c',
        '  # c',
        '',
        '   ',
        'kind: List',
        '- ',
        '-\tf',
        '\fg',
        '\u00A0h',
      ]
      for (let round = 0; round < 3000; round++) {
        const indent = ['', ' ', '  ', '\t'][rnd(4)]
        const lines = [`${indent}- first: 1`]
        for (let i = rnd(12); i > 0; i--) lines.push((rnd(2) ? indent : '') + pieces[rnd(pieces.length)])
        // now and then with CRLF line breaks: the expressions' own path (`^` also follows a lone `\r`)
        const text = `items:\n${lines.join(round % 10 === 0 ? '\r\n' : '\n')}${rnd(2) ? '\n' : ''}`
        const from = text.indexOf('\n') + 1
        const got = sequenceEntries(text, from, indent)
        const end = byRegExp(text, from, indent)
        expect(got.end, JSON.stringify(text)).to.equal(end)
        // the entries: the lines of the indentation and a dash before the end, as the first version found them
        const dash = new RegExp(String.raw`^${indent}-(?=[ \t\r\n]|$)`, 'gm')
        dash.lastIndex = from
        const starts: number[] = []
        for (let m = dash.exec(text); m && m.index < end; m = dash.exec(text)) starts.push(m.index)
        expect(got.starts, JSON.stringify(text)).to.deep.equal(starts)
        expect(got.lines, JSON.stringify(text)).to.deep.equal(
          starts.map((at) => text.slice(from, at).split('\n').length - 1),
        )
      }
    })

    it('#9: stdin and files above the size cap are input errors naming the cap, never a clean pass', async () => {
      const dir = await mkdtemp(path.join(os.tmpdir(), 'doctor-cap-'))
      const big = path.join(dir, 'big.yaml')
      await writeFile(big, SOCK_POD('big'))
      const r = await readSources([big, '-'], {
        maxBytes: 100,
        stdin: Readable.from([Buffer.from(SOCK_POD('in').slice(0, 60)), Buffer.from(SOCK_POD('in').slice(60))]),
      })
      expect(r.sources).to.deep.equal([])
      expect(r.errors.map((e) => e.file)).to.deep.equal([big, '<stdin>'])
      for (const e of r.errors)
        expect(e.message).to.match(/larger than 100 bytes, the most doctor reads from one input/)
      const ok = await readSources([big], {maxBytes: 10_000})
      expect(ok.errors).to.deep.equal([])
    })
  })

  describe('an input doctor did not check is an input error, never a clean pass (issue 12 #15)', () => {
    let dir: string

    before(async () => {
      dir = await mkdtemp(path.join(os.tmpdir(), 'doctor-unchecked-'))
    })

    const doctor = async (files: string[], stdin?: string) =>
      runDoctor({
        files,
        noDefaultIgnoreFile: true,
        stdin: stdin === undefined ? undefined : Readable.from([Buffer.from(stdin)]),
      })

    it('an unrendered ytt template (#@ annotations) is an input error for the file, at its first #@ line', async () => {
      const ytt = `#@ load("@ytt:data", "data")\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: #@ data.values.name\nspec:\n  containers:\n  #@ for c in data.values.containers:\n  - name: #@ c\n  #@ end\n`
      const {findings, parsed} = await check(`${SOCK_POD('plain')}---\n${ytt}`, 'ytt.yaml')
      expect(parsed.errors).to.have.length(1)
      expect(parsed.errors[0]).to.include({file: 'ytt.yaml', line: 14})
      expect(parsed.errors[0].message).to.match(/^unrendered ytt template .*ytt -f … \| fabk8s doctor -f -/)
      // the whole file is one ytt program: nothing of it is checked until it is rendered
      expect(findings).to.deep.equal([])
      // "#@" inside a value or after text is not ytt
      const fine = await check('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  k: "a #@ b"\n')
      expect(fine.parsed.errors).to.deep.equal([])
    })

    it('a top-level YAML or JSON array of objects is read, with lines', async () => {
      const yamlArr = `- ${SOCK_POD('y1').trim().split('\n').join('\n  ')}\n- ${SOCK_POD('y2').trim().split('\n').join('\n  ')}\n`
      const y = await check(yamlArr, 'arr.yaml')
      expect(y.findings.map((f) => [f.name, f.line])).to.deep.equal([
        ['y1', 10],
        ['y2', 22],
      ])
      const pod = {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {name: 'j1'},
        spec: {containers: [{image: 'a:1', name: 'c', securityContext: {privileged: true, runAsNonRoot: true}}]},
      }
      const j = await check(JSON.stringify([pod, {...pod, metadata: {name: 'j2'}}], null, 2), 'arr.json')
      expect(j.findings.map((f) => f.name)).to.deep.equal(['j1', 'j2'])
    })

    it('follows symlinked subfolders, once, and a symlink loop does not hang', async () => {
      const root = path.join(dir, 'links')
      await mkdir(path.join(root, 'real', 'deep'), {recursive: true})
      await writeFile(path.join(root, 'real', 'deep', 'pod.yaml'), SOCK_POD('linked'))
      const outside = path.join(dir, 'outside')
      await mkdir(outside)
      await writeFile(path.join(outside, 'other.yaml'), SOCK_POD('outside'))
      await symlink(outside, path.join(root, 'via-link'))
      await symlink(root, path.join(root, 'real', 'deep', 'loop'))
      const r = await readSources([root])
      expect(r.errors).to.deep.equal([])
      expect(r.sources.map((x) => path.relative(root, x.file)).sort()).to.deep.equal([
        path.join('real', 'deep', 'pod.yaml'),
        path.join('via-link', 'other.yaml'),
      ])
    })

    it('an empty file, empty stdin, or a comment-only file is an input error (exit 2)', async () => {
      const empty = path.join(dir, 'empty.yaml')
      await writeFile(empty, '')
      const comments = path.join(dir, 'comments.yaml')
      await writeFile(comments, '# nothing here\n---\n# still nothing\n')
      for (const r of [await doctor([empty]), await doctor(['-'], ''), await doctor([comments])]) {
        expect(r.summary.exitCode).to.equal(2)
        expect(r.errors).to.have.length(1)
        expect(r.errors[0].message).to.match(/is empty: nothing to check/)
      }
    })

    it('a named file or stdin without anything doctor checks is an input error; in a folder such files are fine', async () => {
      const values = path.join(dir, 'values.yaml')
      await writeFile(values, 'replicaCount: 1\nimage: {repository: x}\n')
      const r = await doctor([values])
      expect(r.summary.exitCode).to.equal(2)
      expect(r.errors[0].message).to.match(/no Kubernetes objects, compose services or CI jobs/)
      const chart = path.join(dir, 'chart')
      await mkdir(chart)
      await writeFile(path.join(chart, 'values.yaml'), 'replicaCount: 1\n')
      const onlyValues = await doctor([chart])
      expect(onlyValues.summary.exitCode).to.equal(2)
      expect(onlyValues.errors[0].message).to.match(/chart: no Kubernetes objects, compose services or CI jobs in any/)
      await writeFile(
        path.join(chart, 'pod.yaml'),
        SOCK_POD('p')
          .replace('{runAsNonRoot: true, runAsUser: 1}', '{runAsNonRoot: true, runAsUser: 1}')
          .replace(/volume[\s\S]*/, ''),
      )
      const withPod = await doctor([chart])
      expect(withPod.errors).to.deep.equal([])
      expect(withPod.summary).to.include({exitCode: 0, files: 2, objects: 1})
    })
  })
})
