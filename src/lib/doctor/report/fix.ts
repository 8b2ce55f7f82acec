/** The text result of `doctor --fix`: the diffs (with --diff), each fix, what was not fixed and why, a summary. */
import type {FixResult} from '../fix/run.js'

import {atOrAbove} from '../types.js'
import {visible} from './text.js'

/** `where` overrides what the summary says about the outputs (--cluster prints objects and writes nothing). */
export function renderFix(r: FixResult, where?: string): string {
  const out: string[] = []
  if (r.summary.mode === 'diff')
    for (const f of r.files)
      out.push(
        f.diff
          .replace(/\n$/, '')
          .split('\n')
          // a CRLF file's diff keeps its line ends (harmless before the newline) so that it still applies
          .map((l) => (l.endsWith('\r') ? visible(l.slice(0, -1)) + '\r' : visible(l)))
          .join('\n'),
      )
  for (const f of r.fixes) out.push(`fixed ${visible(`${f.file}:${f.line}`)} [${f.rule}] ${visible(f.change)}`)
  for (const n of r.notFixed)
    out.push(
      `not fixed ${visible(`${n.file ?? '<cluster>'}:${n.line ?? '?'}`)} [${n.rule}] ${visible(n.message)} — ${visible(n.reason)}`,
    )
  // the other findings that keep the exit code at 1: named, so the user need not run doctor again to see them
  for (const o of r.others.filter((f) => atOrAbove(f.severity, r.summary.failOn)))
    out.push(
      `other ${visible(`${o.file ?? '<cluster>'}:${o.line ?? '?'}`)} [${o.rule}] ${visible(o.message)} — not --fix's to change: ${visible(o.remediation)}`,
    )
  for (const e of r.errors)
    out.push(`error ${visible(`${e.file ?? ''}${e.line ? ':' + e.line : ''}`)} ${visible(e.message)} (not changed)`)
  const s = r.summary
  where ??=
    s.mode === 'diff'
      ? 'nothing written (--diff)'
      : r.files.map((f) => visible(f.output ?? '')).join(', ') || 'nothing to write'
  out.push(
    `doctor --fix: ${s.fixes} fix(es) in ${s.filesChanged} file(s), ${s.notFixed} finding(s) not fixed, ${r.otherFindings} other finding(s), ${s.errors} input error(s); ${where}; exit ${s.exitCode}`,
  )
  return out.join('\n') + '\n'
}
