import {load} from 'js-yaml'
import assert from 'node:assert'
import {existsSync, readdirSync, readFileSync} from 'node:fs'
import path from 'node:path'

import {deployment, kubectlPod} from '../../../../bench/_corpora.js'
import {fastLoad, GIVE_UP, wholeText} from '../../../../src/lib/doctor/input/fast-yaml.js'
import {K8S_SCHEMA, splitDocuments, splitList} from '../../../../src/lib/doctor/input/parse.js'
import {CORPUS, corpusMissing, ROOT} from '../helpers.js'

type Outcome = 'fast' | 'gave up' | 'rejected'

const show = (v: unknown) => (v === GIVE_UP ? 'GIVE_UP' : v === undefined ? 'undefined' : JSON.stringify(v))

/** What comes before and after a document read in place: text the reader must not read (no `---` line after). */
const BEFORE = 'before: [1, 2]\n  - x\n'
const AFTER = '  - tail\n  more: |\n    text\nkey: value\n'

/**
 * fastLoad of a text, read on its own and read in place in a larger text (as parse.ts hands it documents of a file):
 * both must give the same.
 */
function fastBoth(text: string): unknown {
  const alone = fastLoad(text)
  const same = (inPlace: unknown, how: string) => {
    const why = `${how}: ${show(inPlace)}, alone: ${show(alone)}, for ${JSON.stringify(text)}`
    if (alone === GIVE_UP || inPlace === GIVE_UP) assert.strictEqual(inPlace, alone, why)
    else assert.strictEqual(JSON.stringify(inPlace), JSON.stringify(alone), why)
  }

  same(fastLoad(text, {at: BEFORE.length, whole: wholeText(BEFORE + text + AFTER)}), 'in place')
  // as a List item (parse.ts splitList): a space of the first line's indentation is a `-` in the whole text
  const k = /^ *? (?=[ \t\n])/.exec(text)?.[0].length
  if (k !== undefined) {
    const dash = BEFORE.length + k - 1
    const whole = wholeText(BEFORE + text.slice(0, k - 1) + '-' + text.slice(k) + AFTER)
    same(fastLoad(text, {at: BEFORE.length, dash, whole}), 'in place, as a List item')
  }

  return alone
}

/**
 * The property every input must have: when js-yaml rejects it, fastLoad gives up; otherwise fastLoad gives up or
 * returns a value deep-equal to js-yaml's, with the same key order; read in place, it gives the same.
 */
function differential(text: string): Outcome {
  let expected: unknown
  try {
    expected = load(text, {json: true, schema: K8S_SCHEMA})
  } catch (error) {
    const got = fastBoth(text)
    assert.strictEqual(
      got,
      GIVE_UP,
      `js-yaml rejects (${(error as Error).message.split('\n')[0]}) but fastLoad returned ${show(got)} for ${JSON.stringify(text)}`,
    )
    return 'rejected'
  }

  const got = fastBoth(text)
  if (got === GIVE_UP) return 'gave up'
  const why = `fastLoad returned ${show(got)}, js-yaml ${show(expected)}, for ${JSON.stringify(text)}`
  assert.deepStrictEqual(got, expected, why)
  assert.strictEqual(JSON.stringify(got), JSON.stringify(expected), why)
  return 'fast'
}

/** The differential check, and fastLoad must not give up: the fast path covers this. */
function covered(text: string): void {
  const outcome = differential(text)
  assert.strictEqual(outcome, 'fast', `fastLoad gave up (js-yaml: ${outcome}) on ${JSON.stringify(text)}`)
}

function tally(texts: string[]): Record<Outcome, number> {
  const t: Record<Outcome, number> = {fast: 0, 'gave up': 0, rejected: 0}
  for (const text of texts) t[differential(text)]++
  return t
}

/** Every document of a file, split the way parse.ts does (and the items of a large List, as it reads them). */
function documentsOf(text: string): string[] {
  const out: string[] = []
  for (const doc of splitDocuments(text)) {
    out.push(doc.text)
    for (const item of splitList(doc) ?? []) out.push(item.text)
  }

  return out
}

