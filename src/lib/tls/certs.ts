import {webcrypto} from 'node:crypto'

type CryptoKey = webcrypto.CryptoKey
type CryptoKeyPair = webcrypto.CryptoKeyPair

/** PEM files for a chaincode server: a CA, the server pair (SANs = the hosts the peer dials) and a client pair for mTLS. */
export interface ChaincodeTlsFiles {
  'ca.crt': string
  'ca.key': string
  'client.crt': string
  'client.key': string
  'server.crt': string
  'server.key': string
}

const ALG = {name: 'ECDSA', namedCurve: 'P-256'} as const
const SIGN = {hash: 'SHA-256', name: 'ECDSA'} as const

async function pemKey(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key))
  return `-----BEGIN PRIVATE KEY-----\n${der
    .toString('base64')
    .replaceAll(/(.{64})/g, '$1\n')
    .trimEnd()}\n-----END PRIVATE KEY-----\n`
}

/**
 * Generate a self-signed CA and the server/client certificates signed by it, valid for `years`.
 * `hosts` go into the server certificate's SAN (DNS names or IP addresses).
 */
export async function generateChaincodeTls(
  hosts: string[],
  opts: {cn?: string; years?: number} = {},
): Promise<ChaincodeTlsFiles> {
  const x509 = await import('@peculiar/x509')
  x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0])
  const notBefore = new Date(Date.now() - 60_000)
  const notAfter = new Date(notBefore.getTime() + (opts.years ?? 10) * 365 * 24 * 3600 * 1000)
  const serial = () =>
    Buffer.from(webcrypto.getRandomValues(new Uint8Array(16)))
      .toString('hex')
      .replace(/^[89a-f]/, '1')
  const cn = opts.cn ?? 'chaincode'

  const caKeys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
    keys: caKeys,
    name: `CN=${cn}-ca,O=fabk8s`,
    notAfter,
    notBefore,
    serialNumber: serial(),
    signingAlgorithm: SIGN,
  })

  const leaf = async (name: string, usage: string, sans?: string[]) => {
    const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair
    const extensions: InstanceType<typeof x509.Extension>[] = [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([usage]),
      await x509.AuthorityKeyIdentifierExtension.create(ca, false),
    ]
    if (sans)
      extensions.push(
        new x509.SubjectAlternativeNameExtension(
          sans.map((h) => (/^[\d.]+$|:/.test(h) ? {type: 'ip', value: h} : {type: 'dns', value: h})),
        ),
      )
    const cert = await x509.X509CertificateGenerator.create({
      extensions,
      issuer: ca.subject,
      notAfter,
      notBefore,
      publicKey: keys.publicKey,
      serialNumber: serial(),
      signingAlgorithm: SIGN,
      signingKey: caKeys.privateKey,
      subject: `CN=${name},O=fabk8s`,
    })
    return {cert: cert.toString('pem') + '\n', key: await pemKey(keys.privateKey)}
  }

  const server = await leaf(hosts[0] ?? cn, x509.ExtendedKeyUsage.serverAuth, hosts)
  const client = await leaf(`${cn}-peer-client`, x509.ExtendedKeyUsage.clientAuth)
  return {
    'ca.crt': ca.toString('pem') + '\n',
    'ca.key': await pemKey(caKeys.privateKey),
    'client.crt': client.cert,
    'client.key': client.key,
    'server.crt': server.cert,
    'server.key': server.key,
  }
}
