import {c} from '../../ui/colors.js'
import {RULES} from '../rules/index.js'

export function rulesJson(): string {
  return (
    JSON.stringify(
      RULES.map((r) => ({
        description: r.description,
        id: r.id,
        remediation: r.remediation,
        severity: r.severity,
        title: r.title,
      })),
      ['id', 'severity', 'title', 'description', 'remediation'],
      2,
    ) + '\n'
  )
}

export function rulesText(): string {
  const w = Math.max(...RULES.map((r) => r.id.length))
  return (
    RULES.map(
      (r) => `${r.id.padEnd(w)}  ${r.severity.padEnd(8)}  ${r.title}\n${' '.repeat(w + 12)}${c.dim(r.description)}`,
    ).join('\n') + '\n'
  )
}