function yamlFilesUnder(dir: string): string[] {
  const out: string[] = []
  for (const e of readdirSync(dir, {withFileTypes: true})) {
    const p = path.join(dir, e.name)
    if (e.isDirectory()) {
      if (e.name !== 'node_modules') out.push(...yamlFilesUnder(p))
    } else if (/\.ya?ml$/.test(e.name)) out.push(p)
  }

  return out
}

const publicDocs = existsSync(CORPUS)
  ? readdirSync(CORPUS)
      .filter((f) => f.endsWith('.yaml'))
      .sort()
      .flatMap((f) => documentsOf(readFileSync(path.join(CORPUS, f), 'utf8')))
  : []
const fixtureDocs = yamlFilesUnder(path.join(ROOT, 'test')).flatMap((f) => documentsOf(readFileSync(f, 'utf8')))

// ---- the generated corpus: the Deployments and kubectl pods of bench/doctor.ts ----

const pods = Array.from({length: 60}, (_, i) => kubectlPod(i, ''))
const generatedDocs = [
  ...documentsOf(Array.from({length: 300}, (_, i) => deployment(i)).join('')),
  // pods as documents (bench "2. Lists"), a List parsed whole, and the List's items as splitList cuts them
  ...documentsOf(pods.map((p) => '---\n' + p.slice(2).replaceAll('\n  ', '\n')).join('')),
  `apiVersion: v1\nitems:\n${pods.join('')}kind: List\nmetadata:\n  resourceVersion: ""\n`,
  ...documentsOf(`apiVersion: v1\nitems:\n${pods.join('')}kind: List\nmetadata:\n  resourceVersion: ""\n`),
  `apiVersion: v1\nitems:\n${Array.from({length: 5}, (_, i) => kubectlPod(i, '  ')).join('')}kind: List\n`,
]

// ---- hand-written cases ----

