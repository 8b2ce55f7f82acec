/**
 * `fabk8s adopt`: what it adds to (and, with --write, changes in) an existing chaincode project, planned in memory.
 * Nothing here writes: apply() does, all or nothing, through the scaffold's staged writer.
 */
import {existsSync} from 'node:fs'
import {readdir, readFile, stat} from 'node:fs/promises'
import path from 'node:path'

import type {PlannedFile} from '../scaffold/write.js'

import {FabError} from '../errors.js'
import {addressYaml, INIT_DEFAULTS, validate} from '../scaffold/init.js'
import {render, templatesDir, type TemplateVars} from '../scaffold/templates.js'
import {detect, type Detected, type GoProject, type JavaProject, type NodeProject} from './detect.js'
import {analyseGo, type LineChange} from './go.js'

export interface AdoptOptions {
  channel?: string
  cluster?: string
  name?: string
  namespace?: string
  port?: number
  version?: string
}

export interface AdoptFile extends PlannedFile {
  /**
   * add: a new file; change: an existing file of the project, changed (only with --write); keep: the project's own
   * fabk8s.yaml, left as it is (its network, definition and edits are the user's: adopt writes one only where none is)
   */
  action: 'add' | 'change' | 'keep'
  /** For a change: the lines that change. */
  lines?: LineChange[]
}

export interface AdoptPlan {
  /** How the image builds the project, in words (for output). */
  build: string
  detected: Detected
  dir: string
  /** Files the project already has where adopt would add one. */
  existing: string[]
  files: AdoptFile[]
  language: Detected['language']
  name: string
  /** What the user should know (e.g. settings not copied, lockfiles not used). */
  notes: string[]
  version: string
}

/** Join relative parts with '/', skipping empty ones (the module root is ''). */
const join = (...p: string[]) => path.posix.join(...p.filter(Boolean))

async function template(rel: string, vars: TemplateVars): Promise<Buffer> {
  return Buffer.from(render(await readFile(path.join(templatesDir(), rel), 'utf8'), vars))
}

function check(flag: string, r: string | true): void {
  if (r !== true) throw new FabError('USAGE', `${flag}: ${r}`)
}

async function planNode(d: Detected & NodeProject, vars: TemplateVars, notes: string[]): Promise<AdoptFile[]> {
  if (d.api === 'shim')
    throw new FabError(
      'USAGE',
      `${path.join(d.dir, 'package.json')}: fabric-shim without fabric-contract-api (a low-level ChaincodeInterface): fabk8s adopt serves contract-API chaincode with fabric-chaincode-node's server command`,
      {
        hint: 'start the chaincode with shim.server(chaincode, {ccid, address}) yourself, or move it to fabric-contract-api',
      },
    )
  const pkg = JSON.parse(await readFile(path.join(d.dir, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>
  }
  if (!pkg.dependencies?.['fabric-shim'])
    throw new FabError(
      'USAGE',
      `${path.join(d.dir, 'package.json')}: fabric-shim is not in dependencies; the chaincode server (fabric-chaincode-node server) comes from it`,
      {hint: 'npm install fabric-shim (the same 2.x as fabric-contract-api), then run fabk8s adopt again'},
    )
  const omit = d.build ? '' : ' --omit=dev'
  const install = d.lockfile ? `npm ci --no-audit --no-fund${omit}` : `npm install --no-audit --no-fund${omit}`
  if (d.otherLockfiles.length > 0)
    notes.push(`the image installs with npm (${install}); ${d.otherLockfiles.join(' and ')} is not used`)
  if (!d.lockfile) notes.push('no package-lock.json: the image resolves dependencies anew (npm install) on each build')
  const v = {
    ...vars,
    build: d.build,
    buildNote: d.build ? ', npm run build' : '',
    copyFirst: d.installScripts.length > 0,
    install,
    packageFiles: ['package.json', d.lockfile].filter(Boolean).join(' '),
  }
  return [
    {action: 'add', content: await template('adopt/node/Dockerfile', v), path: 'Dockerfile'},
    {action: 'add', content: await template('adopt/node/_dockerignore', v), path: '.dockerignore'},
    {action: 'add', content: await template('adopt/node/fabk8s-server.cjs', v), path: 'fabk8s-server.cjs'},
  ]
}

async function planGo(d: Detected & GoProject, vars: TemplateVars, notes: string[]): Promise<AdoptFile[]> {
  const start = await analyseGo(d.dir, d)
  const v: TemplateVars = {
    ...vars,
    goPackage: 'main',
    goVersion: d.goVersion,
    modFiles: d.sum ? 'go.mod go.sum' : 'go.mod',
    shimImport: d.shimImport,
    vendor: d.vendor,
    vendorNote: d.vendor ? ' and its vendor folder' : '',
  }
  const files: AdoptFile[] = [
    {action: 'add', content: await template('adopt/go/_dockerignore', v), path: '.dockerignore'},
  ]
  if (start.mode === 'subpackage') {
    const mainDir = 'cmd/fabk8s-server'
    // one group, sorted by path, as gofmt keeps it
    const imports = [
      {
        alias: start.contractapi === 'contractapi' ? undefined : start.contractapi,
        path: `${d.contractApi}/contractapi`,
      },
      ...start.imports,
    ]
      .sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0))
      .map((i) => `\t${i.alias ? `${i.alias} ` : ''}"${i.path}"`)
    files.push(
      {
        action: 'add',
        content: await template('adopt/go/main.go', {
          ...v,
          args: start.args,
          argsLine: start.args.replaceAll(/\s+/g, ' '),
          contractapi: start.contractapi,
          imports: imports.join('\n'),
          sourceMain: start.sourceMain,
        }),
        path: join(mainDir, 'main.go'),
      },
      {action: 'add', content: await template('adopt/go/fabk8s_server.go', v), path: join(mainDir, 'fabk8s_server.go')},
      {action: 'add', content: await template('adopt/go/Dockerfile', {...v, mainPkg: mainDir}), path: 'Dockerfile'},
    )
    notes.push(
      `${mainDir}/main.go makes the chaincode from the same contracts as ${start.sourceMain} (${start.contractapi}.NewChaincode(${start.args.replaceAll(/\s+/g, ' ')})); settings ${start.sourceMain} makes on it afterwards (Info, DefaultContract, ...) are not copied`,
    )
    return files
  }

  files.push(
    {
      action: 'add',
      content: await template('adopt/go/fabk8s_server.go', v),
      path: join(start.mainDir, 'fabk8s_server.go'),
    },
    {action: 'add', content: await template('adopt/go/Dockerfile', {...v, mainPkg: start.mainDir}), path: 'Dockerfile'},
  )
  if (start.mode === 'main') {
    const {change} = start
    const file = path.join(d.dir, change.file)
    const text = await readFile(file, 'utf8')
    const lines = text.split('\n')
    lines[change.line - 1] = change.after
    files.push({
      action: 'change',
      content: Buffer.from(lines.join('\n')),
      lines: [change],
      mode: (await stat(file)).mode & 0o7777,
      path: change.file,
    })
  }

  return files
}

