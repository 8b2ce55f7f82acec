import path from 'node:path'

import type {PlannedFile} from './write.js'

import {FabError} from '../errors.js'
import {
  CHAINCODE_NAME_RE,
  DNS1123_RE,
  LABEL_RE,
  type Language,
  LANGUAGES,
  NODE_PORT_RANGE,
  TAG_RE,
} from '../project/schema.js'
import {generateChaincodeTls} from '../tls/certs.js'
import {show} from '../ui/text.js'
import {renderTree, templatesDir, type TemplateVars} from './templates.js'

export interface InitAnswers {
  /** The host:port the peers dial (chaincode.address); default <name>.<namespace>.svc.cluster.local:<port>. */
  address?: string
  channel: string
  cluster: string
  language: Language
  name: string
  namespace: string
  /** A NodePort Service with this fixed port (peers outside the cluster); needs address. */
  nodePort?: number
  port: number
  tls: boolean
  version: string
}

export const INIT_DEFAULTS: Omit<InitAnswers, 'name'> = {
  channel: 'mychannel',
  cluster: 'kind',
  language: 'typescript',
  namespace: 'fabk8s',
  port: 9999,
  tls: false,
  version: '1.0',
}

/** Validators shared by flags and prompts: a message naming the value, or true. */
export const validate = {
  address(v: string): string | true {
    const m = /^([^\s:/]+):(\d{1,5})$/.exec(v)
    if (!m || Number(m[2]) < 1 || Number(m[2]) > 65_535) return `${show(v)} must be host:port with a port 1-65535`
    return true
  },
  channel: (v: string) =>
    /^[a-z][a-z0-9.-]*$/.test(v) ||
    `${show(v)} is not a valid Fabric channel name (lower-case letters, digits, '.', '-')`,
  cluster: (v: string) =>
    /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(v) || `${show(v)} is not a valid kind cluster name (lower-case DNS label)`,
  language: (v: string) =>
    (LANGUAGES as readonly string[]).includes(v) || `unknown language ${show(v)} (one of ${LANGUAGES.join(', ')})`,
  name(v: string): string | true {
    // a Kubernetes name (DNS-1123) and a Fabric chaincode name ('--' is the one but not the other), as fabk8s.yaml
    if (!DNS1123_RE.test(v) || v.length > 53 || !CHAINCODE_NAME_RE.test(v))
      return `${show(v)} is not a valid chaincode name: use lower-case letters, digits and single '-', start and end with a letter or digit, at most 53 characters (it names Kubernetes resources and the Fabric chaincode)`
    return true
  },
  namespace: (v: string) =>
    (DNS1123_RE.test(v) && v.length <= 63) || `${show(v)} is not a valid Kubernetes namespace (DNS-1123 label)`,
  port: (v: string) =>
    (/^\d+$/.test(v) && Number(v) > 0 && Number(v) < 65_536) || `${show(v)} is not a port number (1-65535)`,
  version(v: string): string | true {
    if (!LABEL_RE.test(`x_${v}`))
      return `${show(v)} cannot be part of a Fabric label (letters, digits, '_', '.', '+', '-')`
    if (!TAG_RE.test(v))
      return `${show(v)} cannot be an image tag (the image is <name>:<version>): use letters, digits, '_', '.', '-', at most 128`
    return true
  },
}

/** A node port from a flag, or a USAGE error naming the flag and the range. */
export function parseNodePort(v: string, flag: string): number {
  const [lo, hi] = NODE_PORT_RANGE
  const n = Number(v.trim())
  if (!/^\d+$/.test(v.trim()) || n < lo || n > hi)
    throw new FabError('USAGE', `${flag}: ${show(v)} is not a node port (${lo}-${hi})`)
  return n
}

/** A port from a flag or prompt, or a USAGE error naming the flag and the range. */
export function parsePort(v: string, flag: string): number {
  const r = validate.port(v.trim())
  if (r !== true) throw new FabError('USAGE', `${flag}: ${r}`)
  return Number(v.trim())
}

