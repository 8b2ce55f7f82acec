/**
 * bench/doctor: `fabk8s doctor`'s figures, each against a baseline measured in the same run, with the goal.
 *
 *  1. throughput: 20,000 Deployments (most with findings) checked by runDoctor (read, parse, rules, line numbers,
 *     report) against the fastest plain parse of the same text (js-yaml loadAll, keeping the documents as a parse must).
 *     Goal: ≥ 30,000 objects/s and ≤ 1.2× the parse.
 *  2. Lists: 16,000 pods as one `kind: List` against the same pods as documents. Goal: ≤ 1.2×.
 *  3. a 50 MB `kubectl get pods -A -o yaml` (a List with managedFields and status) against its parse. Goal: ≤ 1.2×.
 *  4. a small real-world corpus (../shared/doctor-corpus/public, or $FABK8S_DOCTOR_CORPUS), the CLI as a user runs it (a new process each
 *     time) against kube-linter built from its Go module when the Go module proxy serves it, else against a bare
 *     `node` start plus the parse of the same files (and says which). Goal: ≤ 2×.
 *
 *   npx tsx bench/doctor.ts [--objects 20000] [--rounds 5] [--yaml2] [--only throughput,lists,kubectl,corpus]
 *
 * Times are the best of --rounds, the contenders alternating so that load from other processes hits both alike;
 * CPU time is printed beside wall time (on a busy machine it is the steadier of the two). Nothing here is asserted
 * in tests.
 */
import jsyaml from 'js-yaml'
import {spawnSync} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {performance} from 'node:perf_hooks'
import {fileURLToPath} from 'node:url'

import {K8S_SCHEMA, loadYaml, splitDocuments} from '../src/lib/doctor/input/parse.js'
import {runDoctor} from '../src/lib/doctor/run.js'
import {deployment, kubectlPod} from './_corpora.js'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const args = process.argv.slice(2)
const opt = (name: string, dflt: number) => Number(args[args.indexOf(name) + 1]) || dflt
const N = opt('--objects', 20_000)
const ROUNDS = opt('--rounds', 5)
const only = args.includes('--only') ? args[args.indexOf('--only') + 1].split(',') : undefined
const run = (part: string) => !only || only.includes(part)
const tmp = mkdtempSync(path.join(os.tmpdir(), 'fabk8s-bench-doctor-'))

interface Time {
  cpu: number
  wall: number
}

async function measure(fn: () => Promise<unknown> | unknown): Promise<Time> {
  const c = process.cpuUsage()
  const t = performance.now()
  await fn()
  const u = process.cpuUsage(c)
  return {cpu: (u.user + u.system) / 1000, wall: performance.now() - t}
}

/** Best of ROUNDS for each contender, run in turn each round. */
async function contest(contenders: Record<string, () => Promise<unknown> | unknown>): Promise<Record<string, Time>> {
  const best: Record<string, Time> = {}
  for (let i = 0; i < ROUNDS; i++)
    for (const [k, fn] of Object.entries(contenders)) {
      const t = await measure(fn)
      const b = best[k] ?? {cpu: Infinity, wall: Infinity}
      best[k] = {cpu: Math.min(b.cpu, t.cpu), wall: Math.min(b.wall, t.wall)}
    }

  return best
}

const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`
const rate = (n: number, ms: number) => `${Math.round(n / (ms / 1000)).toLocaleString('en-US')} objects/s`
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`
const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met')

function line(label: string, t: Time, n?: number): void {
  console.log(
    `  ${label.padEnd(36)} ${s(t.wall).padStart(7)} wall  ${s(t.cpu).padStart(7)} cpu${n ? `  ${rate(n, t.wall)}` : ''}`,
  )
}

function fastestParse(text: string): Record<string, () => unknown> {
  return {
    'js-yaml loadAll, core+merge schema': () => jsyaml.loadAll(text, undefined, {schema: K8S_SCHEMA}),
    'js-yaml loadAll, default schema': () => jsyaml.loadAll(text),
  }
}

async function doctorOn(file: string): Promise<{findings: number; objects: number}> {
  const r = await runDoctor({failOn: 'none', files: [file], noDefaultIgnoreFile: true})
  if (r.errors.length > 0) throw new Error(`bench input has errors: ${r.errors[0].message}`)
  return {findings: r.findings.length, objects: r.summary.objects}
}

