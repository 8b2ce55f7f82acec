/**
 * PEM checks for imported material. Messages never quote the PEM text: a private key must not reach a terminal,
 * a log or --json output, and even a certificate is summarised by its subject instead.
 */
import {createPrivateKey, createPublicKey, type KeyObject, X509Certificate} from 'node:crypto'
import {readFile} from 'node:fs/promises'

import type {PemSource} from './model.js'

export interface CertInfo {
  /** Subject CN (or the whole subject when it has none). */
  cn: string
  isCA: boolean
  /** Issuer CN. */
  issuer: string
  notAfter: Date
  /** OU values of the subject (NodeOUs: admin, client, peer, orderer). */
  ous: string[]
  /** DNS names and IP addresses from subjectAltName. */
  sans: string[]
  x509: X509Certificate
}

function cnOf(dn: string): string {
  const lines = dn.split('\n')
  return lines.find((l) => l.startsWith('CN='))?.slice(3) ?? lines.join(',')
}

export function certInfo(pem: Buffer | string): CertInfo {
  const x509 = new X509Certificate(pem)
  const sans = (x509.subjectAltName ?? '').split(/,\s*/).flatMap((s) => /^(?:DNS|IP Address):(.+)$/.exec(s)?.[1] ?? [])
  return {
    cn: cnOf(x509.subject),
    isCA: x509.ca,
    issuer: cnOf(x509.issuer),
    notAfter: new Date(x509.validTo),
    ous: x509.subject
      .split('\n')
      .filter((l) => l.startsWith('OU='))
      .map((l) => l.slice(3)),
    sans,
    x509,
  }
}

/** The PEM text of a source (reads the file). Throws a plain Error with the file's problem. */
export async function pemText(src: PemSource): Promise<string> {
  if ('pem' in src) return src.pem
  try {
    return await readFile(src.file, 'utf8')
  } catch (error) {
    throw new Error(`cannot read ${src.file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`)
  }
}

/** Undefined when `text` holds a PEM certificate, else why not (without quoting the text). */
export function certProblem(text: string): string | undefined {
  if (!text.includes('-----BEGIN CERTIFICATE-----')) return 'not a PEM certificate (no BEGIN CERTIFICATE line)'
  try {
    // eslint-disable-next-line no-new
    new X509Certificate(text)
    return undefined
  } catch (error) {
    return `not a readable PEM certificate (${(error as Error).message})`
  }
}

/** Undefined when `text` holds a PEM private key, else why not (never quoting the key). */
export function keyProblem(text: string): string | undefined {
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) return 'not a PEM private key (no BEGIN PRIVATE KEY line)'
  try {
    createPrivateKey(text)
    return undefined
  } catch (error) {
    // OpenSSL's messages name the decoder, not the content
    return `not a readable PEM private key (${(error as Error).message.split('\n')[0]})`
  }
}

/** True when the private key belongs to the certificate's public key. */
export function keyMatchesCert(key: KeyObject | string, cert: Buffer | string): boolean {
  const k = typeof key === 'string' ? createPrivateKey(key) : key
  const der = (o: KeyObject) => o.export({format: 'der', type: 'spki'})
  return der(createPublicKey(k)).equals(der(new X509Certificate(cert).publicKey))
}