/** Throw a USAGE error for the first invalid answer, naming its flag. */
export function checkAnswers(a: InitAnswers): void {
  const checks: [string, string | true][] = [
    ['NAME', validate.name(a.name)],
    ['--language', validate.language(a.language)],
    ['--channel', validate.channel(a.channel)],
    ['--namespace', validate.namespace(a.namespace)],
    ['--cluster', validate.cluster(a.cluster)],
    ['--port', validate.port(String(a.port))],
    ['--chaincode-version', validate.version(a.version)],
    ['--address', a.address === undefined ? true : validate.address(a.address)],
  ]
  for (const [flag, r] of checks) if (r !== true) throw new FabError('USAGE', `${flag}: ${r}`)
  if (a.nodePort !== undefined && a.address === undefined)
    throw new FabError(
      'USAGE',
      '--node-port needs --address HOST:PORT: the address the peers dial (a node of the cluster and the node port)',
    )
}

/** Every file of a new project, rendered in memory (nothing is written here). */
export async function planProject(a: InitAnswers): Promise<PlannedFile[]> {
  checkAnswers(a)
  const node = a.language === 'typescript' || a.language === 'javascript'
  const java = a.language === 'java'
  const svcHost = `${a.name}.${a.namespace}.svc.cluster.local`
  const address = a.address ?? `${svcHost}:${a.port}`
  const vars: TemplateVars = {
    address,
    // as a YAML scalar: quoted unless plain host:port (the ccaas builder's {{.peername}} would be a YAML mapping)
    addressYaml: addressYaml(address),
    // README's local run: `{{buildLocal}}ENV=… {{runLocal}}`, so the environment reaches the server, not the build
    buildLocal: a.language === 'typescript' ? 'npm run build && ' : java ? 'mvn -q package -DskipTests && ' : '',
    channel: a.channel,
    cluster: a.cluster,
    // fabk8s.yaml's commented-out collectionsConfig example (adopt fills it in when the project has one)
    collections: false,
    collectionsFile: 'collections_config.json',
    ext: {go: 'go', java: 'java', javascript: 'js', typescript: 'ts'}[a.language],
    go: a.language === 'go',
    java,
    language: a.language,
    name: a.name,
    namespace: a.namespace,
    node,
    nodePort: a.nodePort ?? 0,
    port: a.port,
    runLocal: node ? 'npm start' : java ? 'java -jar target/chaincode.jar' : 'go run .',
    srcDir: a.language === 'typescript' ? 'src' : 'lib',
    tls: a.tls,
    version: a.version,
  }
  const root = templatesDir()
  const files = new Map<string, Buffer>()
  for (const part of ['common', a.language]) {
    for (const [p, content] of await renderTree(path.join(root, 'chaincode', part), vars)) files.set(p, content)
  }

  const planned: PlannedFile[] = [...files.entries()].map(([p, content]) => ({content, path: p}))
  if (a.tls) {
    // the names the peers may dial: the Service, and the --address host (a node, for a NodePort)
    const hosts = [svcHost, `${a.name}.${a.namespace}`, a.name, 'localhost', '127.0.0.1']
    let dialed = a.address?.slice(0, a.address.lastIndexOf(':'))
    // {{.peername}} in the first label (one Deployment per peer name): a wildcard for that label covers every peer's
    // host; with no other label there is nothing to cover
    if (dialed?.includes('{{')) {
      const rest = dialed.replace(/^.*?\}\}[^.]*\./, '')
      dialed = rest === dialed || rest.includes('{{') ? undefined : `*.${rest}`
    }

    if (dialed && !hosts.includes(dialed)) hosts.push(dialed)
    const tls = await generateChaincodeTls(hosts, {cn: a.name})
    for (const [f, pem] of Object.entries(tls))
      planned.push({content: Buffer.from(pem), mode: f.endsWith('.key') ? 0o600 : 0o644, path: `tls/${f}`})
  }

  return planned.sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0))
}

/** chaincode.address as a YAML value in the fabk8s.yaml template: quoted unless plain host:port (`{{.peername}}-…`). */
export function addressYaml(address: string): string {
  return /^[\w.-]+:\d+$/.test(address) ? address : JSON.stringify(address)
}
