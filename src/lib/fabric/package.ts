import {createHash} from 'node:crypto'
import {readdir, readFile} from 'node:fs/promises'
import path from 'node:path'

import {FabError} from '../errors.js'
import {LABEL_RE, type ProjectConfig} from '../project/schema.js'
import {readTlsCert, readTlsPair} from '../project/tls.js'
import {type TarEntry, tarGz, untarGz} from './tar.js'

/** connection.json as the ccaas builder reads it (fields and types from ccaas_builder/cmd/build). */
export interface ConnectionJson {
  address: string
  client_auth_required?: boolean
  client_cert?: string
  client_key?: string
  dial_timeout: string
  root_cert?: string
  tls_required: boolean
}

export interface ChaincodePackage {
  bytes: Buffer
  connection: ConnectionJson
  /** `<label>.tar.gz` */
  fileName: string
  /** Files inside code.tar.gz, in order. */
  files: string[]
  label: string
  /** `<label>:<hex sha256 of the package file>`, what InstallChaincode and calculatepackageid give. */
  packageId: string
}

export function packageIdOf(label: string, bytes: Buffer): string {
  return `${label}:${createHash('sha256').update(bytes).digest('hex')}`
}

/** A package ID as Fabric makes one from a package file: `<label>:<hex sha256 of the file>`. */
export function validatePackageId(id: string, where: string): void {
  const at = id.lastIndexOf(':')
  if (at <= 0 || !LABEL_RE.test(id.slice(0, at)) || !/^[0-9a-f]{64}$/.test(id.slice(at + 1)))
    throw new FabError('USAGE', `${where}: "${id}" is not a package ID (<label>:<64 hex digits of its sha256>)`, {
      hint: 'fabk8s lifecycle package prints the package ID of this project',
    })
}

export function validateLabel(label: string, where = 'label'): void {
  if (!LABEL_RE.test(label))
    throw new FabError('USAGE', `${where}: "${label}" is not a valid chaincode label (must match ${LABEL_RE.source})`)
}

/**
 * connection.json from fabk8s.yaml. dial_timeout is always written (an empty one breaks the peer). The TLS files are
 * checked (PEM certificates, a private key that matches the client certificate) and put in as read.
 */
export async function connectionJson(project: ProjectConfig): Promise<ConnectionJson> {
  const {address, dialTimeout, tls} = project.chaincode
  const conn: ConnectionJson = {address, dial_timeout: dialTimeout, tls_required: tls.enabled}
  if (tls.enabled) {
    conn.client_auth_required = tls.clientAuth
    conn.root_cert = await readTlsCert({field: 'rootCert', file: tls.rootCert})
    if (tls.clientAuth) {
      const client = await readTlsPair(
        {field: 'clientCert', file: tls.clientCert},
        {field: 'clientKey', file: tls.clientKey},
      )
      conn.client_key = client.key
      conn.client_cert = client.cert
    }
  }

  return conn
}

async function walkFiles(root: string, rel = ''): Promise<string[]> {
  let entries
  try {
    entries = await readdir(path.join(root, rel), {withFileTypes: true})
  } catch {
    return []
  }

  const out: string[] = []
  for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const p = rel ? `${rel}/${e.name}` : e.name
    if (e.isDirectory()) out.push(...(await walkFiles(root, p)))
    else if (e.isFile()) out.push(p)
  }

  return out
}

/**
 * Build the CCaaS package deterministically: outer tar.gz = metadata.json + code.tar.gz; code.tar.gz =
 * connection.json + META-INF/statedb/** (CouchDB indexes) if the project has them. Same project → same bytes.
 */
export async function buildPackage(project: ProjectConfig, opts: {label?: string} = {}): Promise<ChaincodePackage> {
  const label = opts.label ?? project.label
  validateLabel(label, opts.label === undefined ? `${path.basename(project.file)} label` : '--label')
  const connection = await connectionJson(project)
  const code: TarEntry[] = [{data: Buffer.from(JSON.stringify(connection, null, 2) + '\n'), name: 'connection.json'}]
  const statedb = path.join(project.dir, 'META-INF', 'statedb')
  for (const rel of await walkFiles(statedb)) {
    code.push({data: await readFile(path.join(statedb, rel)), name: `META-INF/statedb/${rel}`})
  }

  const metadata = Buffer.from(JSON.stringify({label, type: 'ccaas'}) + '\n')
  const bytes = tarGz([
    {data: metadata, name: 'metadata.json'},
    {data: tarGz(code), name: 'code.tar.gz'},
  ])
  return {
    bytes,
    connection,
    fileName: `${label}.tar.gz`,
    files: code.map((e) => e.name),
    label,
    packageId: packageIdOf(label, bytes),
  }
}

export interface ParsedPackage {
  codeFiles: string[]
  connection?: ConnectionJson
  label: string
  packageId: string
  type: string
}

/** Read a package file the way the peer does, with clear errors for what the peer would reject. */
export function parsePackage(bytes: Buffer, file = 'package'): ParsedPackage {
  const bad = (m: string) => new FabError('FABRIC', `${file}: malformed chaincode package: ${m}`)
  let outer
  try {
    outer = untarGz(bytes)
  } catch (error) {
    throw bad((error as Error).message)
  }

  for (const e of outer) if (e.type !== '0' && e.type !== '\0') throw bad(`tar entry ${e.name} is not a regular file`)
  const meta = outer.find((e) => e.name === 'metadata.json')
  const code = outer.find((e) => e.name === 'code.tar.gz')
  if (!meta) throw bad('no metadata.json')
  if (!code) throw bad('no code.tar.gz')
  let md: {label?: unknown; type?: unknown}
  try {
    md = JSON.parse(meta.data.toString('utf8'))
  } catch {
    throw bad('metadata.json is not JSON')
  }

  if (typeof md.label !== 'string' || !LABEL_RE.test(md.label)) throw bad(`invalid label ${JSON.stringify(md.label)}`)
  if (typeof md.type !== 'string') throw bad('metadata.json has no type')
  let inner
  try {
    inner = untarGz(code.data)
  } catch (error) {
    throw bad(`code.tar.gz: ${(error as Error).message}`)
  }

  const conn = inner.find((e) => e.name === 'connection.json')
  let connection: ConnectionJson | undefined
  if (conn) {
    try {
      connection = JSON.parse(conn.data.toString('utf8'))
    } catch {
      throw bad('connection.json is not JSON')
    }
  } else if (md.type === 'ccaas') throw bad('ccaas package without connection.json')

  return {
    codeFiles: inner.map((e) => e.name),
    connection,
    label: md.label,
    packageId: packageIdOf(md.label, bytes),
    type: md.type,
  }
}
