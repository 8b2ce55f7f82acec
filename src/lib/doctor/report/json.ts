import type {Finding, InputError, Report} from '../types.js'

/** A finding with its keys in the documented order. */
export function findingJson(f: Finding): Finding {
  return {
    container: f.container,
    file: f.file,
    kind: f.kind,
    line: f.line,
    message: f.message,
    name: f.name,
    namespace: f.namespace,
    remediation: f.remediation,
    rule: f.rule,
    severity: f.severity,
  } as Finding
}

export function errorJson(e: InputError): InputError {
  return {file: e.file, line: e.line, message: e.message} as InputError
}

/** Exactly {"findings","errors","suppressed","summary"}; null where unknown. */
export function renderJson(r: Report): string {
  return (
    JSON.stringify(
      {
        errors: r.errors.map((e) => errorJson(e)),
        findings: r.findings.map((f) => findingJson(f)),
        summary: r.summary,
        suppressed: r.suppressed,
      },
      ['findings', 'errors', 'suppressed', 'summary', ...FINDING_KEYS, 'bySeverity', ...SUMMARY_KEYS],
      2,
    ) + '\n'
  )
}

const FINDING_KEYS = [
  'rule',
  'severity',
  'kind',
  'name',
  'namespace',
  'container',
  'file',
  'line',
  'message',
  'remediation',
]
const SUMMARY_KEYS = [
  'critical',
  'high',
  'medium',
  'low',
  'info',
  'objects',
  'files',
  'findings',
  'errors',
  'suppressed',
  'failOn',
  'exitCode',
  'source',
]
