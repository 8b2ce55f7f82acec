/** JUnit XML for CI dashboards: one testsuite per input file (or the cluster), one testcase per object. */
import {atOrAbove, type FailOn, type Finding, type InputError, type Report} from '../types.js'

export function xmlEscape(s: string): string {
  return (
    s
      .replaceAll('&', '&amp;')
      .replaceAll('<', '&lt;')
      .replaceAll('>', '&gt;')
      .replaceAll('"', '&quot;')
      .replaceAll("'", '&apos;')
      // eslint-disable-next-line no-control-regex -- XML 1.0 forbids these characters
      .replaceAll(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '')
  )
}

function line(f: Finding): string {
  return `[${f.severity}] ${f.rule}${f.container ? ` (container ${f.container})` : ''}${f.line ? ` at line ${f.line}` : ''}: ${f.message}\n  fix: ${f.remediation}`
}

interface Case {
  findings: Finding[]
  name: string
}

interface Suite {
  cases: Map<string, Case>
  errors: InputError[]
}

function caseName(o: {kind: null | string; name: null | string; namespace: null | string}): string {
  return `${o.kind ?? 'object'} ${o.namespace ? o.namespace + '/' : ''}${o.name ?? '(unnamed)'}`
}

const NOTHING = 'no Kubernetes objects, compose services or CI jobs in this file'

/**
 * One testsuite per file read (or "cluster"), clean files included, in input order; one testcase per object checked,
 * passing or failing (findings at or above --fail-on fail it; lower ones go to system-out); one errored testcase per
 * input error; a file without objects has one skipped testcase.
 */
export function renderJunit(r: Report, failOn: FailOn = r.summary.failOn): string {
  const suites = new Map<string, Suite>()
  const suiteOf = (file: null | string): Suite => {
    const k = file === null ? 'cluster' : file
    let s = suites.get(k)
    if (!s) suites.set(k, (s = {cases: new Map(), errors: []}))
    return s
  }

  const caseOf = (s: Suite, name: string): Case => {
    let c = s.cases.get(name)
    if (!c) s.cases.set(name, (c = {findings: [], name}))
    return c
  }

  for (const f of r.sources ?? []) suiteOf(f)
  if (r.summary.source === 'cluster' && (r.checked ?? []).length > 0) suiteOf(null)
  for (const o of r.checked ?? []) caseOf(suiteOf(o.file), caseName(o))
  for (const f of r.findings) caseOf(suiteOf(f.file), caseName(f)).findings.push(f)
  for (const e of r.errors) suiteOf(e.file).errors.push(e)
  let tests = 0
  let failures = 0
  let errors = 0
  const body: string[] = []
  for (const [file, s] of suites) {
    const parts: string[] = []
    let sf = 0
    for (const c of s.cases.values()) {
      const failing = c.findings.filter((f) => atOrAbove(f.severity, failOn))
      const other = c.findings.filter((f) => !atOrAbove(f.severity, failOn))
      let x = `    <testcase classname="${xmlEscape(file)}" name="${xmlEscape(c.name)}"`
      if (failing.length === 0 && other.length === 0) {
        parts.push(x + '/>\n')
        continue
      }

      x += '>\n'
      if (failing.length > 0) {
        sf++
        x += `      <failure message="${xmlEscape(`${failing.length} finding(s) at or above ${failOn}: ${[...new Set(failing.map((f) => f.rule))].join(', ')}`)}" type="${xmlEscape(failing[0].severity)}">${xmlEscape(failing.map((f) => line(f)).join('\n'))}</failure>\n`
      }

      if (other.length > 0) x += `      <system-out>${xmlEscape(other.map((f) => line(f)).join('\n'))}</system-out>\n`
      parts.push(x + '    </testcase>\n')
    }

    for (const e of s.errors) {
      parts.push(
        `    <testcase classname="${xmlEscape(file)}" name="${xmlEscape(`input ${file}${e.line ? `:${e.line}` : ''}`)}">\n      <error message="${xmlEscape(e.message)}" type="input"/>\n    </testcase>\n`,
      )
    }

    let n = s.cases.size + s.errors.length
    let skipped = 0
    if (n === 0) {
      parts.push(
        `    <testcase classname="${xmlEscape(file)}" name="no objects doctor checks">\n      <skipped message="${NOTHING}"/>\n    </testcase>\n`,
      )
      n = 1
      skipped = 1
    }

    tests += n
    failures += sf
    errors += s.errors.length
    body.push(
      `  <testsuite name="${xmlEscape(file)}" tests="${n}" failures="${sf}" errors="${s.errors.length}" skipped="${skipped}">\n${parts.join('')}  </testsuite>\n`,
    )
  }

  if (suites.size === 0) {
    tests = 1
    body.push(
      `  <testsuite name="fabk8s doctor" tests="1" failures="0" errors="0" skipped="0">\n    <testcase classname="fabk8s doctor" name="${r.summary.objects} object(s) checked"/>\n  </testsuite>\n`,
    )
  }

  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="fabk8s doctor" tests="${tests}" failures="${failures}" errors="${errors}">\n${body.join('')}</testsuites>\n`
}
