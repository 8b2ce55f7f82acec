/**
 * What kind of chaincode project a folder holds, read from its build files only (nothing runs): Node
 * (package.json with fabric-contract-api / fabric-shim; TypeScript when a tsconfig and a build script exist), Go
 * (go.mod with fabric-contract-api-go or fabric-chaincode-go), Java (pom.xml, build.gradle or build.gradle.kts with
 * fabric-chaincode-shim). Also the project's own name and version, for fabk8s.yaml.
 */
import {existsSync} from 'node:fs'
import {readdir, readFile} from 'node:fs/promises'
import path from 'node:path'

import type {Language} from '../project/schema.js'

import {FabError} from '../errors.js'
import {DNS1123_RE, LABEL_RE} from '../project/schema.js'

export interface NodeProject {
  /** fabric-contract-api (contracts exported by package.json main) or only fabric-shim (a ChaincodeInterface). */
  api: 'contract' | 'shim'
  /** package.json has a build script: the image runs it (with the dev dependencies), then prunes them. */
  build: boolean
  /** package.json scripts run by npm install itself (preinstall, install, postinstall, prepare). */
  installScripts: string[]
  kind: 'node'
  /** package-lock.json or npm-shrinkwrap.json: npm ci; else npm install. */
  lockfile?: string
  /** Other package managers' lockfiles the image build does not use. */
  otherLockfiles: string[]
}

export interface GoProject {
  /** The fabric-contract-api-go module (v1 or v2) when the project requires it. */
  contractApi?: string
  /** The go directive (major.minor), for the default build image. */
  goVersion: string
  kind: 'go'
  /** The module path. */
  module: string
  /** The fabric-chaincode-go shim package the server code imports (same major as the project uses). */
  shimImport: string
  /** go.sum exists. */
  sum: boolean
  /** vendor/modules.txt exists: go build uses the vendored modules, nothing is downloaded. */
  vendor: boolean
}

export interface JavaProject {
  build: 'gradle' | 'maven'
  /** The build file (pom.xml, build.gradle, build.gradle.kts). */
  buildFile: string
  /**
   * The JDK the image builds with: javaVersion, raised to 17 when the Gradle wrapper names Gradle 9 or later (which
   * runs only on Java 17 or later; the classes still target javaVersion).
   */
  buildJavaVersion: number
  /** The major version of Gradle that gradle/wrapper/gradle-wrapper.properties names, when it names one. */
  gradleWrapperMajor?: number
  /** Java release the project compiles for (at least 11, the floor of fabric-chaincode-java 2.x); default 17. */
  javaVersion: number
  kind: 'java'
  /** gradlew / mvnw at the project root: the image builds with it. */
  wrapper: boolean
}

export type Detected = (GoProject | JavaProject | NodeProject) & {
  dir: string
  language: Language
  /** A DNS-1123 name from the project (package.json name, go.mod module, artifactId, rootProject.name, folder). */
  name?: string
  /** What the name was taken from, for messages. */
  nameFrom: string
  /** The project's version when it makes a valid label part; else undefined (fabk8s.yaml then says 1.0). */
  version?: string
}

const LOOKED_FOR =
  'package.json depending on fabric-contract-api or fabric-shim, go.mod requiring fabric-contract-api-go or fabric-chaincode-go, pom.xml or build.gradle[.kts] with fabric-chaincode-shim'

async function readText(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new FabError('USAGE', `${file}: cannot read (${(error as NodeJS.ErrnoException).code ?? error})`)
  }
}

