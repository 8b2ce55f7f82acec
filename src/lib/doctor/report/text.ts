/** The human report: findings grouped by object, coloured by severity, then how to fix each rule, then a summary. */
import {c} from '../../ui/colors.js'
import {RULES_BY_ID} from '../rules/index.js'
import {type Finding, type Report, SEVERITIES, type Severity} from '../types.js'

const PAINT: Record<Severity, (s: string) => string> = {
  critical: (s) => c.bad(c.strong(s)),
  high: (s) => c.bad(s),
  info: (s) => c.info(s),
  low: (s) => c.dim(s),
  medium: (s) => c.warn(s),
}

const CONTROL =
  // eslint-disable-next-line no-control-regex -- C0/C1 controls and bidi overrides from the data must not reach a terminal
  /[\u0000-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/g

/** Data (object names, images, paths, parser and server messages) made safe for a terminal: controls shown escaped. */
export function visible(s: string): string {
  return s.replaceAll(CONTROL, (ch) => {
    if (ch === '\r') return String.raw`\r`
    if (ch === '\n') return String.raw`\n`
    if (ch === '\t') return String.raw`\t`
    const code = ch.codePointAt(0)!
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`
  })
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length)
}

function objectKey(f: Finding): string {
  return `${f.file ?? ''}\u0000${f.kind}\u0000${f.namespace}\u0000${f.name}`
}

/** The message without the leading "Kind ns/name: " (the group header says it). */
function shortMessage(f: Finding): string {
  const i = f.message.indexOf(': ')
  return f.kind && f.message.startsWith(f.kind) && i !== -1 ? f.message.slice(i + 2) : f.message
}

function safe(f: Finding): Finding {
  const v = (x: null | string) => (x === null ? null : visible(x))
  return {
    ...f,
    container: v(f.container),
    file: v(f.file),
    kind: v(f.kind),
    message: visible(f.message),
    name: v(f.name),
    namespace: v(f.namespace),
    remediation: visible(f.remediation),
  }
}

export function renderText(r: Report): string {
  const out: string[] = []
  const groups = new Map<string, Finding[]>()
  for (const raw of r.findings) {
    const f = safe(raw)
    const k = objectKey(f)
    const g = groups.get(k)
    if (g) g.push(f)
    else groups.set(k, [f])
  }

  const all = [...groups.values()].flat()
  const ruleW = Math.max(0, ...all.map((f) => f.rule.length))
  const contW = Math.min(28, Math.max(0, ...all.map((f) => (f.container ?? '-').length)))
  for (const fs of groups.values()) {
    const f0 = fs[0]
    const where = f0.file
      ? `${f0.file}${f0.line ? ':' + Math.min(...fs.map((f) => f.line ?? Infinity)) : ''}`
      : 'cluster'
    out.push(
      `${c.strong(`${f0.kind ?? 'object'} ${f0.namespace ? f0.namespace + '/' : ''}${f0.name ?? '(unnamed)'}`)}  ${c.dim(where)}`,
    )
    for (const f of fs)
      out.push(
        `  ${PAINT[f.severity](pad(f.severity, 8))}  ${pad(f.rule, ruleW)}  ${pad(f.container ?? '-', contW)}  ${f.line ? c.dim(pad('L' + f.line, 6)) : pad('', 6)}  ${shortMessage(f)}`,
      )
    out.push('')
  }

  const fired = [...new Set(r.findings.map((f) => f.rule))]
  if (fired.length > 0) {
    out.push(c.strong('How to fix'))
    for (const id of fired) {
      const rule = RULES_BY_ID.get(id)
      if (!rule) continue
      const [first, ...rest] = rule.remediation.split('\n').map((l) => visible(l))
      out.push(`  ${pad(id, ruleW)}  ${first}`)
      for (const l of rest) out.push(`  ${pad('', ruleW)}  ${c.dim(l)}`)
    }

    out.push('')
  }

  for (const e of r.errors)
    out.push(
      `${c.bad('input error')}  ${e.file === null ? 'cluster' : visible(e.file)}${e.line ? ':' + e.line : ''}  ${visible(e.message)}`,
    )
  if (r.errors.length > 0) out.push('')
  const s = r.summary
  const counts = SEVERITIES.filter((x) => s.bySeverity[x] > 0).map((x) => PAINT[x](`${s.bySeverity[x]} ${x}`))
  const src = s.source === 'cluster' ? 'the cluster' : `${s.files} file${s.files === 1 ? '' : 's'}`
  const head =
    s.findings === 0
      ? c.good(`no findings in ${s.objects} object${s.objects === 1 ? '' : 's'} from ${src}`)
      : `${s.findings} finding${s.findings === 1 ? '' : 's'} (${counts.join(', ')}) in ${s.objects} object${s.objects === 1 ? '' : 's'} from ${src}`
  const tail = [`${s.suppressed} suppressed`]
  if (s.errors > 0) tail.push(c.bad(`${s.errors} input error${s.errors === 1 ? '' : 's'}`))
  out.push(`${head}; ${tail.join('; ')}`)
  const verdict =
    s.exitCode === 2
      ? c.bad('exit 2: some input could not be read or parsed')
      : s.exitCode === 1
        ? c.bad(`exit 1: findings at or above --fail-on ${s.failOn}`)
        : c.good(`exit 0: nothing at or above --fail-on ${s.failOn}`)
  out.push(verdict)
  return out.join('\n') + '\n'
}
