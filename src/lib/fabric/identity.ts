import {createPrivateKey, createPublicKey, sign as cryptoSign, type KeyObject, X509Certificate} from 'node:crypto'
import {readdir, readFile} from 'node:fs/promises'
import path from 'node:path'

import type {OrgConfig} from '../project/schema.js'

import {FabError} from '../errors.js'

/** An org admin's signing identity, read from its MSP folder (signcerts/*.pem + keystore/*). */
export interface SigningIdentity {
  /** The PEM certificate, as it goes into SerializedIdentity.id_bytes. */
  certPem: Buffer
  key: KeyObject
  mspId: string
  /** Where it came from, for error messages. */
  mspPath: string
  /** OU values of the certificate subject (NodeOUs: admin, client, peer, orderer). */
  ous: string[]
  /** ECDSA over SHA-256, DER, low-S (what Fabric's MSP accepts). Takes the message, not a digest. */
  sign(message: Uint8Array): Promise<Uint8Array>
  /** Subject CN, for messages. */
  subject: string
}

const MSP_HINT = 'mspPath must be the org admin MSP folder holding signcerts/ and keystore/'

/** The files of an MSP subfolder that `accept` takes, sorted by name (at least one). */
async function files(dir: string, accept: (name: string) => boolean, what: string, org: OrgConfig): Promise<string[]> {
  let names: string[]
  try {
    names = (await readdir(dir, {withFileTypes: true}))
      .filter((e) => e.isFile() && accept(e.name))
      .map((e) => e.name)
      .sort()
  } catch {
    throw new FabError(
      'PROJECT',
      `network.orgs[${org.mspId}].mspPath: no ${path.basename(dir)} folder in ${org.mspPath}`,
      {
        hint: 'mspPath must be the org admin MSP folder holding signcerts/ and keystore/ (e.g. users/Admin@org1.example.com/msp)',
      },
    )
  }

  if (names.length === 0)
    throw new FabError('PROJECT', `network.orgs[${org.mspId}].mspPath: no ${what} in ${dir}`, {
      hint: MSP_HINT,
    })
  return names.map((n) => path.join(dir, n))
}

/**
 * Load the admin identity of an org from its MSP folder and make a Fabric signer for it. A keystore may hold more
 * than one key (an identity enrolled again keeps the old key beside the new one): the key is the one that belongs to
 * the certificate, as the peer CLI finds it (by its public key), not the first file by name.
 */
export async function loadIdentity(org: OrgConfig): Promise<SigningIdentity> {
  const [certFile] = await files(
    path.join(org.mspPath, 'signcerts'),
    (n) => n.endsWith('.pem') || n.endsWith('.crt'),
    'certificate (*.pem)',
    org,
  )
  const keystore = path.join(org.mspPath, 'keystore')
  const keyFiles = await files(keystore, (n) => !n.startsWith('.'), 'private key', org)
  const certPem = await readFile(certFile)
  let cert: X509Certificate
  try {
    cert = new X509Certificate(certPem)
  } catch (error) {
    throw new FabError(
      'PROJECT',
      `network.orgs[${org.mspId}].mspPath: ${certFile}: not a PEM certificate (${(error as Error).message})`,
      {hint: MSP_HINT},
    )
  }

  const spki = (k: KeyObject) => k.export({format: 'der', type: 'spki'})
  const certKey = spki(cert.publicKey)
  let unreadable: Error | undefined
  let found: undefined | {file: string; key: KeyObject}
  for (const file of keyFiles) {
    let k: KeyObject
    try {
      k = createPrivateKey(await readFile(file))
    } catch (error) {
      unreadable ??= error as Error
      continue
    }

    if (spki(createPublicKey(k)).equals(certKey)) {
      found = {file, key: k}
      break
    }
  }

  if (!found) {
    // one key file that is no key: that is what to fix
    if (keyFiles.length === 1 && unreadable)
      throw new FabError(
        'PROJECT',
        `network.orgs[${org.mspId}].mspPath: ${keyFiles[0]}: not a PEM private key (${unreadable.message})`,
        {hint: MSP_HINT},
      )
    const subject = cert.subject.split('\n').find((l) => l.startsWith('CN=')) ?? cert.subject
    throw new FabError(
      'PROJECT',
      `network.orgs[${org.mspId}].mspPath: ${keyFiles.length === 1 ? 'the private key' : 'no private key'} in ${keystore} ${keyFiles.length === 1 ? 'does not belong' : 'belongs'} to the certificate ${subject} in signcerts/`,
      {detail: {kind: 'key-mismatch'}, hint: 'keystore/ and signcerts/ must come from the same enrollment'},
    )
  }

  const {file: keyFile, key} = found
  const sign = ecdsaSigner(key, keyFile)
  const subjectLines = cert.subject.split('\n')
  return {
    certPem,
    key,
    mspId: org.mspId,
    mspPath: org.mspPath,
    ous: subjectLines.filter((l) => l.startsWith('OU=')).map((l) => l.slice(3)),
    sign: async (message) => sign(message),
    subject: subjectLines.find((l) => l.startsWith('CN='))?.slice(3) ?? cert.subject,
  }
}

/** Orders of the curves Fabric's MSP accepts (P-256, P-384): a signature's s must be at most half of it. */
const CURVE_ORDER: Record<string, bigint> = {
  prime256v1: BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551'),
  secp384r1: BigInt(
    '0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973',
  ),
}

/**
 * Fabric verifies ECDSA signatures over the SHA-256 of the message and rejects a high S (s > n/2: the malleable twin
 * of a valid signature). node:crypto signs with either S, so S is folded into the lower half and DER encoded here.
 */
export function ecdsaSigner(key: KeyObject, file = 'key'): (message: Uint8Array) => Uint8Array {
  const curve = key.asymmetricKeyType === 'ec' ? key.asymmetricKeyDetails?.namedCurve : undefined
  const n = curve ? CURVE_ORDER[curve] : undefined
  if (!n)
    throw new FabError(
      'PROJECT',
      `${file}: unsupported private key (${key.asymmetricKeyType}${curve ? ` ${curve}` : ''}); Fabric identities use ECDSA P-256 or P-384`,
    )
  const size = curve === 'secp384r1' ? 48 : 32
  return (message) => {
    const raw = cryptoSign('sha256', message, {dsaEncoding: 'ieee-p1363', key})
    const r = BigInt('0x' + raw.subarray(0, size).toString('hex'))
    let s = BigInt('0x' + raw.subarray(size).toString('hex'))
    if (s > n / 2n) s = n - s
    return derSignature(r, s)
  }
}

/** ASN.1 DER SEQUENCE { INTEGER r, INTEGER s }. */
function derSignature(r: bigint, s: bigint): Uint8Array {
  const int = (v: bigint): Buffer => {
    let hex = v.toString(16)
    if (hex.length % 2) hex = '0' + hex
    let b = Buffer.from(hex, 'hex')
    if (b[0] & 0x80) b = Buffer.concat([Buffer.from([0]), b])
    return Buffer.concat([Buffer.from([0x02, b.length]), b])
  }

  const body = Buffer.concat([int(r), int(s)])
  // P-384 signatures stay below 128 bytes of content, so the length fits in one byte
  return new Uint8Array(Buffer.concat([Buffer.from([0x30, body.length]), body]))
}