/** A DNS-1123 name (≤ 53) made from a project name: lower case, other characters to '-'. */
export function toChaincodeName(raw: string): string | undefined {
  const s = raw
    .replace(/^@[^/]+\//, '')
    .toLowerCase()
    .replaceAll(/[^a-z0-9-]+/g, '-')
    .replaceAll(/-+/g, '-')
    .replaceAll(/^-+|-+$/g, '')
    .slice(0, 53)
    .replace(/-+$/, '')
  return s && DNS1123_RE.test(s) ? s : undefined
}

function okVersion(v: unknown): string | undefined {
  return typeof v === 'string' && v && LABEL_RE.test(`x_${v}`) ? v : undefined
}

async function detectNode(dir: string, text: string): Promise<Detected | string> {
  let pkg: {
    dependencies?: Record<string, string>
    devDependencies?: Record<string, string>
    name?: unknown
    scripts?: Record<string, string>
    version?: unknown
  }
  try {
    pkg = JSON.parse(text)
  } catch (error) {
    throw new FabError('USAGE', `${path.join(dir, 'package.json')}: not valid JSON (${(error as Error).message})`)
  }

  const deps = {...pkg.devDependencies, ...pkg.dependencies}
  const contract = 'fabric-contract-api' in deps
  const shim = 'fabric-shim' in deps
  if (!contract && !shim) return 'package.json does not depend on fabric-contract-api or fabric-shim'
  const scripts = pkg.scripts ?? {}
  const ts = existsSync(path.join(dir, 'tsconfig.json')) && Boolean(scripts.build)
  const lockfile = ['package-lock.json', 'npm-shrinkwrap.json'].find((f) => existsSync(path.join(dir, f)))
  return {
    api: contract ? 'contract' : 'shim',
    build: Boolean(scripts.build),
    dir,
    installScripts: ['preinstall', 'install', 'postinstall', 'prepare'].filter((s) => scripts[s]),
    kind: 'node',
    language: ts ? 'typescript' : 'javascript',
    lockfile,
    name: typeof pkg.name === 'string' ? toChaincodeName(pkg.name) : undefined,
    nameFrom: 'package.json name',
    otherLockfiles: ['yarn.lock', 'pnpm-lock.yaml'].filter((f) => existsSync(path.join(dir, f))),
    version: okVersion(pkg.version),
  }
}

/** `require` lines of go.mod: module path → version (both block and single-line forms). */
export function goRequires(gomod: string): Map<string, string> {
  const out = new Map<string, string>()
  const text = gomod.replaceAll(/\/\/.*$/gm, '')
  for (const block of text.matchAll(/^require\s*\(([\s\S]*?)^\)/gm))
    for (const m of block[1].matchAll(/^\s*(\S+)\s+(\S+)/gm)) out.set(m[1], m[2])
  for (const m of text.matchAll(/^require\s+([^\s(]+)\s+(\S+)/gm)) out.set(m[1], m[2])
  return out
}

async function detectGo(dir: string, text: string): Promise<Detected | string> {
  const mod = /^module\s+("?)([^\s"]+)\1/m.exec(text)?.[2]
  if (!mod) throw new FabError('USAGE', `${path.join(dir, 'go.mod')}: no module line`)
  const req = goRequires(text)
  const contractApi = [
    'github.com/hyperledger/fabric-contract-api-go/v2',
    'github.com/hyperledger/fabric-contract-api-go',
  ].find((m) => req.has(m))
  const shimV2 = 'github.com/hyperledger/fabric-chaincode-go/v2'
  const shimV1 = 'github.com/hyperledger/fabric-chaincode-go'
  if (!contractApi && !req.has(shimV2) && !req.has(shimV1))
    return 'go.mod does not require fabric-contract-api-go or fabric-chaincode-go'
  const v2 = req.has(shimV2) || (!req.has(shimV1) && contractApi?.endsWith('/v2'))
  const goVersion = /^go\s+(\d+\.\d+)/m.exec(text)?.[1] ?? '1.22'
  return {
    contractApi,
    dir,
    goVersion,
    kind: 'go',
    language: 'go',
    module: mod,
    name: toChaincodeName(mod.split('/').findLast((p) => !/^v\d+$/.test(p)) ?? mod),
    nameFrom: 'go.mod module',
    shimImport: `${v2 ? shimV2 : shimV1}/shim`,
    sum: existsSync(path.join(dir, 'go.sum')),
    vendor: existsSync(path.join(dir, 'vendor', 'modules.txt')),
  }
}

function javaRelease(text: string): number {
  const n = Number(
    /<maven\.compiler\.(?:release|target|source)>\s*(?:1\.)?(\d+)/.exec(text)?.[1] ??
      /<(?:release|target)>\s*(?:1\.)?(\d+)\s*</.exec(text)?.[1] ??
      /(?:sourceCompatibility|targetCompatibility)\s*=?\s*(?:JavaVersion\.VERSION_(?:1_)?(\d+)|['"]?(?:1\.)?(\d+))/
        .exec(text)
        ?.slice(1)
        .find(Boolean) ??
      /languageVersion(?:\.set\()?\s*=?\s*JavaLanguageVersion\.of\((\d+)\)/.exec(text)?.[1] ??
      17,
  )
  // temurin ships 11, 17, 21 and 25; fabric-chaincode-java 2.x needs 11
  return [11, 17, 21, 25].find((v) => v >= n) ?? 25
}

async function detectJava(dir: string, buildFile: string, text: string): Promise<Detected | string> {
  if (!/fabric-chaincode-shim/.test(text)) return `${buildFile} does not use fabric-chaincode-shim`
  const maven = buildFile === 'pom.xml'
  let name: string | undefined
  let nameFrom: string
  let version: string | undefined
  if (maven) {
    // the project's own coordinates: outside <parent>, <dependencies>, <build> and the like
    const top = text
      .replaceAll(/<(parent|dependencies|dependencyManagement|build|profiles|plugins|reporting)>[\s\S]*?<\/\1>/g, '')
      .replaceAll(/<!--[\s\S]*?-->/g, '')
    name = toChaincodeName(/<artifactId>\s*([^<\s]+)\s*<\/artifactId>/.exec(top)?.[1] ?? '')
    nameFrom = 'pom.xml artifactId'
    version = okVersion(/<version>\s*([^<\s$]+)\s*<\/version>/.exec(top)?.[1])
  } else {
    const settings =
      (await readText(path.join(dir, 'settings.gradle'))) ?? (await readText(path.join(dir, 'settings.gradle.kts')))
    // a literal, or the default after an environment variable (fabric-samples: System.getenv('CHAINCODE_NAME') ?: 'basic')
    const rootName = /rootProject\.name\s*=\s*(?:System\.getenv\(\s*["'][^"']*["']\s*\)\s*\?:\s*)?["']([^"']+)["']/
    name = toChaincodeName(rootName.exec(settings ?? '')?.[1] ?? '')
    nameFrom = 'settings.gradle rootProject.name'
    version = okVersion(/^\s*version\s*=?\s*["']([^"']+)["']/m.exec(text)?.[1])
  }

  const wrapper = existsSync(path.join(dir, maven ? 'mvnw' : 'gradlew'))
  const javaVersion = javaRelease(text)
  // distributionUrl=https\://services.gradle.org/distributions/gradle-9.1.0-bin.zip
  const props =
    !maven && wrapper ? await readText(path.join(dir, 'gradle', 'wrapper', 'gradle-wrapper.properties')) : ''
  const gradleMajor = Number(/^\s*distributionUrl\s*[=:].*gradle-(\d+)\.[^/]*$/m.exec(props ?? '')?.[1] ?? Number.NaN)
  const gradleWrapperMajor = Number.isInteger(gradleMajor) ? gradleMajor : undefined
  return {
    build: maven ? 'maven' : 'gradle',
    buildFile,
    buildJavaVersion: (gradleWrapperMajor ?? 0) >= 9 ? Math.max(javaVersion, 17) : javaVersion,
    dir,
    ...(gradleWrapperMajor === undefined ? {} : {gradleWrapperMajor}),
    javaVersion,
    kind: 'java',
    language: 'java',
    name,
    nameFrom,
    version,
    wrapper,
  }
}

/** The chaincode project in dir, or a USAGE error (exit 2) naming what was looked for and what was found. */
export async function detect(dir: string): Promise<Detected> {
  if (!existsSync(dir)) throw new FabError('USAGE', `DIR: ${dir} does not exist`)
  const entries = new Set(await readdir(dir).catch(() => [] as string[]))
  const seen: string[] = []
  const candidates: [string, (text: string) => Promise<Detected | string>][] = [
    ['package.json', (t) => detectNode(dir, t)],
    ['go.mod', (t) => detectGo(dir, t)],
    ['pom.xml', (t) => detectJava(dir, 'pom.xml', t)],
    ['build.gradle', (t) => detectJava(dir, 'build.gradle', t)],
    ['build.gradle.kts', (t) => detectJava(dir, 'build.gradle.kts', t)],
  ]
  for (const [file, fn] of candidates) {
    if (!entries.has(file)) continue
    const text = await readText(path.join(dir, file))
    if (text === undefined) continue
    const r = await fn(text)
    if (typeof r !== 'string') {
      if (!r.name) {
        r.name = toChaincodeName(path.basename(dir))
        r.nameFrom = 'the folder name'
      }

      return r
    }

    seen.push(r)
  }

  throw new FabError('USAGE', `no chaincode project found in ${dir}: looked for ${LOOKED_FOR}`, {
    hint:
      seen.length > 0
        ? `found: ${seen.join('; ')}`
        : 'run fabk8s adopt in (or on) the folder that holds the build file',
  })
}
