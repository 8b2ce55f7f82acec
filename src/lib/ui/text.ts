/**
 * Text from files, flags and servers is data: before it reaches a terminal, control characters are escaped so a
 * value cannot move the cursor, recolour or retitle the terminal, or hide text (C0, DEL, C1, the Unicode line
 * separators and the bidirectional overrides).
 */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001F\u007F-\u009F\u2028\u2029\u202A-\u202E\u2066-\u2069]/g

const escapeChar = (ch: string): string =>
  ch === '\n'
    ? String.raw`\n`
    : ch === '\t'
      ? String.raw`\t`
      : ch === '\r'
        ? String.raw`\r`
        : `\\u${ch.codePointAt(0)!.toString(16).padStart(4, '0')}`

/** True when `s` holds a control character other than tab and newline. */
export function hasControl(s: string): boolean {
  return [...s.matchAll(CONTROL)].some(([ch]) => ch !== '\n' && ch !== '\t')
}

/** Escape control characters; characters in `keep` (e.g. '\n' for multi-line messages) pass through. */
export function escapeControl(s: string, keep = ''): string {
  return s.replaceAll(CONTROL, (ch) => (keep.includes(ch) ? ch : escapeChar(ch)))
}

/** A value for a message: strings in double quotes with control characters escaped, anything else as JSON. */
export function show(v: unknown): string {
  if (typeof v === 'string') return `"${escapeControl(v.replaceAll('\\', '\\\\').replaceAll('"', String.raw`\"`))}"`
  if (v === undefined) return 'nothing'
  try {
    return escapeControl(JSON.stringify(v) ?? String(v))
  } catch {
    return escapeControl(String(v))
  }
}

/** At most `max` characters, with an ellipsis when cut. */
export function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`
}

// CSI (ESC [ … final byte), OSC (ESC ] … BEL or ESC \), other two-character escapes, and C1 CSI (0x9b)
const ESCAPES =
  // eslint-disable-next-line no-control-regex -- matching terminal escapes is the point
  /\u001B\[[0-?]*[ -/]*[@-~]|\u001B\][^\u0007\u001B]*(?:\u0007|\u001B\\)?|\u001B[@-Z\\-_]|\u009B[0-?]*[ -/]*[@-~]/g
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROLS = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/g

/** Colour codes and other terminal escapes out, then any control character left (tabs and newlines stay). */
export function stripAnsi(s: string): string {
  return s.replaceAll(ESCAPES, '').replaceAll(CONTROLS, '')
}