async function javaSources(dir: string): Promise<string[]> {
  const root = path.join(dir, 'src', 'main')
  if (!existsSync(root)) return []
  const out: string[] = []
  const walk = async (p: string): Promise<void> => {
    for (const e of await readdir(p, {withFileTypes: true})) {
      const q = path.join(p, e.name)
      if (e.isDirectory()) await walk(q)
      else if (/\.(java|kt)$/.test(e.name)) out.push(q)
    }
  }

  await walk(root)
  return out
}

async function planJava(d: Detected & JavaProject, vars: TemplateVars, notes: string[]): Promise<AdoptFile[]> {
  let contract = false
  for (const f of await javaSources(d.dir)) if (/@Contract\b/.test(await readFile(f, 'utf8'))) contract = true
  if (!contract)
    throw new FabError(
      'USAGE',
      `${d.dir}: no @Contract class under src/main: fabk8s adopt serves contract-API chaincode (fabric-chaincode-java's ContractRouter); a ChaincodeBase class only dials the peer`,
      {
        hint: 'annotate the contract classes with @Contract (org.hyperledger.fabric.contract.annotation), then run fabk8s adopt again',
      },
    )
  const maven = d.build === 'maven'
  const mvn = d.wrapper ? 'sh ./mvnw' : 'mvn'
  const buildCmd = maven
    ? `${mvn} -B -q package -DskipTests`
    : `${d.wrapper ? 'sh ./gradlew' : 'gradle'} --no-daemon -q build -x test`
  const v: TemplateVars = {
    ...vars,
    buildCmd,
    buildImage: maven
      ? d.wrapper
        ? `eclipse-temurin:${d.javaVersion}-jdk`
        : `maven:3.9-eclipse-temurin-${d.javaVersion}`
      : d.wrapper
        ? `eclipse-temurin:${d.buildJavaVersion}-jdk`
        : `gradle:8-jdk${d.javaVersion}`,
    buildJavaVersion: d.buildJavaVersion,
    buildTool: maven ? 'Maven' : 'Gradle',
    gradle: !maven,
    javaVersion: d.javaVersion,
    maven,
    mvn,
    wrapper: d.wrapper,
  }
  if (d.wrapper && !maven)
    notes.push('the image builds with ./gradlew, which downloads the Gradle distribution its wrapper properties name')
  if (d.buildJavaVersion !== d.javaVersion)
    notes.push(
      `Gradle ${d.gradleWrapperMajor} (gradle-wrapper.properties) runs on Java 17 or later: the image builds with JDK ${d.buildJavaVersion}, and the chaincode runs on Java ${d.javaVersion}, the release it compiles for`,
    )
  notes.push(
    'the image runs org.hyperledger.fabric.contract.ContractRouter with the project jar and its runtime classpath; it does not ask the peer for a client certificate (chaincode.tls.clientAuth)',
  )
  return [
    {action: 'add', content: await template('adopt/java/Dockerfile', v), path: 'Dockerfile'},
    {action: 'add', content: await template('adopt/java/_dockerignore', v), path: '.dockerignore'},
    {action: 'add', content: await template('adopt/java/fabk8s-server.sh', v), mode: 0o755, path: 'fabk8s-server.sh'},
  ]
}