/** Cases the fast path must read (and read as js-yaml does). */
const COVERED = [
  'a: 1\n',
  'a: 1',
  '---\na: 1\n',
  '--- # first\na: 1\n',
  '# c\n---\na: 1\n',
  '  a: 1\n  b: 2\n',
  'a:\n- 1\n- 2\nb: 3\n',
  'a:\n  - 1\n  - 2\nb: 3\n',
  '- - x\n  - y\n- z\n',
  '-   key: v\n    k2: w\n-  x\n',
  '- a:\n  - x\n  b: 1\n- c:\n    d: 2\n',
  '- a:\n- x\n',
  '-\n- x\n-\n',
  'a:\n-\nb: 1\n',
  'a:\nb:\nc: # nothing\n',
  'a:    \n',
  'a: b # c\n',
  'a: b#c\n',
  'a: "b" # c\n',
  'a: [b] # c\n',
  'a: # c\n  b: 1\n',
  '# c\na: 1 # d\n# e\n',
  'a:\n# c\n  b: 1\n',
  'a:\n  # c\n  b: 1\n',
  'a: 1\n  # indented comment\nb: 2\n',
  'a #b\n',
  '"a": 1\n',
  "'a': 1\n",
  '"a" : 1\n',
  '"a b": c\n',
  '"1": x\n',
  "'it''s': x\n",
  '"": x\n',
  '- "a": 1\n  b: 2\n',
  '- "a"\n',
  'a: 1\nb: 2\na: 3\n',
  'a: 1\na:\n  b: 2\n',
  'constructor: 1\ntoString: 2\nhasOwnProperty: 3\nvalueOf: 4\n',
  'a: ""\n',
  "a: ''\n",
  'a: {}\n',
  'a: []\n',
  'a: { }\n',
  'a: [ ]\n',
  'a: {a: 1, b: [x, "y"]}\n',
  'a: [a, b,]\n',
  'a: {a: 1,}\n',
  '[a, b]\n',
  '{a: 1}\n',
  'a: {"a":1}\n',
  "a: {'a': 1}\n",
  'a: [[1, 2], {b: c}]\n',
  'a: {b: {c: {d: []}}}\n',
  'a: [a b, c]\n',
  'a: [-1, -x]\n',
  'a: [http://x.y:80/z]\n',
  'a: {url: http://x:80}\n',
  'a: [a:b]\n',
  'a: [a#b]\n',
  'a: [1, 1.5, true, null, ~, "1", \'2\']\n',
  'a: {~: 1, 1: 2, true: 3, 0x10: 4}\n',
  'command: ["peer", "node", "start"]\n',
  'httpGet: {path: /healthz, port: http}\n',
  'a: |\n  x\n  y\n',
  'a: |-\n  x\n',
  'a: |+\n  x\n\n\n',
  'a: |2\n   x\n  y\n',
  'a: >\n  x\n  y\n\n  z\n   w\n',
  'a: >-\n  x\n  y\n',
  'a: >+\n  x\n\n',
  'a: |\n  x\n\nb: 1\n',
  'a: |\n\n  x\n',
  'a: |\n  x\n    y\n  z\n',
  'a: |\nb: 1\n',
  'a: |\n',
  'a: |+\n',
  'a: |-\n  x',
  'a: |\n  x',
  'a: |+\n  x\n  \n',
  'a: | #c\n  x\n',
  'a: |1\n x\n',
  '- |\n  x\n- y\n',
  '- |\n x\n',
  'a: >\n\n  x\n\n\n  y\n',
  'a:\n  b: |\n    # not a comment\n    x\n  c: 1\n',
  'a: |\n  x\n# comment\nb: 1\n',
  'a: |\n  x\n  ---\n',
  'a: |-\n\n\n',
  'a: |\n  \n  \n',
  'a: |\n  x\n  \n   \n',
  'a: |\n  \u00E9t\u00E9 \uD83D\uDE00\n',
  'a: 1_000\nb: 0x1F\nc: 0o17\nd: .5\ne: 1e3\nf: +1\ng: -.inf\nh: .NaN\ni: 012\nj: 08\nk: 0b101\n',
  'a: yes\nb: no\nc: on\nd: off\ne: y\nf: n\n',
  'a: null\nb: Null\nc: ~\nd: NULL\ne: nULL\nf: True\ng: TRUE\nh: tRue\n',
  'a: "1"\nb: \'1\'\nc: "true"\nd: "null"\n',
  "a: 'it''s'\nb: ''''\nc: 'a''''b'\nd: '  spaced  '\ne: 'a\"b'\nf: 'a\\nb'\n",
  'a: "a\\nb"\nb: "a\\"b"\nc: "\\u00e9"\nd: "\\x41"\ne: "\\t"\nf: "\\\\"\ng: "\\/"\nh: "\\0"\n',
  'a: "\\a\\b\\e\\f\\r\\v"\nb: "\\N\\_\\L\\P"\nc: "\\ "\nd: "\\ud83d\\ude00"\ne: "\\ud800"\n',
  'a: "  spaced  "\nb: "a\'b"\nc: "#notcomment"\n',
  'a: \u00E9\n\u00E9: \u00FC\nb: \u65E5\u672C\u8A9E\nc: "\uD83D\uDE00"\nd: \uD83D\uDE00\n\uD83D\uDE00: x\n',
  'a: \u00A0x\nb: x\u00A0\n',
  '1: a\n0x10: b\n~: c\nnull: d\ntrue: e\n1.5: f\n.inf: g\n1e3: h\n-0: i\n-0.0: j\n.nan: k\n01: l\nTrue: m\n',
  '2: a\n1: b\n',
  'a: ::1\n',
  'a:b: c\n',
  'a?: 1\na-: 2\n-a: 3\n',
  '- -a\n- :a\n- a:b\n',
  'a:    b    \n',
  'a    : b\n',
  "'a'   :   b\n",
  'a: <<\n',
  'a: b, c\nd: e]\nf: g}\n',
  '',
  '\n',
  '\n\n',
  ' ',
  '   \n',
  '  \n  \n',
  '# c',
  '# c\n',
  '---',
  '---\n',
  '--- # c\n',
  '---\n# c\n',
  '\n---\n',
  'foo',
  'foo # c',
  'foo\n# c\n',
  '"foo"',
  "'foo'",
  '42',
  'true',
  '~',
  '- a\n- b\n',
  '  ---',
  '  - a\n  - b\n',
  '  foo\n',
  '# \tcomment with a tab\na: 1\n',
  'a: |\n  x\n  # \t tab in content\n',
  `a: ${'x'.repeat(100_000)}\n`,
  `"${'k'.repeat(5000)}": v\n`,
  `a: [${Array.from({length: 2000}, (_, i) => `x${i}`).join(', ')}]\n`,
]

