/** Parser messages in doctor's words: one reason, no position or source excerpt of the parser's own (the report gives file:line). */

/** A `yaml` or js-yaml message without its own position and source excerpt. */
export function yamlReason(message: string): string {
  return (
    message
      .split('\n')[0]
      .replace(/\s*\(\d+:\d+\)\s*$/, '')
      .replace(/ at line \d+, column \d+:?\s*$/, '')
      .trim() || 'unreadable YAML'
  )
}
