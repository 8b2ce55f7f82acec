/** Shared types of `fabk8s doctor`: severities, rule metadata, findings, input errors and the report. */

export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'] as const
export type Severity = (typeof SEVERITIES)[number]
export type FailOn = 'none' | Severity

/** Higher is worse. */
export const SEVERITY_RANK: Record<Severity, number> = {critical: 5, high: 4, info: 1, low: 2, medium: 3}

export function atOrAbove(s: Severity, threshold: FailOn): boolean {
  return threshold !== 'none' && SEVERITY_RANK[s] >= SEVERITY_RANK[threshold]
}

/** What doctor reads: Kubernetes objects, or the Docker settings of a compose file or a CI file. */
export type InputKind = 'compose' | 'github-actions' | 'gitlab-ci' | 'kubernetes'

/** `--cluster`: which kubeconfig, context and namespace (all namespaces when absent). */
export interface ClusterOptions {
  context?: string
  kubeconfig?: string
  namespace?: string
}

/**
 * Where a finding points inside a document, searched in order (see input/locate.ts): a `key: value` hint, or an
 * exact line of the file (readers that know positions give these; later hints are searched after that line).
 */
export type Needle =
  | {
      /** Then step back to the start of the list item (or JSON object) holding the key: the rest is searched there. */
      item?: true
      key: string
      line?: undefined
      value?: string
    }
  | {item?: undefined; key?: undefined; line: number}

/** What a rule returns before the object's identity, file and line are attached. */
export interface RawFinding {
  container: null | string
  /** Search hints for the line, most specific last. */
  locate?: Needle[]
  message: string
  /** Overrides the rule's default remediation. */
  remediation?: string
  /** Overrides the rule's default severity (rare). */
  severity?: Severity
}

export interface Finding {
  container: null | string
  file: null | string
  kind: null | string
  line: null | number
  message: string
  name: null | string
  namespace: null | string
  remediation: string
  rule: string
  severity: Severity
}

export interface InputError {
  file: null | string
  line: null | number
  message: string
}

export interface RuleMeta {
  description: string
  id: string
  remediation: string
  severity: Severity
  title: string
}

export interface Summary {
  bySeverity: Record<Severity, number>
  errors: number
  exitCode: 0 | 1 | 2
  failOn: FailOn
  files: number
  findings: number
  objects: number
  source: 'cluster' | 'files'
  suppressed: number
}

/** An object doctor checked (for reports that list clean objects too). */
export interface CheckedObject {
  file: null | string
  kind: null | string
  name: null | string
  namespace: null | string
}

/**
 * The report; `findings`, `errors`, `suppressed` and `summary` are exactly the `--json` document. `checked` and
 * `sources` (every object and every file read, clean ones included) feed the JUnit report.
 */
export interface Report {
  checked: CheckedObject[]
  errors: InputError[]
  findings: Finding[]
  sources: string[]
  summary: Summary
  suppressed: number
}