/** Cases where either answer is fine, as long as it is js-yaml's (and GIVE_UP when js-yaml rejects). */
const TRICKY = [
  // indentation
  'a:\n  b: 1\n c: 2\n',
  'a:\n  b: 1\n    c: 2\n',
  'a: 1\n  b: 2\n',
  '  a: 1\n b: 2\n',
  'a:\n  - 1\n  b: 2\n',
  'a:\n  - 1\n - 2\n',
  '- a\n - b\n',
  '- a\n  - b\n',
  '- - x\n - y\n',
  '-   key: v\n  k2: w\n',
  '- key: v\n   k2: w\n',
  '- -\n- x\n',
  '- - \n  - x\n- y\n',
  '-\n  x\n',
  '- # c\n  a: 1\n',
  'a:\n  [x]\n  b: 1\n',
  'a:\n  [x]\nb: 1\n',
  'a:\n  x\n',
  'a:\n  "x"\n',
  'a: 1\n- b\n',
  '- a\nb: 1\n',
  'foo\nbar\n',
  '"foo"\nbar\n',
  // `key: a: b` and friends
  'a: b: c\n',
  'a: b:\n',
  'a: -\n',
  'a: - b\n',
  'a: ? b\n',
  'a: :b\n',
  'a: : b\n',
  'a:b\n',
  '"a":b\n',
  '- "a":x\n',
  '- "a" x\n',
  'a: "x" y\n',
  "a: 'x' y\n",
  '"a"#c: 1\n',
  'a #b: c\n',
  // tabs, CR, BOM
  'a:\tb\n',
  'a:\n\tb: 1\n',
  '\ta: 1\n',
  'a: "x\ty"\n',
  'a: x\ty\n',
  'a: 1\t# c\n',
  'a: 1\r\nb: 2\r\n',
  'a: |\r\n  x\r\n',
  'a: 1\rb: 2\n',
  '\uFEFFa: 1\n',
  'a: \uFEFFb\n',
  // anchors, aliases, tags, merge keys, complex keys
  'a: &x 1\nb: *x\n',
  'a: &x\n  b: 1\nc: *x\n',
  '- &a x\n- *a\n',
  'a: !!str 1\n',
  'a: !foo x\n',
  '!!map\na: 1\n',
  'a: !!int "3"\n',
  '<<: {a: 1}\nb: 2\n',
  'a: &b {x: 1}\nc:\n  <<: *b\n  y: 2\n',
  '"<<": 1\n',
  '__proto__: 1\n',
  '__proto__:\n  a: 1\n',
  '"__proto__": x\n',
  '{__proto__: 1}\n',
  'a: {__proto__: 1}\n',
  '? a\n: b\n',
  '? [a]\n: b\n',
  '[a]: b\n',
  '{a: 1}: b\n',
  '- [a]: b\n',
  // documents and directives
  'a: 1\n...\n',
  'a: 1\n---\nb: 2\n',
  '--- a\n',
  '---a: 1\n',
  '----\n',
  '--- |\n  x\n',
  '--- >\n  x\n',
  '---# c\na: 1\n',
  '%YAML 1.2\n---\na: 1\n',
  '%TAG ! tag:x,2000:\n---\na: 1\n',
  '...\n',
  '... # c\n',
  'a: |\n  x\n---\n',
  'a: |\n  x\n...\n',
  '- a\n---\n- b\n',
  // multi-line scalars
  'a: b\n  c\n',
  'a: b\n\n  c\n',
  '- a\n  b\n',
  'a: "b\n  c"\n',
  "a: 'b\n  c'\n",
  'a: "b\\\n  c"\n',
  'a: "b\n',
  "a: 'b\n",
  // block scalar headers and bodies
  'a: |#c\n  x\n',
  'a: |x\n  x\n',
  'a: | x\n  x\n',
  'a: |0\n  x\n',
  'a: |+-\n  x\n',
  'a: |22\n  x\n',
  'a: |2-\n   x\n',
  'a: |-2\n   x\n',
  '|\n  x\n',
  '>\n  x\n',
  'a: |\n    \n  x\n',
  'a: |\n   x\n  y\n',
  'a: >\n  x\n   y\n  z\n',
  'a: |\n  x\n y\n',
  'a:\n  b: |\n  x\n',
  'a: |\n x\nb: |\n\n\n',
  'a: |-\n  x\n\n# c\n\nb: 1\n',
  'a: |+\n  x\n\n# c\n\nb: 1\n',
  // flow collections
  'a: [,]\n',
  'a: [a,,b]\n',
  'a: {,}\n',
  'a: [a\n  , b]\n',
  'a: {a: 1,\n  b: 2}\n',
  'a: [\n  x\n]\n',
  'a: [a: 1]\n',
  'a: {a}\n',
  'a: {a:}\n',
  'a: {a:1}\n',
  'a: {a: }\n',
  'a: {: 1}\n',
  'a: [x]: y\n',
  'a: [x] y\n',
  'a: ["x" y]\n',
  'a: [x, y\n',
  'a: [x]]\n',
  'a: {x: 1}}\n',
  'a: [a: b]\n',
  'a: [?]\n',
  'a: [? x]\n',
  'a: [&x 1, *x]\n',
  'a: [!!str 1]\n',
  'a: [#]\n',
  'a: [a #b]\n',
  'a: [a,#b]\n',
  'a: [- y]\n',
  'a: [-]\n',
  'a: [a, -]\n',
  'a: [:]\n',
  'a: [a:]\n',
  'a: {a: b: c}\n',
  'a: {a: [b}\n',
  'a: [{a: 1}, {b: 2}: c]\n',
  'a: [|]\n',
  'a: {{a: 1}: 2}\n',
  'a: [[a]: 2]\n',
  'a: [x]#c\n',
  "a: 'x'#c\n",
  'a: "x"#c\n',
  '[a]#c\n',
  '[a] b\n',
  '{a: 1}\nb: 2\n',
  // scalars js-yaml refuses or reads oddly
  'a: @b\n',
  'a: `b\n',
  'a: %b\n',
  'a: |b\n',
  'a: >b\n',
  'a: ,b\n',
  'a: ]b\n',
  'a: }b\n',
  'a: *\n',
  'a: &\n',
  'a: !\n',
  '@a: 1\n',
  '`a: 1\n',
  '%a: 1\n',
  ',a: 1\n',
  '?a: 1\n',
  ':a: 1\n',
  ': a\n',
  '- ?a\n',
  '- ::\n',
  '- :\n',
  '-a\n',
  '-\ta\n',
  // escapes js-yaml refuses or that are given up
  'a: "\\q"\n',
  'a: "\\x4"\n',
  'a: "\\xZZ"\n',
  'a: "\\u12"\n',
  'a: "\\U0001F600"\n',
  'a: "\\UFFFFFFFF"\n',
  'a: "a\\\tb"\n',
  'a: "unterminated\n',
  'a: "a" "b"\n',
  // non-printable characters
  'a: \u0001\n',
  'a: "\u0001"\n',
  'a: \u007F\n',
  'a: "\u007F"\n',
  '# \u0001\na: 1\n',
  'a: \uFFFE\n',
  'a: \uD800\n',
  'a: "\uD800"\n',
  'a: \uDC00x\n',
  'a: \u0000\n',
  'a: b\u000B\n',
  'a: "\u001B"\n',
  'a: \u2028\n',
  'a: \u0085\n',
  'a: "\u0085"\n',
  // numbers and words
  ...[
    '1_000',
    '0x1F',
    '0o17',
    '0b101',
    '.5',
    '1e3',
    '1.5e3',
    '1E3',
    '+1',
    '-1',
    '-.inf',
    '+.inf',
    '.inf',
    '.Inf',
    '.INF',
    '.NaN',
    '.nan',
    '.NAN',
    '012',
    '08',
    '0',
    '-0',
    '+0',
    '0.0',
    '-0.0',
    '1.',
    '1.0',
    '00',
    '0x',
    '0o',
    '0b',
    '0xG',
    '12345678901234567890',
    '9007199254740993',
    '1e400',
    '-1e400',
    '0x_1',
    '1__0',
    '.',
    '-',
    '+',
    '+.',
    '-.5',
    '3.14',
    '6.02e+23',
    '1:30',
    '1,000',
    '0.1.2',
    '0x7FFFFFFFFFFFFFFFFFFF',
    'yes',
    'no',
    'on',
    'off',
    'y',
    'n',
    'Y',
    'N',
    'true',
    'True',
    'TRUE',
    'tRue',
    'false',
    'False',
    'FALSE',
    'null',
    'Null',
    'NULL',
    'nULL',
    '~',
    '~~',
    'none',
    '_',
    '_1',
  ].flatMap((v) => [`a: ${v}\n`, `${v}: a\n`, `- ${v}\n`, `[${v}]\n`, `{${v}: ${v}}\n`, `${v}\n`]),
]

