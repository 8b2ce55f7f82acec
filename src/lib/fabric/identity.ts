import {createPrivateKey, type KeyObject, X509Certificate} from 'node:crypto'
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
  /** ECDSA P-256 over SHA-256, low-S (what Fabric requires). Takes the message, not a digest. */
  sign(message: Uint8Array): Promise<Uint8Array>
  /** The same signer, given a SHA-256 digest (what the Gateway hands over). */
  signDigest(digest: Uint8Array): Promise<Uint8Array>
  /** Subject CN, for messages. */
  subject: string
}

async function firstFile(
  dir: string,
  accept: (name: string) => boolean,
  what: string,
  org: OrgConfig,
): Promise<string> {
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
      hint: 'mspPath must be the org admin MSP folder holding signcerts/ and keystore/',
    })
  return path.join(dir, names[0])
}

/** Load the admin identity of an org from its MSP folder and make a Fabric signer for it. */
export async function loadIdentity(org: OrgConfig): Promise<SigningIdentity> {
  const certFile = await firstFile(
    path.join(org.mspPath, 'signcerts'),
    (n) => n.endsWith('.pem') || n.endsWith('.crt'),
    'certificate (*.pem)',
    org,
  )
  const keyFile = await firstFile(path.join(org.mspPath, 'keystore'), (n) => !n.startsWith('.'), 'private key', org)
  const certPem = await readFile(certFile)
  let cert: X509Certificate
  let key: KeyObject
  try {
    cert = new X509Certificate(certPem)
  } catch (error) {
    throw new FabError('PROJECT', `${certFile}: not a PEM certificate (${(error as Error).message})`)
  }

  try {
    key = createPrivateKey(await readFile(keyFile))
  } catch (error) {
    throw new FabError('PROJECT', `${keyFile}: not a PEM private key (${(error as Error).message})`)
  }

  const {signers} = await import('@hyperledger/fabric-gateway')
  const {createHash} = await import('node:crypto')
  let signDigest: (digest: Uint8Array) => Promise<Uint8Array>
  try {
    signDigest = signers.newPrivateKeySigner(key)
  } catch (error) {
    throw new FabError('PROJECT', `${keyFile}: unsupported private key (${(error as Error).message})`)
  }

  const subjectLines = cert.subject.split('\n')
  return {
    certPem,
    key,
    mspId: org.mspId,
    mspPath: org.mspPath,
    ous: subjectLines.filter((l) => l.startsWith('OU=')).map((l) => l.slice(3)),
    sign: (message) => signDigest(createHash('sha256').update(message).digest()),
    signDigest,
    subject: subjectLines.find((l) => l.startsWith('CN='))?.slice(3) ?? cert.subject,
  }
}
