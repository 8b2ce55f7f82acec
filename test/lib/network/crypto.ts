/**
 * Throwaway crypto material for the import tests, generated on each run (never committed): CAs, TLS server
 * certificates with SANs, NodeOU identities (OU=admin/client), and the folder layouts that cryptogen / test-network
 * and test-network-k8s write. ECDSA P-256, like Fabric's.
 */
import {webcrypto} from 'node:crypto'
import {mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

type Keys = webcrypto.CryptoKeyPair

export const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/network')

export interface Pair {
  cert: string
  key: string
}

export interface CA extends Pair {
  keys: Keys
  name: string
}

const ALG = {name: 'ECDSA', namedCurve: 'P-256'} as const
const SIGN = {hash: 'SHA-256', name: 'ECDSA'} as const

async function x509() {
  const m = await import('@peculiar/x509')
  m.cryptoProvider.set(webcrypto as unknown as Parameters<typeof m.cryptoProvider.set>[0])
  return m
}

async function pemKey(key: webcrypto.CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key))
  const b64 = der
    .toString('base64')
    .replaceAll(/(.{64})/g, '$1\n')
    .trimEnd()
  return `-----BEGIN PRIVATE KEY-----\n${b64}\n-----END PRIVATE KEY-----\n`
}

const serial = () =>
  Buffer.from(webcrypto.getRandomValues(new Uint8Array(12)))
    .toString('hex')
    .replace(/^[89a-f]/, '1')

const validity = () => ({notAfter: new Date(Date.now() + 365 * 86_400_000), notBefore: new Date(Date.now() - 60_000)})