function nested(depth: number): string {
  let text = ''
  for (let i = 0; i < depth; i++) text += `${' '.repeat(2 * i)}k${i}:\n`
  return text + `${' '.repeat(2 * depth)}leaf: 1\n`
}

// ---- mutation fuzz ----

/** mulberry32: a small seeded generator, so a failure can be reproduced. */
function random(seed: number): () => number {
  let a = seed
  return () => {
    a = (a + 0x6d_2b_79_f5) >>> 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t ^= t + Math.imul(t ^ (t >>> 7), 61 | t)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}

const ALPHABET = [
  ' ',
  ' ',
  ':',
  ': ',
  '-',
  '- ',
  '#',
  ' #',
  "'",
  '"',
  '{',
  '}',
  '[',
  ']',
  ',',
  '|',
  '>',
  '&',
  '*',
  '!',
  '\t',
  '\n',
  '\n',
  '?',
  '%',
  '@',
  '`',
  '\\',
  '.',
  '0',
  '1',
  'x',
  '~',
  '+',
  '\r',
  '<<',
  '---',
  '...',
  '\u00E9',
  '\u0085',
  '\uD83D',
]

function mutate(text: string, rnd: () => number): string {
  const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)]
  const at = Math.floor(rnd() * (text.length + 1))
  switch (Math.floor(rnd() * 7)) {
    case 0: {
      return text.slice(0, at) + text.slice(at + 1)
    }

    case 1: {
      return text.slice(0, at) + pick(ALPHABET) + text.slice(at)
    }

    case 2: {
      return text.slice(0, at) + text.slice(at, at + 1) + text.slice(at)
    }

    case 3: {
      return text.slice(0, at) + pick(ALPHABET) + text.slice(at + 1)
    }

    case 4: {
      // indent or dedent a line
      const ls = text.lastIndexOf('\n', at - 1) + 1
      if (rnd() < 0.5) return text.slice(0, ls) + ' '.repeat(1 + Math.floor(rnd() * 2)) + text.slice(ls)
      const n = text.startsWith('  ', ls) ? 2 : text.startsWith(' ', ls) ? 1 : 0
      return text.slice(0, ls) + text.slice(ls + n)
    }

    case 5: {
      // drop or repeat a line
      const ls = text.lastIndexOf('\n', at - 1) + 1
      const le = text.indexOf('\n', at)
      const end = le === -1 ? text.length : le + 1
      return rnd() < 0.5 ? text.slice(0, ls) + text.slice(end) : text.slice(0, end) + text.slice(ls)
    }

    default: {
      return text.slice(0, at)
    }
  }
}