/** Private data collection files as Fabric projects name them (fabric-samples: collections_config.json). */
const COLLECTIONS_FILES = [
  'collections_config.json',
  'collections-config.json',
  'collection_config.json',
  'collections.json',
]

/**
 * The project's private data collections file, for definition.collectionsConfig: without it the chaincode is
 * defined with no collections, and every GetPrivateData/PutPrivateData fails ("collection … could not be found").
 * Only a JSON array (the format `peer lifecycle chaincode approveformyorg --collections-config` takes) is used.
 */
async function collectionsFile(dir: string, notes: string[]): Promise<string | undefined> {
  for (const name of COLLECTIONS_FILES) {
    const file = path.join(dir, name)
    if (!existsSync(file)) continue
    let parsed: unknown
    try {
      parsed = JSON.parse(await readFile(file, 'utf8'))
    } catch {
      parsed = undefined
    }

    if (!Array.isArray(parsed)) {
      notes.push(
        `${name} is not a JSON array of collections: fabk8s.yaml does not use it (definition.collectionsConfig)`,
      )
      continue
    }

    notes.push(
      `fabk8s.yaml defines the chaincode with the private data collections of ${name} (definition.collectionsConfig)`,
    )
    return name
  }

  return undefined
}

/** Detect the project in dir and plan every file adopt adds or changes. Reads only. */
export async function planAdoption(dir: string, opts: AdoptOptions = {}): Promise<AdoptPlan> {
  const d = await detect(dir)
  const name = opts.name ?? d.name
  if (!name)
    throw new FabError('USAGE', `--name: needed; no valid chaincode name could be made from the ${d.nameFrom}`, {
      hint: 'pass --name NAME (lower-case letters, digits and -)',
    })
  check(opts.name ? '--name' : `--name (from the ${d.nameFrom} "${name}")`, validate.name(name))
  const version = opts.version ?? d.version ?? INIT_DEFAULTS.version
  check('--chaincode-version', validate.version(version))
  const channel = opts.channel ?? INIT_DEFAULTS.channel
  const namespace = opts.namespace ?? INIT_DEFAULTS.namespace
  const cluster = opts.cluster ?? INIT_DEFAULTS.cluster
  check('--channel', validate.channel(channel))
  check('--namespace', validate.namespace(namespace))
  check('--cluster', validate.cluster(cluster))
  const port = opts.port ?? INIT_DEFAULTS.port
  const notes: string[] = []
  const collections = await collectionsFile(d.dir, notes)
  const vars: TemplateVars = {
    address: `${name}.${namespace}.svc.cluster.local:${port}`,
    addressYaml: addressYaml(`${name}.${namespace}.svc.cluster.local:${port}`),
    channel,
    cluster,
    collections: collections !== undefined,
    collectionsFile: collections ?? 'collections_config.json',
    language: d.language,
    name,
    namespace,
    nodePort: 0,
    port,
    tls: false,
    version,
  }
  const specific =
    d.kind === 'node'
      ? await planNode(d, vars, notes)
      : d.kind === 'go'
        ? await planGo(d, vars, notes)
        : await planJava(d, vars, notes)
  const files: AdoptFile[] = [
    {
      action: existsSync(path.join(dir, 'fabk8s.yaml')) ? ('keep' as const) : ('add' as const),
      content: await template('chaincode/common/fabk8s.yaml', vars),
      path: 'fabk8s.yaml',
    },
    ...specific,
  ].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
  const existing = files.filter((f) => f.action === 'add' && existsSync(path.join(dir, f.path))).map((f) => f.path)
  const build =
    d.kind === 'node'
      ? `${d.lockfile ? 'npm ci' : 'npm install'}${d.build ? ', npm run build' : ''}`
      : d.kind === 'go'
        ? `go build ./${(files.find((f) => f.path.endsWith('fabk8s_server.go'))?.path ?? '')
            .split('/')
            .slice(0, -1)
            .join('/')}`
        : d.build === 'maven'
          ? `${d.wrapper ? './mvnw' : 'mvn'} package`
          : `${d.wrapper ? './gradlew' : 'gradle'} build`
  return {build, detected: d, dir, existing, files, language: d.language, name, notes, version}
}
