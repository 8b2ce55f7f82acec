/** Text from other programs (docker's build log, servers) made safe and short for our messages. */

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
