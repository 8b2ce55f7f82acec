// zlib.crc32: Node >= 20.15 (backported), within our engines (>= 20.19)
// eslint-disable-next-line n/no-unsupported-features/node-builtins
import {crc32, gunzipSync} from 'node:zlib'

/**
 * Byte-for-byte reproducible tar.gz, independent of the zlib build: ustar headers with fixed mode, uid/gid 0,
 * empty user/group names and mtime 0, in the order given; gzip with mtime 0, OS byte 255 ("unknown") and
 * stored* deflate blocks. A chaincode package is a few KiB, so compression buys nothing, while any zlib
 * (Node's bundled one, zlib-ng, a future version) would otherwise be free to emit different bytes and so a
 * different package ID.
 */
export interface TarEntry {
  data: Buffer
  name: string
}

const BLOCK = 512

function octal(n: number, width: number): string {
  return n.toString(8).padStart(width - 1, '0') + '\0'
}

function header(name: string, size: number): Buffer {
  const h = Buffer.alloc(BLOCK, 0)
  let prefix = ''
  let base = name
  if (Buffer.byteLength(name) > 100) {
    const cut = name.lastIndexOf('/', 155)
    if (cut <= 0 || Buffer.byteLength(name.slice(cut + 1)) > 100) throw new Error(`tar: path too long: ${name}`)
    prefix = name.slice(0, cut)
    base = name.slice(cut + 1)
  }

  h.write(base, 0, 100, 'utf8')
  h.write(octal(0o644, 8), 100, 'ascii') // mode
  h.write(octal(0, 8), 108, 'ascii') // uid
  h.write(octal(0, 8), 116, 'ascii') // gid
  h.write(octal(size, 12), 124, 'ascii')
  h.write(octal(0, 12), 136, 'ascii') // mtime
  h.write('        ', 148, 'ascii') // checksum placeholder
  h.write('0', 156, 'ascii') // regular file
  h.write('ustar\0', 257, 'ascii')
  h.write('00', 263, 'ascii')
  // uname/gname stay empty; devmajor/devminor zero
  h.write(octal(0, 8), 329, 'ascii')
  h.write(octal(0, 8), 337, 'ascii')
  h.write(prefix, 345, 155, 'utf8')
  let sum = 0
  for (const b of h) sum += b
  h.write(octal(sum, 7) + ' ', 148, 'ascii')
  return h
}

export function tar(entries: TarEntry[]): Buffer {
  const parts: Buffer[] = []
  for (const e of entries) {
    parts.push(header(e.name, e.data.length), e.data)
    const pad = (BLOCK - (e.data.length % BLOCK)) % BLOCK
    if (pad) parts.push(Buffer.alloc(pad, 0))
  }

  parts.push(Buffer.alloc(BLOCK * 2, 0))
  return Buffer.concat(parts)
}

/** gzip with stored (uncompressed) deflate blocks: the output depends only on the input. */
export function gzipStored(data: Buffer): Buffer {
  const parts: Buffer[] = [Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff])]
  const MAX = 0xff_ff
  let off = 0
  do {
    const len = Math.min(MAX, data.length - off)
    const last = off + len >= data.length ? 1 : 0
    const h = Buffer.alloc(5)
    h[0] = last
    h.writeUInt16LE(len, 1)
    h.writeUInt16LE(~len & 0xff_ff, 3)
    parts.push(h, data.subarray(off, off + len))
    off += len
  } while (off < data.length)

  const trailer = Buffer.alloc(8)
  trailer.writeUInt32LE(crc32(data) >>> 0, 0)
  trailer.writeUInt32LE(data.length % 2 ** 32, 4)
  parts.push(trailer)
  return Buffer.concat(parts)
}

export function tarGz(entries: TarEntry[]): Buffer {
  return gzipStored(tar(entries))
}

export interface ReadEntry extends TarEntry {
  type: string
}

/** Read a tar.gz (any gzip, ustar/gnu headers); rejects what is not a tar. */
export function untarGz(buf: Buffer): ReadEntry[] {
  let raw: Buffer
  try {
    raw = gunzipSync(buf)
  } catch (error) {
    throw new Error(`not a gzip file (${(error as Error).message})`)
  }

  const out: ReadEntry[] = []
  let off = 0
  while (off + BLOCK <= raw.length) {
    const h = raw.subarray(off, off + BLOCK)
    if (h.every((b) => b === 0)) break
    const str = (a: number, n: number) => h.toString('utf8', a, a + n).replace(/\0.*$/s, '')
    const size = Number.parseInt(str(124, 12).trim() || '0', 8)
    if (Number.isNaN(size)) throw new Error(`bad tar header at offset ${off}`)
    let sum = 0
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : h[i]
    if (sum !== Number.parseInt(str(148, 8).trim(), 8)) throw new Error(`bad tar header checksum at offset ${off}`)
    const prefix = h.toString('ascii', 257, 262) === 'ustar' ? str(345, 155) : ''
    const name = prefix ? `${prefix}/${str(0, 100)}` : str(0, 100)
    const type = String.fromCodePoint(h[156] || 48)
    const data = Buffer.from(raw.subarray(off + BLOCK, off + BLOCK + size))
    out.push({data, name, type})
    off += BLOCK + Math.ceil(size / BLOCK) * BLOCK
  }

  return out
}