/** Compare doctor on `text` with the fastest parse of it; returns the ratio (wall). */
async function againstParse(title: string, text: string, n: number, extra: Record<string, () => unknown> = {}) {
  const file = path.join(tmp, `${title.replaceAll(/\W+/g, '-')}.yaml`)
  writeFileSync(file, text)
  const seen = await doctorOn(file) // warm-up (JIT), and what it finds
  const parse = fastestParse(text)
  const t = await contest({...parse, ...extra, 'fabk8s doctor (read+parse+rules+lines)': () => doctorOn(file)})
  const fastest = Object.keys(parse).sort((a, b) => t[a].wall - t[b].wall)[0]
  console.log(
    `${title}: ${n.toLocaleString('en-US')} objects, ${(Buffer.byteLength(text) / 1e6).toFixed(1)} MB; doctor saw ${seen.objects} objects, ${seen.findings} findings`,
  )
  for (const [k, v] of Object.entries(t)) line(k, v, n)
  const d = t['fabk8s doctor (read+parse+rules+lines)']
  return {cpu: d.cpu / t[fastest].cpu, doctor: d, fastest: t[fastest], times: t, wall: d.wall / t[fastest].wall}
}

// ---- 1. throughput ----

if (run('throughput')) {
  const text = Array.from({length: N}, (_, i) => deployment(i)).join('')
  let y2: Record<string, () => unknown> = {}
  if (args.includes('--yaml2')) {
    const {parseAllDocuments} = await import('yaml')
    y2 = {'yaml@2 parseAllDocuments+toJS': () => parseAllDocuments(text).map((d) => d.toJS())}
  }

  // doctor's own reader alone (fast-yaml.ts, js-yaml where it gives up): what the rules, lines and report add to it
  const READER = "doctor's reader alone (fastLoad, else js-yaml)"
  const reader = {[READER]: () => splitDocuments(text).map((d) => loadYaml(d.text, undefined, d.from))}
  const r = await againstParse('1. throughput', text, N, {...reader, ...y2})
  const perSec = N / (r.doctor.wall / 1000)
  console.log(
    `  → ${Math.round(perSec).toLocaleString('en-US')} objects/s (goal ≥ 30,000: ${verdict(perSec >= 30_000)}; js-yaml alone reads ${rate(N, r.fastest.wall)} on this machine); ${ratio(r.wall, 1)} the fastest js-yaml parse in wall time, ${ratio(r.cpu, 1)} in CPU time (goal ≤ 1.2×: ${verdict(r.wall <= 1.2)}); ${ratio(r.doctor.wall, r.times[READER].wall)} doctor's own reader\n`,
  )
}

// ---- 2. Lists ----

if (run('lists')) {
  const pods = Array.from({length: 16_000}, (_, i) => kubectlPod(i, ''))
  const list = `apiVersion: v1\nitems:\n${pods.join('')}kind: List\nmetadata:\n  resourceVersion: ""\n`
  const docs = pods.map((p) => '---\n' + p.slice(2).replaceAll('\n  ', '\n')).join('')
  const fl = path.join(tmp, 'pods-list.yaml')
  const fd = path.join(tmp, 'pods-docs.yaml')
  writeFileSync(fl, list)
  writeFileSync(fd, docs)
  await doctorOn(fl)
  const t = await contest({
    '16,000 pods as documents': () => doctorOn(fd),
    '16,000 pods as one List': () => doctorOn(fl),
  })
  console.log(
    `2. Lists: the same 16,000 pods (${(Buffer.byteLength(list) / 1e6).toFixed(1)} MB) as a List and as documents`,
  )
  for (const [k, v] of Object.entries(t)) line(k, v, 16_000)
  const q = t['16,000 pods as one List'].wall / t['16,000 pods as documents'].wall
  console.log(`  → List / documents: ${ratio(q, 1)} (goal ≤ 1.2×: ${verdict(q <= 1.2)})\n`)
}

// ---- 3. kubectl get pods -A -o yaml, 50 MB ----

if (run('kubectl')) {
  const parts: string[] = ['apiVersion: v1\nitems:\n']
  let size = 0
  let n = 0
  while (size < 50e6) {
    const p = kubectlPod(n++, '')
    parts.push(p)
    size += p.length
  }

  parts.push('kind: List\nmetadata:\n  resourceVersion: ""\n')
  const r = await againstParse('3. kubectl get pods -A -o yaml', parts.join(''), n)
  console.log(`  → ${ratio(r.wall, 1)} the parse (CPU ${ratio(r.cpu, 1)}) (goal ≤ 1.2×: ${verdict(r.wall <= 1.2)})\n`)
}

// ---- 4. small corpus, cold CLI ----