export async function newCA(cn: string): Promise<CA> {
  const x = await x509()
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as Keys
  const cert = await x.X509CertificateGenerator.createSelfSigned({
    extensions: [
      new x.BasicConstraintsExtension(true, undefined, true),
      new x.KeyUsagesExtension(x.KeyUsageFlags.keyCertSign | x.KeyUsageFlags.cRLSign, true),
      await x.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
    keys,
    name: `CN=${cn},O=fabk8s-test`,
    ...validity(),
    serialNumber: serial(),
    signingAlgorithm: SIGN,
  })
  return {cert: cert.toString('pem') + '\n', key: await pemKey(keys.privateKey), keys, name: `CN=${cn},O=fabk8s-test`}
}

/** A certificate signed by `ca`: with `sans` a TLS server certificate, with `ous` a NodeOU identity. */
export async function issue(
  ca: CA,
  opts: {cn: string; expired?: boolean; ous?: string[]; sans?: string[]},
): Promise<Pair> {
  const x = await x509()
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as Keys
  const extensions: InstanceType<typeof x.Extension>[] = [
    new x.BasicConstraintsExtension(false, undefined, true),
    new x.KeyUsagesExtension(x.KeyUsageFlags.digitalSignature | x.KeyUsageFlags.keyEncipherment, true),
  ]
  if (opts.sans) {
    extensions.push(
      new x.ExtendedKeyUsageExtension([x.ExtendedKeyUsage.serverAuth, x.ExtendedKeyUsage.clientAuth]),
      new x.SubjectAlternativeNameExtension(
        opts.sans.map((h) => (/^[\d.]+$/.test(h) ? {type: 'ip', value: h} : {type: 'dns', value: h})),
      ),
    )
  }

  const ou = (opts.ous ?? []).map((o) => `,OU=${o}`).join('')
  const cert = await x.X509CertificateGenerator.create({
    extensions,
    issuer: ca.name,
    publicKey: keys.publicKey,
    serialNumber: serial(),
    signingAlgorithm: SIGN,
    signingKey: ca.keys.privateKey,
    subject: `CN=${opts.cn}${ou},O=fabk8s-test`,
    ...(opts.expired
      ? {notAfter: new Date(Date.now() - 86_400_000), notBefore: new Date(Date.now() - 2 * 86_400_000)}
      : validity()),
  })
  return {cert: cert.toString('pem') + '\n', key: await pemKey(keys.privateKey)}
}

function put(file: string, content: string, mode = 0o644): void {
  mkdirSync(path.dirname(file), {recursive: true})
  writeFileSync(file, content, {mode})
}

/** An MSP folder (signcerts/ + keystore/) the way cryptogen or fabric-ca-client writes one. */
export function writeMsp(dir: string, id: Pair, names?: {cert: string; key: string}): string {
  put(path.join(dir, 'signcerts', names?.cert ?? 'cert.pem'), id.cert)
  put(path.join(dir, 'keystore', names?.key ?? 'priv_sk'), id.key, 0o600)
  return dir
}

export interface OrgsLayout {
  cas: Record<string, CA>
  root: string
}

/**
 * organizations/ as cryptogen writes it for test-network: peerOrganizations/org1.example.com (peer0, Admin, User1),
 * org2.example.com, ordererOrganizations/example.com (orderer). `sans` of each peer and the orderer default to
 * [name, localhost]; pass `peerSans` to change them per peer name.
 */
export async function writeOrganizations(
  root: string,
  opts: {orgs?: string[]; peerSans?: Record<string, string[]>; peersPerOrg?: number} = {},
): Promise<OrgsLayout> {
  const cas: Record<string, CA> = {}
  for (const n of opts.orgs ?? ['org1', 'org2']) {
    const domain = `${n}.example.com`
    const dir = path.join(root, 'peerOrganizations', domain)
    const tlsca = await newCA(`tlsca.${domain}`)
    const ca = await newCA(`ca.${domain}`)
    cas[domain] = tlsca
    put(path.join(dir, 'tlsca', `tlsca.${domain}-cert.pem`), tlsca.cert)
    put(path.join(dir, 'ca', `ca.${domain}-cert.pem`), ca.cert)
    for (let i = 0; i < (opts.peersPerOrg ?? 1); i++) {
      const peer = `peer${i}.${domain}`
      const tls = await issue(tlsca, {cn: peer, sans: opts.peerSans?.[peer] ?? [peer, 'localhost']})
      put(path.join(dir, 'peers', peer, 'tls', 'ca.crt'), tlsca.cert)
      put(path.join(dir, 'peers', peer, 'tls', 'server.crt'), tls.cert)
      put(path.join(dir, 'peers', peer, 'tls', 'server.key'), tls.key, 0o600)
    }

    writeMsp(
      path.join(dir, 'users', `Admin@${domain}`, 'msp'),
      await issue(ca, {cn: `Admin@${domain}`, ous: ['admin']}),
      {
        cert: `Admin@${domain}-cert.pem`,
        key: 'priv_sk',
      },
    )
    writeMsp(
      path.join(dir, 'users', `User1@${domain}`, 'msp'),
      await issue(ca, {cn: `User1@${domain}`, ous: ['client']}),
      {
        cert: `User1@${domain}-cert.pem`,
        key: 'priv_sk',
      },
    )
  }

  const odir = path.join(root, 'ordererOrganizations', 'example.com')
  const otlsca = await newCA('tlsca.example.com')
  cas['example.com'] = otlsca
  put(path.join(odir, 'tlsca', 'tlsca.example.com-cert.pem'), otlsca.cert)
  const otls = await issue(otlsca, {cn: 'orderer.example.com', sans: ['orderer.example.com', 'localhost']})
  put(path.join(odir, 'orderers', 'orderer.example.com', 'tls', 'ca.crt'), otlsca.cert)
  put(path.join(odir, 'orderers', 'orderer.example.com', 'tls', 'server.crt'), otls.cert)
  put(path.join(odir, 'orderers', 'orderer.example.com', 'tls', 'server.key'), otls.key, 0o600)
  return {cas, root}
}

/** test-network-k8s' build/ after `./network channel create`: enrollments/ and channel-msp/. */
export async function writeK8sBuild(root: string): Promise<{cas: Record<string, CA>}> {
  const cas: Record<string, CA> = {}
  for (const org of ['org0', 'org1', 'org2']) {
    const type = org === 'org0' ? 'ordererOrganizations' : 'peerOrganizations'
    const tlsca = await newCA(org + '.example.com')
    const ca = await newCA(`${org}-ca`)
    cas[org] = tlsca
    const msp = path.join(root, 'channel-msp', type, org, 'msp')
    put(path.join(msp, 'tlscacerts', 'tlsca-signcert.pem'), tlsca.cert)
    put(path.join(msp, 'cacerts', 'ca-signcert.pem'), ca.cert)
    writeMsp(
      path.join(root, 'enrollments', org, 'users', `${org}admin`, 'msp'),
      await issue(ca, {cn: `${org}admin`, ous: ['admin']}),
      {
        cert: 'cert.pem',
        key: 'key.pem',
      },
    )
    writeMsp(
      path.join(root, 'enrollments', org, 'users', 'rcaadmin', 'msp'),
      await issue(ca, {cn: 'rcaadmin', ous: ['client']}),
      {
        cert: 'cert.pem',
        key: 'key.pem',
      },
    )
    put(path.join(root, 'cas', `${org}-ca`, 'tlsca-cert.pem'), tlsca.cert)
    if (org === 'org0')
      for (const o of ['orderer1', 'orderer2', 'orderer3']) {
        const tls = await issue(tlsca, {
          cn: `${org}-${o}`,
          sans: [`${org}-${o}`, `${org}-${o}.localho.st`, 'localhost'],
        })
        put(
          path.join(root, 'channel-msp', type, org, 'orderers', `${org}-${o}`, 'tls', 'signcerts', 'tls-cert.pem'),
          tls.cert,
        )
      }
  }

  return {cas}
}

/**
 * Fill a fixture template: `${NAME}` alone on a line becomes the value's lines at that indentation (a YAML block
 * scalar body); `${NAME}` inside a line becomes the value as a JSON string (valid in JSON and YAML).
 */
export function fill(template: string, vars: Record<string, string>): string {
  return template
    .replaceAll(/^([ \t]*)\$\{(\w+)\}[ \t]*$/gm, (m, indent: string, name: string) => {
      if (!(name in vars)) throw new Error(`fill: no value for ${name}`)
      return vars[name]
        .trimEnd()
        .split('\n')
        .map((l) => indent + l)
        .join('\n')
    })
    .replaceAll(/\$\{(\w+)\}/g, (m, name: string) => {
      if (!(name in vars)) throw new Error(`fill: no value for ${name}`)
      return JSON.stringify(vars[name]).slice(1, -1)
    })
}

/**
 * test-network's connection-org1.json (the fixture) for an organizations/ folder that writeOrganizations made: its
 * peer at localhost:`port`, with org1's TLS CA as the CA and peer certificates.
 */
export function org1Profile(orgs: string, port = '7051'): string {
  const tls = readFileSync(
    path.join(orgs, 'peerOrganizations/org1.example.com/tlsca/tlsca.org1.example.com-cert.pem'),
    'utf8',
  )
  return fill(readFileSync(path.join(FIXTURES, 'test-network/connection-org1.json'), 'utf8'), {
    CAPEM: tls,
    P0PORT: port,
    PEERPEM: tls,
  })
}
