/** SARIF 2.1.0 (GitHub code scanning): every rule in tool.driver.rules, file/line locations, `results: []` when clean. */
import path from 'node:path'

import type {Finding, Report, Severity} from '../types.js'

import {repoRoot} from '../repo.js'
import {RULES} from '../rules/index.js'

const LEVEL: Record<Severity, 'error' | 'note' | 'warning'> = {
  critical: 'error',
  high: 'error',
  info: 'note',
  low: 'note',
  medium: 'warning',
}
/** GitHub's security-severity scale: critical ≥ 9, high 7–8.9, medium 4–6.9, low 0.1–3.9. */
const SECURITY_SEVERITY: Record<Severity, string> = {
  critical: '9.5',
  high: '8.0',
  info: '0.0',
  low: '3.0',
  medium: '5.5',
}

export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json'

const fileUri = (abs: string) =>
  new URL(
    `file://${abs
      .split(path.sep)
      .map((p) => encodeURIComponent(p))
      .join('/')}`,
  ).href

function uriOf(file: string, base: Base): {uri: string; uriBaseId?: string} {
  if (file === '<stdin>') return {uri: 'stdin'}
  const abs = path.resolve(base.cwd, file)
  const rel = path.relative(base.root, abs)
  if (!rel.startsWith('..') && !path.isAbsolute(rel))
    return {
      uri: rel
        .split(path.sep)
        .map((p) => encodeURIComponent(p))
        .join('/'),
      uriBaseId: '%SRCROOT%',
    }
  return {uri: fileUri(abs)}
}

/** Where file names are read from (`cwd`) and what SARIF uris are relative to (`root`). */
interface Base {
  cwd: string
  root: string
}

function location(
  f: {file: null | string; line: null | number},
  base: Base,
  logical?: string,
  cluster?: string,
): Record<string, unknown>[] {
  const locs: Record<string, unknown>[] = []
  if (f.file) {
    locs.push({
      physicalLocation: {artifactLocation: uriOf(f.file, base), ...(f.line ? {region: {startLine: f.line}} : {})},
      ...(logical ? {logicalLocations: [{fullyQualifiedName: logical, kind: 'resource'}]} : {}),
    })
  } else if (logical)
    locs.push({
      // a finding in a live cluster (--cluster) has no file, but GitHub code scanning refuses a whole SARIF upload
      // when one result has no artifact location ("locationFromSarifResult: expected artifact location"): such a
      // result names its object as a path under cluster/, which no file of the repository has
      ...(cluster ? {physicalLocation: {artifactLocation: {uri: cluster}}} : {}),
      logicalLocations: [{fullyQualifiedName: logical, kind: 'resource'}],
    })
  return locs
}

/** The pseudo path of an object of a live cluster: cluster/NAMESPACE/KIND/NAME (each part percent-encoded). */
function clusterUri(f: Finding): string {
  const parts = [...(f.namespace ? [f.namespace] : []), f.kind ?? 'object', f.name ?? '(unnamed)']
  return ['cluster', ...parts.map((p) => encodeURIComponent(p))].join('/')
}

function logicalName(f: Finding): string {
  return (
    [f.kind ?? 'object', f.namespace, f.name ?? '(unnamed)'].filter(Boolean).join('/') +
    (f.container ? `/${f.container}` : '')
  )
}

/**
 * A result's identity across runs, which GitHub uses to track its alert: rule, file (as its uri) and object, with no
 * line, so an edit above it keeps the alert. The same object in two files (overlays, per-org copies) gets two, and a
 * second finding of one rule on one object (two hostPath volumes) gets `:2`, so no two results share one.
 */
function fingerprints(findings: Finding[], base: Base): string[] {
  const seen = new Map<string, number>()
  return findings.map((f) => {
    const key = `${f.rule}:${f.file ? uriOf(f.file, base).uri + ':' : ''}${logicalName(f)}`
    const n = (seen.get(key) ?? 0) + 1
    seen.set(key, n)
    return n === 1 ? key : `${key}:${n}`
  })
}

export function sarifDocument(
  r: Report,
  opts: {cwd?: string; root?: string; version?: string} = {},
): Record<string, unknown> {
  const cwd = opts.cwd ?? process.cwd()
  const base: Base = {cwd, root: opts.root ?? repoRoot(cwd)}
  const index = new Map(RULES.map((rule, i) => [rule.id, i]))
  const prints = fingerprints(r.findings, base)
  return {
    $schema: SARIF_SCHEMA,
    runs: [
      {
        invocations: [
          {
            executionSuccessful: r.errors.length === 0,
            toolExecutionNotifications: r.errors.map((e) => ({
              level: 'error',
              locations: location(e, base),
              message: {text: e.message},
            })),
          },
        ],
        originalUriBaseIds: {'%SRCROOT%': {uri: fileUri(base.root).replace(/([^/])$/, '$1/')}},
        results: r.findings.map((f, i) => ({
          level: LEVEL[f.severity],
          locations: location(f, base, logicalName(f), f.file ? undefined : clusterUri(f)),
          message: {text: `${f.message}\nRemediation: ${f.remediation}`},
          partialFingerprints: {fabk8sObject: prints[i]},
          properties: {
            container: f.container,
            kind: f.kind,
            name: f.name,
            namespace: f.namespace,
            severity: f.severity,
          },
          ruleId: f.rule,
          ruleIndex: index.get(f.rule) ?? -1,
        })),
        tool: {
          driver: {
            informationUri: 'https://github.com/fabk8s/fabk8s#fabk8s-doctor',
            name: 'fabk8s doctor',
            rules: RULES.map((rule) => ({
              defaultConfiguration: {level: LEVEL[rule.severity]},
              fullDescription: {text: rule.description},
              help: {
                markdown: `**Remediation:** ${rule.remediation.replaceAll('\n', '  \n')}`,
                text: `Remediation: ${rule.remediation}`,
              },
              id: rule.id,
              name: rule.id
                .split('-')
                .map((w) => w[0].toUpperCase() + w.slice(1))
                .join(''),
              properties: {
                'security-severity': SECURITY_SEVERITY[rule.severity],
                severity: rule.severity,
                tags: ['security', 'kubernetes', 'hyperledger-fabric'],
              },
              shortDescription: {text: rule.title},
            })),
            semanticVersion: opts.version ?? '0.0.0',
            version: opts.version ?? '0.0.0',
          },
        },
      },
    ],
    version: '2.1.0',
  }
}

export function renderSarif(r: Report, opts: {cwd?: string; root?: string; version?: string} = {}): string {
  return JSON.stringify(sarifDocument(r, opts), null, 2) + '\n'
}
