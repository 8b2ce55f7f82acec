/**
 * The chaincode TLS files fabk8s.yaml names (chaincode.tls.*), read and checked before anything is built from them:
 * rootCert, clientCert and clientKey go into connection.json (and so into the package ID), cert, key and rootCert
 * into the chaincode's Secret. A file that is not what its field says would otherwise be packaged, installed,
 * approved and committed, and only fail when the peer dials the chaincode. The checks parse a few PEMs (about a
 * millisecond); the text is returned exactly as read, so the bytes put into connection.json do not change.
 */
import {createPrivateKey, type KeyObject, X509Certificate} from 'node:crypto'
import {readFile} from 'node:fs/promises'

import {FabError} from '../errors.js'

/** The fields of fabk8s.yaml's chaincode.tls that name a file. */
export type TlsFileField = 'cert' | 'clientCert' | 'clientKey' | 'key' | 'rootCert'

/** A file fabk8s.yaml names, and the field that names it. */
export interface TlsFileRef {
  field: TlsFileField
  file: string
}

const GENERATE = '`fabk8s init --tls` in an empty folder generates a working set'

function tlsError(ref: TlsFileRef, what: string, hint: string): FabError {
  return new FabError('PROJECT', `chaincode.tls.${ref.field}: ${ref.file} ${what}`, {
    detail: {field: `chaincode.tls.${ref.field}`, file: ref.file},
    hint,
  })
}

/** Read one of the chaincode TLS files, with an error naming the field; the text is not checked. */
async function readTlsPem(ref: TlsFileRef): Promise<string> {
  try {
    return await readFile(ref.file, 'utf8')
  } catch {
    throw new FabError('PROJECT', `chaincode.tls.${ref.field}: cannot read ${ref.file}`, {
      detail: {field: `chaincode.tls.${ref.field}`, file: ref.file},
      hint: 'run `fabk8s init --tls` in an empty folder to see the expected files, or set the paths in fabk8s.yaml',
    })
  }
}

const CERT_BLOCK_RE = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g
/** PKCS#8 encrypted, or a legacy PEM with an encryption header. */
const ENCRYPTED_KEY_RE = /-----BEGIN ENCRYPTED PRIVATE KEY-----|^Proc-Type:\s*4,ENCRYPTED/m

/**
 * The certificates of a PEM text (one, or a bundle); throws the project error naming the field when there is none
 * or one of them does not parse. Returns the first (the leaf, in a server's or client's chain).
 */
export function checkTlsCert(pem: string, ref: TlsFileRef): X509Certificate {
  const blocks = pem.match(CERT_BLOCK_RE) ?? []
  const hint = `it must hold a PEM X.509 certificate (-----BEGIN CERTIFICATE-----); ${GENERATE}`
  if (blocks.length === 0) throw tlsError(ref, 'is not a PEM certificate', hint)
  const certs = blocks.map((b, i) => {
    try {
      return new X509Certificate(b)
    } catch {
      const which = blocks.length === 1 ? '' : ` (certificate ${i + 1} of ${blocks.length} does not parse)`
      throw tlsError(ref, `is not a PEM certificate${which}`, hint)
    }
  })
  return certs[0]
}

/** The private key of a PEM text; throws the project error naming the field when it is not one. */
export function checkTlsKey(pem: string, ref: TlsFileRef): KeyObject {
  // checked first: OpenSSL is never asked for a passphrase
  if (ENCRYPTED_KEY_RE.test(pem))
    throw tlsError(
      ref,
      'is an encrypted private key',
      'the chaincode server and the peer read the key without a passphrase: decrypt it (`openssl pkey -in FILE -out FILE.plain`)',
    )
  try {
    return createPrivateKey({format: 'pem', key: pem})
  } catch {
    throw tlsError(
      ref,
      'is not a PEM private key',
      `it must hold an unencrypted PEM private key (-----BEGIN PRIVATE KEY-----); ${GENERATE}`,
    )
  }
}

/** Read a certificate file (rootCert: the CA bundle the peer trusts), checked; the text as read. */
export async function readTlsCert(ref: TlsFileRef): Promise<string> {
  const pem = await readTlsPem(ref)
  checkTlsCert(pem, ref)
  return pem
}

/**
 * Read a certificate and its private key (the server's cert/key, the peer's client clientCert/clientKey), each
 * checked, and the certificate's public key checked against the key; the texts as read.
 */
export async function readTlsPair(cert: TlsFileRef, key: TlsFileRef): Promise<{cert: string; key: string}> {
  const certPem = await readTlsPem(cert)
  const x509 = checkTlsCert(certPem, cert)
  const keyPem = await readTlsPem(key)
  const keyObject = checkTlsKey(keyPem, key)
  if (!x509.checkPrivateKey(keyObject))
    throw tlsError(
      cert,
      `does not match chaincode.tls.${key.field} (${key.file})`,
      `the certificate was issued for another key: point chaincode.tls.${cert.field} and chaincode.tls.${key.field} at one pair; ${GENERATE}`,
    )
  return {cert: certPem, key: keyPem}
}