function kubeLinter(): null | string {
  const gobin = path.join(os.tmpdir(), 'fabk8s-bench-kube-linter')
  const bin = path.join(gobin, 'kube-linter')
  if (existsSync(bin)) return bin
  mkdirSync(gobin, {recursive: true})
  const r = spawnSync('go', ['install', 'golang.stackrox.io/kube-linter/cmd/kube-linter@v0.7.6'], {
    encoding: 'utf8',
    env: {...process.env, GOBIN: gobin, GOFLAGS: '-mod=mod'},
    timeout: 600_000,
  })
  if (r.status === 0 && existsSync(bin)) return bin
  const why = (r.stderr || r.error?.message || '').trim().split('\n').at(-1)
  console.log(`  kube-linter: not built (${why})`)
  return null
}

/** CPU time (user + system) of this process's waited-for children, from /proc (Linux); null elsewhere. */
function childrenCpu(): null | number {
  try {
    const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ')
    return ((Number(fields[13]) + Number(fields[14])) * 1000) / 100 // cutime + cstime, in clock ticks (USER_HZ 100)
  } catch {
    return null
  }
}

/** Run a command to its end: wall time, and CPU time when the platform tells. */
function timed(cmd: string, argv: string[]): Time {
  const c = childrenCpu()
  const t = performance.now()
  const r = spawnSync(cmd, argv, {encoding: 'utf8', env: {...process.env, NO_COLOR: '1'}})
  if (r.error) throw r.error
  const wallMs = performance.now() - t
  const c2 = childrenCpu()
  return {cpu: c === null || c2 === null ? Number.NaN : c2 - c, wall: wallMs}
}

if (run('corpus')) {
  const corpus = [
    process.env.FABK8S_DOCTOR_CORPUS ?? '',
    ...[path.resolve(ROOT, '..', 'shared'), path.resolve(ROOT, '..', '..', 'shared')].map((d) =>
      path.join(d, 'doctor-corpus', 'public'),
    ),
  ].find((d) => d && existsSync(d))
  const bin = path.join(ROOT, 'bin', 'run.js')
  if (corpus && existsSync(path.join(ROOT, 'dist', 'commands', 'doctor.js'))) {
    const files = readdirSync(corpus).filter((f) => f.endsWith('.yaml'))
    console.log(`4. small corpus: ${files.length} files in ${corpus}, a new process each run`)
    const kl = kubeLinter()
    const parseScript = `const y=require(${JSON.stringify(require_('js-yaml'))});const fs=require('fs');for(const f of fs.readdirSync(${JSON.stringify(corpus)}))if(f.endsWith('.yaml'))try{y.loadAll(fs.readFileSync(${JSON.stringify(corpus)}+'/'+f,'utf8'))}catch{}`
    const contenders: Record<string, () => Time> = {
      'fabk8s doctor -f DIR': () => timed(process.execPath, [bin, 'doctor', '-f', corpus, '--format', 'json']),
    }
    const baseline = kl ? 'kube-linter lint DIR' : 'node start + js-yaml parse of the files'
    contenders[baseline] = kl ? () => timed(kl, ['lint', corpus]) : () => timed(process.execPath, ['-e', parseScript])
    const best: Record<string, Time> = {}
    for (let i = 0; i < Math.max(ROUNDS, 7); i++)
      for (const [k, fn] of Object.entries(contenders)) {
        const t = fn()
        const b = best[k] ?? {cpu: Infinity, wall: Infinity}
        best[k] = {cpu: Math.min(b.cpu, t.cpu), wall: Math.min(b.wall, t.wall)}
      }

    for (const [k, v] of Object.entries(best)) line(k, v)
    const q = best['fabk8s doctor -f DIR'].wall / best[baseline].wall
    const qc = best['fabk8s doctor -f DIR'].cpu / best[baseline].cpu
    console.log(
      `  → ${ratio(q, 1)} ${baseline} in wall time, ${ratio(qc, 1)} in CPU time (goal ≤ 2×: ${verdict(q <= 2)}); baseline: ${kl ? 'kube-linter, built from its Go module' : 'a bare node start plus the parse (the Go module proxy does not serve kube-linter here)'}\n`,
    )
  } else
    console.log(
      `4. small corpus: skipped (${corpus ? 'dist/ missing: npm run build' : '../shared/doctor-corpus/public not found'})`,
    )
}

/** The path of a dependency's CommonJS entry (for the bare-node baseline script). */
function require_(name: string): string {
  return path.join(
    ROOT,
    'node_modules',
    name,
    JSON.parse(readFileSync(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8')).main ?? 'index.js',
  )
}