describe('fastLoad (fast-yaml)', () => {
  it('reads the public corpus as js-yaml does, nearly every document on the fast path', function () {
    const why = corpusMissing()
    if (why) {
      console.log(`    skipped: ${why}`)
      this.skip()
    }

    const t = tally(publicDocs)
    // of the documents js-yaml reads (the unrendered templates it rejects aside), at most one in ten gives up
    assert.ok(t.fast >= 0.9 * (t.fast + t['gave up']), `public corpus: ${JSON.stringify(t)}`)
  })

  it('reads the YAML fixtures under test/ as js-yaml does, most documents on the fast path', () => {
    const t = tally(fixtureDocs)
    assert.ok(fixtureDocs.length > 20)
    assert.ok(t.fast >= 0.8 * (t.fast + t['gave up']), `test fixtures: ${JSON.stringify(t)}`)
  })

  it('reads the generated Deployments and kubectl pods without giving up once', () => {
    const t = tally(generatedDocs)
    assert.ok(generatedDocs.length > 400)
    assert.deepStrictEqual(t, {fast: generatedDocs.length, 'gave up': 0, rejected: 0})
  })

  it('reads the covered constructs on the fast path, as js-yaml does', () => {
    for (const text of COVERED) covered(text)
  })

  it('gives up or agrees with js-yaml on tricky input, and gives up whenever js-yaml rejects it', () => {
    const t = tally(TRICKY)
    assert.ok(t.rejected > 50 && t.fast > 50, JSON.stringify(t))
  })

  it('types plain scalars of every first character as js-yaml does, as values and as keys', () => {
    const tails = ['', '1', '.5', 'rue', 'ull', 'x1', 'e3', 'inf', 'nan', ' b', '0', 'alse']
    for (let c = 0x21; c < 0x7f; c++)
      for (const tail of tails) {
        const v = String.fromCodePoint(c) + tail
        differential(`a: ${v}\n`)
        differential(`${v}: a\n`)
        differential(`- ${v}\n`)
        differential(`[${v}]\n`)
        differential(`{${v}: 1}\n`)
      }

    covered('a: 1\nb: 1.5\nc: true\nd: null\ne: x\n')
  })

  it('gives up on nesting deeper than it reads, and on nesting js-yaml refuses', () => {
    covered(nested(30))
    assert.strictEqual(fastLoad(nested(60)), GIVE_UP)
    assert.strictEqual(differential(nested(120)), 'rejected')
    covered(`a: ${'['.repeat(30)}${']'.repeat(30)}\n`)
    assert.strictEqual(differential(`a: ${'['.repeat(150)}${']'.repeat(150)}\n`), 'rejected')
  })

  it('keeps keys apart that share a hash in its key cache', () => {
    // keys of 8 characters that differ only where its hash does not look (the 2nd, 4th and 7th characters)
    const alphabet = 'abcdefghijklmnop'
    const same = Array.from({length: 600}, (_, i) => {
      const [x, y, z] = [i % 16, Math.floor(i / 16) % 16, Math.floor(i / 256) % 16].map((d) => alphabet[d])
      return `k${x}l${y}mn${z}o`
    })
    // and many keys of every shape
    const many = Array.from({length: 3000}, (_, i) => `k${i.toString(36).padStart(3, '0')}xk`)
    for (const keys of [same, many]) {
      covered(keys.map((k, i) => `${k}: ${i}\n`).join(''))
      covered(keys.map((k, i) => `- ${k}: ${i}\n  ${keys[(i * 7) % keys.length]}: x\n`).join(''))
    }
  })

  it('holds up under a few thousand seeded mutations of the corpus and the hand-written cases', () => {
    const rnd = random(20_251_205)
    const sources = [...publicDocs, ...generatedDocs.slice(0, 40), ...COVERED.slice(0, -3), ...TRICKY]
    for (let i = 0; i < 4000; i++) {
      let text = sources[Math.floor(rnd() * sources.length)]
      const rounds = 1 + Math.floor(rnd() * 3)
      for (let k = 0; k < rounds; k++) text = mutate(text, rnd)
      differential(text)
    }
  })
})
