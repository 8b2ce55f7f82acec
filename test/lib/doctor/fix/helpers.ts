import {expect} from 'chai'
import {spawnSync} from 'node:child_process'
import {cpSync, mkdtempSync, readFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {parseAllDocuments} from 'yaml'

import {type FixResult, LISTED_RULES, runFix} from '../../../../src/lib/doctor/fix/run.js'
import {runDoctor} from '../../../../src/lib/doctor/run.js'

/** Every line of `before` that the diff does not mark as removed is in `after`, in order (nothing else changed). */
export function onlyDiffLinesChanged(before: string, after: string, diff: string): void {
  const removed = diff.split('\n').filter((l) => l.startsWith('-') && !l.startsWith('---')).length
  const added = diff.split('\n').filter((l) => l.startsWith('+') && !l.startsWith('+++')).length
  const lines = (s: string) => s.split('\n').length - (s.endsWith('\n') ? 1 : 0)
  expect(lines(after) - lines(before)).to.equal(added - removed)
}

/** `file` patched with `diff` by patch(1). */
export function patched(dir: string, file: string, diff: string): string {
  const copy = path.join(dir, 'patched-' + path.basename(file))
  cpSync(file, copy)
  const r = spawnSync('patch', ['-s', '-o', '-', copy], {cwd: dir, encoding: 'utf8', input: diff})
  expect(r.status, r.stderr).to.equal(0)
  return r.stdout
}

/**
 * Fix a copy of `src` (a file or a folder) in place and check the whole contract: --diff writes nothing and its diff
 * applied with patch(1) gives the output; every output parses; only the diff's lines changed; doctor on the output
 * shows of the fixed rules exactly what --fix listed as not fixed (each with a reason); unchanged files are byte for
 * byte the originals. Returns the in-place result and the copy's path.
 */
export async function fixAndCheck(src: string): Promise<{copy: string; r: FixResult}> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'doctor-fix-check-'))
  const copy = path.join(dir, path.basename(src))
  cpSync(src, copy, {recursive: true})
  const original = (f: string) => path.join(src, path.relative(copy, f))
  const isDir = !copy.endsWith('.yaml') && !copy.endsWith('.yml')
  const orig = (f: string) => (isDir ? original(f) : src)
  const diffRun = await runFix({files: [copy], mode: 'diff', noDefaultIgnoreFile: true})
  const r = await runFix({files: [copy], mode: 'in-place', noDefaultIgnoreFile: true})
  expect(r.errors).to.deep.equal([])
  for (const f of r.files) {
    const after = readFileSync(f.file, 'utf8')
    for (const d of parseAllDocuments(after) as unknown as {errors: unknown[]}[]) expect(d.errors, f.file).to.deep.equal([])
    const before = readFileSync(orig(f.file), 'utf8')
    const {diff} = diffRun.files.find((x) => x.file === f.file)!
    expect(patched(dir, orig(f.file), diff), f.file).to.equal(after)
    onlyDiffLinesChanged(before, after, diff)
  }

  const again = await runDoctor({failOn: 'none', files: [copy], noDefaultIgnoreFile: true})
  expect(again.errors).to.deep.equal([])
  const fixedRules = new Set<string>(LISTED_RULES)
  const remaining = again.findings.filter((f) => fixedRules.has(f.rule)).map((f) => `${f.file}:${f.line} ${f.rule}`)
  const listed = r.notFixed.filter((n) => !n.unseen)
  expect(remaining.sort()).to.deep.equal(listed.map((f) => `${f.file}:${f.line} ${f.rule}`).sort())
  expect(r.otherFindings).to.equal(again.findings.length - remaining.length)
  for (const n of r.notFixed) expect(n.reason, `${n.file}:${n.line}`).to.be.a('string').and.not.equal('')
  const changed = new Set(r.files.map((f) => f.file))
  for (const f of [...diffRun.files.map((x) => x.file), ...again.sources])
    if (!changed.has(f)) expect(readFileSync(f, 'utf8'), f).to.equal(readFileSync(orig(f), 'utf8'))
  return {copy, r}
}
