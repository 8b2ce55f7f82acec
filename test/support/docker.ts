/**
 * Test helpers for a real Docker engine (the one .ci/docker.sh starts at unix:///tmp/fabk8s-docker.sock, or
 * whatever DOCKER_HOST / the docker context points at). No registry is reachable in CI, so the images tests
 * need are made locally with `docker import` of a rootfs assembled from this machine's own binaries:
 *  - a Node base image: the host's node, its shared libraries, npm, a shell and a few coreutils, the host's CA
 *    bundle (NODE_EXTRA_CA_CERTS), and a `node` user (uid 1000) like the official node images;
 *  - a stand-in "kind node": Debian's containerd and ctr with their libraries, run with the kind labels.
 * Both are tagged by a hash of their inputs, so reruns reuse them.
 */
import {execFile, spawn} from 'node:child_process'
import {createHash} from 'node:crypto'
import {existsSync, lstatSync, readlinkSync, realpathSync, statSync} from 'node:fs'
import {chmod, chown, copyFile, cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {promisify} from 'node:util'

const pexec = promisify(execFile)
const HELPER_VERSION = '4'
export const PRIVATE_SOCK = '/tmp/fabk8s-docker.sock'

/** Use the private engine when nothing else is configured. */
export function defaultDockerHost(): void {
  if (!process.env.DOCKER_HOST && !process.env.DOCKER_CONTEXT && existsSync(PRIVATE_SOCK))
    process.env.DOCKER_HOST = `unix://${PRIVATE_SOCK}`
}

defaultDockerHost()

export async function dockerCmd(
  args: string[],
  opts: {input?: string; timeoutMs?: number} = {},
): Promise<{code: number; stderr: string; stdout: string}> {
  return new Promise((resolve) => {
    const child = spawn('docker', args, {stdio: ['pipe', 'pipe', 'pipe']})
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 300_000)
    child.on('error', (e) => {
      clearTimeout(timer)
      resolve({code: -1, stderr: String(e), stdout})
    })
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({code: code ?? -1, stderr, stdout})
    })
    child.stdin.on('error', () => {})
    child.stdin.end(opts.input ?? '')
  })
}

async function mustDocker(args: string[], opts: {input?: string; timeoutMs?: number} = {}): Promise<string> {
  const r = await dockerCmd(args, opts)
  if (r.code !== 0) throw new Error(`docker ${args.join(' ')} failed (${r.code}): ${r.stderr.trim()}`)
  return r.stdout
}

let engineReason: Promise<string | undefined> | undefined

/** undefined when a Docker engine answers, else why not (for the skip message). */
export function dockerUnavailable(): Promise<string | undefined> {
  defaultDockerHost()
  engineReason ??= dockerCmd(['version', '--format', '{{.Server.Version}}'], {timeoutMs: 20_000}).then((r) =>
    r.code === 0
      ? undefined
      : `no Docker engine reachable (${r.stderr.trim().split('\n')[0] || `exit ${r.code}`}); start one with \`eval "$(bash .ci/docker.sh start)"\``,
  )
  return engineReason
}

/** In a mocha before(): skip the suite, saying why, when there is no engine. */
export async function requireDocker(ctx: Mocha.Context): Promise<void> {
  const why = await dockerUnavailable()
  if (why) {
    console.log(`      skipped: ${why}`)
    ctx.skip()
  }
}

/** `host` when the engine runs without a bridge (see .ci/docker.sh), else undefined (the default network). */
export async function buildNetwork(): Promise<string | undefined> {
  if (process.env.FABK8S_DOCKER_NETWORK) return process.env.FABK8S_DOCKER_NETWORK
  const r = await dockerCmd(['network', 'inspect', 'bridge'])
  return r.code === 0 ? undefined : 'host'
}

// ---------------------------------------------------------------------------------------------- rootfs builder

/** Shared libraries a binary loads (ldd), absolute paths as the loader looks them up. */
async function libsOf(bin: string): Promise<string[]> {
  const {stdout} = await pexec('ldd', [bin]).catch((error: {stdout?: string}) => ({stdout: error.stdout ?? ''}))
  const libs: string[] = []
  for (const line of stdout.split('\n')) {
    const m = /=>\s*(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line)
    if (m) libs.push(m[1])
  }

  return libs
}

function which(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(':')) {
    const p = path.join(dir, name)
    if (existsSync(p)) return p
  }

  return undefined
}

class Rootfs {
  readonly files = new Map<string, string>() // path in image → host file
  readonly fingerprint: string[] = []
  readonly trees: {dir: string; exclude: string[]}[] = [] // host folders copied whole, at the same path

  constructor(readonly dir: string) {}

  add(dest: string, src: string): void {
    if (this.files.has(dest)) return
    const real = realpathSync(src)
    const st = statSync(real)
    this.files.set(dest, real)
    this.fingerprint.push(`${dest}<${real}:${st.size}:${st.mtimeMs}`)
  }

  async addBinary(bin: string, dest?: string): Promise<void> {
    if (dest) this.add(dest, bin)
    else this.addHost(bin)
    for (const lib of await libsOf(realpathSync(bin))) this.addHost(lib)
  }

  /** A host file at the same place it has on the host (directories resolved, e.g. /lib → /usr/lib). */
  addHost(file: string): string {
    const dest = path.join(realpathSync(path.dirname(file)), path.basename(file))
    this.add(dest, file)
    return dest
  }

  /**
   * A host folder copied whole at the same path, symlinks kept (so a toolchain's relative links still resolve; add
   * the folders its absolute links point into as trees too). `exclude`: tar patterns of parts not needed.
   */
  addTree(dir: string, exclude: string[] = []): void {
    const st = statSync(dir)
    this.trees.push({dir, exclude})
    this.fingerprint.push(`tree ${dir}:${st.mtimeMs}:${exclude.join(',')}`)
  }

  hash(extra: string): string {
    return createHash('sha256')
      .update(HELPER_VERSION + extra + this.fingerprint.sort().join('\n'))
      .digest('hex')
      .slice(0, 16)
  }

  /** tar the rootfs into `docker import` with the given --change lines. */
  async import(tag: string, changes: string[]): Promise<void> {
    const args = ['import', ...changes.flatMap((c) => ['--change', c]), '-', tag]
    await new Promise<void>((resolve, reject) => {
      const tar = spawn('tar', ['-C', this.dir, '--numeric-owner', '-cf', '-', '.'], {
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      const imp = spawn('docker', args, {stdio: ['pipe', 'pipe', 'pipe']})
      let err = ''
      tar.stderr.on('data', (d) => (err += d))
      imp.stderr.on('data', (d) => (err += d))
      imp.stdout.resume()
      imp.stdin.on('error', () => {})
      tar.stdout.pipe(imp.stdin)
      imp.on('close', (code) => {
        tar.kill()
        if (code === 0) resolve()
        else reject(new Error(`docker import ${tag} failed: ${err.trim()}`))
      })
      imp.on('error', reject)
    })
  }

  async materialise(): Promise<void> {
    // mirror the host's merged-/usr symlinks so library paths resolve the same way
    for (const top of ['bin', 'lib', 'lib64', 'sbin']) {
      const host = `/${top}`
      if (existsSync(host) && lstatSync(host).isSymbolicLink())
        await symlink(readlinkSync(host), path.join(this.dir, top))
    }

    for (const [dest, src] of this.files) {
      const to = path.join(this.dir, dest)
      await mkdir(path.dirname(to), {recursive: true})
      await copyFile(src, to)
      await chmod(to, statSync(src).mode & 0o7777)
    }

    for (const {dir, exclude} of this.trees) {
      const rel = path.relative('/', dir)
      await pexec('sh', [
        '-c',
        `tar -C / -cf - ${exclude.map((e) => `--exclude='${e}'`).join(' ')} '${rel}' | tar -C '${this.dir}' -xf -`,
      ])
    }

    for (const d of ['tmp', 'var/tmp']) {
      await mkdir(path.join(this.dir, d), {recursive: true})
      await chmod(path.join(this.dir, d), 0o1777)
    }
  }
}

async function imageExists(tag: string): Promise<boolean> {
  return (await dockerCmd(['image', 'inspect', tag])).code === 0
}

async function withRootfs<T>(fn: (fs: Rootfs) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'fabk8s-rootfs-'))
  try {
    return await fn(new Rootfs(dir))
  } finally {
    await rm(dir, {force: true, recursive: true})
  }
}

const CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt'
const TOOLS = [
  'sh',
  'env',
  'mkdir',
  'chown',
  'chmod',
  'cp',
  'mv',
  'rm',
  'ln',
  'ls',
  'cat',
  'id',
  'true',
  'sleep',
  'touch',
]

/**
 * A Node base image made from this machine's node (and npm), cached by a content hash tag:
 * `fabk8s-test/node-base:<hash>`. Builds that `FROM ${BASE_IMAGE}` can `npm ci` in it and run as `node`.
 */
export async function nodeBaseImage(): Promise<string> {
  const nodeBin = realpathSync(process.execPath)
  const npmDir = path.join(path.dirname(path.dirname(nodeBin)), 'lib', 'node_modules', 'npm')
  return withRootfs(async (fs) => {
    await fs.addBinary(nodeBin, '/usr/local/bin/node')
    for (const t of TOOLS) {
      const p = which(t)
      if (p) await fs.addBinary(p, `/usr/bin/${t}`)
    }

    const sh = which('sh')
    if (sh) await fs.addBinary(sh, '/bin/sh')
    if (existsSync(CA_BUNDLE)) fs.add(CA_BUNDLE, CA_BUNDLE)
    const npmVersion = existsSync(npmDir)
      ? (JSON.parse(await readFile(path.join(npmDir, 'package.json'), 'utf8')) as {version: string}).version
      : 'none'
    const tag = `fabk8s-test/node-base:${fs.hash(`node-base npm=${npmDir}@${npmVersion}`)}`
    if (await imageExists(tag)) return tag

    await fs.materialise()
    if (existsSync(npmDir)) {
      await cp(npmDir, path.join(fs.dir, 'usr/local/lib/node_modules/npm'), {recursive: true, verbatimSymlinks: true})
      await symlink('../lib/node_modules/npm/bin/npm-cli.js', path.join(fs.dir, 'usr/local/bin/npm'))
      await symlink('../lib/node_modules/npm/bin/npx-cli.js', path.join(fs.dir, 'usr/local/bin/npx'))
    }

    const etc = path.join(fs.dir, 'etc')
    await mkdir(etc, {recursive: true})
    await writeFile(
      path.join(etc, 'passwd'),
      'root:x:0:0:root:/root:/bin/sh\nnode:x:1000:1000::/home/node:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n',
    )
    await writeFile(path.join(etc, 'group'), 'root:x:0:\nnode:x:1000:\nnogroup:x:65534:\n')
    await writeFile(path.join(etc, 'nsswitch.conf'), 'passwd: files\ngroup: files\nhosts: files dns\n')
    for (const d of ['root', 'home/node', 'usr/local/lib/node_modules'])
      await mkdir(path.join(fs.dir, d), {recursive: true})
    await chown(path.join(fs.dir, 'home/node'), 1000, 1000).catch(() => chmod(path.join(fs.dir, 'home/node'), 0o1777))
    await fs.import(tag, [
      'ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/bin:/usr/sbin:/bin:/sbin',
      `ENV NODE_EXTRA_CA_CERTS=${CA_BUNDLE}`,
      `ENV SSL_CERT_FILE=${CA_BUNDLE}`,
      `ENV NODE_VERSION=${process.versions.node}`,
      'CMD ["node"]',
    ])
    return tag
  })
}

const USERS = {
  group: 'root:x:0:\nnogroup:x:65534:\n',
  passwd: 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n',
}

/** What every toolchain base image has: a shell and the tools of TOOLS (+ extra), the CA bundle, users, /root. */
async function addShellAndCAs(fs: Rootfs, extra: string[] = []): Promise<void> {
  for (const t of [...TOOLS, ...extra]) {
    const p = which(t)
    if (p) await fs.addBinary(p, `/usr/bin/${t}`)
  }

  const sh = which('sh')
  if (sh) await fs.addBinary(sh, '/bin/sh')
  if (existsSync(CA_BUNDLE)) fs.add(CA_BUNDLE, CA_BUNDLE)
}

async function writeUsers(root: string): Promise<void> {
  const etc = path.join(root, 'etc')
  await mkdir(etc, {recursive: true})
  await writeFile(path.join(etc, 'passwd'), USERS.passwd)
  await writeFile(path.join(etc, 'group'), USERS.group)
  await writeFile(path.join(etc, 'nsswitch.conf'), 'passwd: files\ngroup: files\nhosts: files dns\n')
  await mkdir(path.join(root, 'root'), {recursive: true})
}

/**
 * Java base images from this machine's JDK (Debian's openjdk, `java` on PATH), cached by a content hash:
 *  - `runtime`: the JDK alone, `fabk8s-test/java-runtime:<hash>`, what a chaincode jar runs on;
 *  - `build`: the JDK with Maven (`mvn`) and Gradle (`gradle`, when installed: apt-get install gradle), as
 *    `fabk8s-test/java-build:<hash>`; Maven and Gradle reach Maven Central like the host does.
 * The folders are copied at the same paths as on the host, with the /etc folders their symlinks point into.
 */
export async function javaBaseImage(kind: 'build' | 'runtime'): Promise<string> {
  const javaBin = realpathSync(which('java') ?? '/usr/bin/java')
  const javaHome = path.dirname(path.dirname(javaBin))
  const rel = (p: string) => path.relative('/', p)
  return withRootfs(async (fs) => {
    await addShellAndCAs(
      fs,
      kind === 'build' ? ['uname', 'dirname', 'basename', 'expr', 'tr', 'sed', 'find', 'which', 'grep'] : [],
    )
    await fs.addBinary(javaBin)
    for (const lib of ['lib/server/libjvm.so', 'lib/libnet.so', 'lib/libnio.so', 'lib/libzip.so', 'lib/libjimage.so'])
      if (existsSync(path.join(javaHome, lib))) await fs.addBinary(path.join(javaHome, lib))
    fs.addTree(javaHome, [
      `${rel(javaHome)}/jmods`,
      `${rel(javaHome)}/man`,
      `${rel(javaHome)}/include`,
      `${rel(javaHome)}/legal`,
    ])
    // the targets of the JDK's absolute symlinks (conf, security, cacerts)
    for (const d of [`/etc/${path.basename(javaHome).replace(/-amd64$|-arm64$/, '')}`, '/etc/ssl/certs/java'])
      if (existsSync(d)) fs.addTree(d)
    const env = [`ENV JAVA_HOME=${javaHome}`]
    let pathDirs = `${javaHome}/bin:/usr/local/bin:/usr/bin:/bin`
    if (kind === 'build') {
      if (!existsSync('/usr/share/maven/bin/mvn'))
        throw new Error('Maven is not installed here (apt-get install maven)')
      for (const d of ['/usr/share/maven', '/etc/maven', '/usr/share/java']) fs.addTree(d)
      pathDirs = `${pathDirs}:/usr/share/maven/bin`
      if (existsSync('/usr/share/gradle/bin/gradle')) {
        for (const d of ['/usr/share/gradle', '/usr/share/ant', '/usr/lib/jni']) if (existsSync(d)) fs.addTree(d)
        for (const so of ['/usr/lib/jni/libnative-platform.so', '/usr/lib/jni/libnative-platform-curses.so'])
          if (existsSync(so)) await fs.addBinary(so)
        pathDirs = `${pathDirs}:/usr/share/gradle/bin`
      }
    }

    const tag = `fabk8s-test/java-${kind}:${fs.hash(`java-${kind} ${javaHome}`)}`
    if (await imageExists(tag)) return tag
    await fs.materialise()
    await writeUsers(fs.dir)
    await fs.import(tag, [
      ...env,
      `ENV PATH=${pathDirs}`,
      'ENV LANG=C.UTF-8',
      `ENV SSL_CERT_FILE=${CA_BUNDLE}`,
      'CMD ["java", "-version"]',
    ])
    return tag
  })
}

/**
 * A Go toolchain base image made from this machine's Go (GOROOT, a shell and coreutils, the CA bundle), with the
 * host's module proxy settings, cached by a content hash tag: `fabk8s-test/go-base:<hash>`. The Go scaffold's
 * Dockerfile builds `FROM ${BASE_IMAGE}` with it (`go mod download` reaches the proxy through the engine's NAT).
 */
export async function goBaseImage(): Promise<string> {
  const goBin = which('go')
  if (!goBin) throw new Error('no go toolchain on PATH')
  const {stdout} = await pexec(goBin, ['env', 'GOROOT', 'GOVERSION', 'GOPROXY', 'GOSUMDB', 'GONOSUMDB', 'GOPRIVATE'])
  const [goroot, version, proxy, sumdb, nosumdb, priv] = stdout.split('\n')
  return withRootfs(async (fs) => {
    for (const t of TOOLS) {
      const p = which(t)
      if (p) await fs.addBinary(p, `/usr/bin/${t}`)
    }

    const sh = which('sh')
    if (sh) await fs.addBinary(sh, '/bin/sh')
    if (existsSync(CA_BUNDLE)) fs.add(CA_BUNDLE, CA_BUNDLE)
    const env = [
      'ENV PATH=/usr/local/go/bin:/go/bin:/usr/local/bin:/usr/bin:/bin',
      'ENV GOPATH=/go',
      'ENV GOTOOLCHAIN=local',
      `ENV GOPROXY=${proxy || 'https://proxy.golang.org,direct'}`,
      `ENV GOSUMDB=${sumdb || 'sum.golang.org'}`,
      ...(nosumdb ? [`ENV GONOSUMDB=${nosumdb}`] : []),
      ...(priv ? [`ENV GOPRIVATE=${priv}`] : []),
      `ENV SSL_CERT_FILE=${CA_BUNDLE}`,
    ]
    const tag = `fabk8s-test/go-base:${fs.hash(`go-base ${goroot} ${version} ${env.join(' ')}`)}`
    if (await imageExists(tag)) return tag
    await fs.materialise()
    await cp(goroot, path.join(fs.dir, 'usr/local/go'), {recursive: true, verbatimSymlinks: true})
    await mkdir(path.join(fs.dir, 'go'), {recursive: true})
    await chmod(path.join(fs.dir, 'go'), 0o1777)
    const etc = path.join(fs.dir, 'etc')
    await mkdir(etc, {recursive: true})
    await writeFile(path.join(etc, 'passwd'), 'root:x:0:0:root:/root:/bin/sh\n')
    await writeFile(path.join(etc, 'group'), 'root:x:0:\n')
    await writeFile(path.join(etc, 'nsswitch.conf'), 'hosts: files dns\n')
    await fs.import(tag, [...env, 'CMD ["go", "version"]'])
    return tag
  })
}

/**
 * A stand-in kind node image: Debian's containerd and ctr and their libraries (`apt-get install containerd`
 * on the host; docker.io brings it). Tagged `fabk8s-test/kind-node:<hash>`.
 */
export async function kindNodeImage(): Promise<string> {
  const containerd = which('containerd')
  const ctr = which('ctr')
  if (!containerd || !ctr) throw new Error('containerd/ctr not installed on this machine (apt-get install containerd)')
  return withRootfs(async (fs) => {
    await fs.addBinary(containerd, '/usr/local/bin/containerd')
    await fs.addBinary(ctr, '/usr/local/bin/ctr')
    for (const extra of ['containerd-shim-runc-v2', 'runc']) {
      const p = which(extra)
      if (p) await fs.addBinary(p, `/usr/local/bin/${extra}`)
    }

    const tag = `fabk8s-test/kind-node:${fs.hash('kind-node')}`
    if (await imageExists(tag)) return tag
    await fs.materialise()
    for (const d of ['var/lib/containerd', 'run/containerd', 'etc/containerd'])
      await mkdir(path.join(fs.dir, d), {recursive: true})
    // like kind's node image: a config file, so `containerd config dump` (the snapshotter lookup) answers
    await writeFile(
      path.join(fs.dir, 'etc/containerd/config.toml'),
      'version = 2\n[plugins."io.containerd.grpc.v1.cri".containerd]\n  snapshotter = "overlayfs"\n',
    )
    await fs.import(tag, ['ENV PATH=/usr/local/bin:/usr/bin:/bin', 'CMD ["containerd"]'])
    return tag
  })
}

/** Start a fake kind node (containerd inside, kind's labels); waits until ctr answers. */
export async function startKindNode(
  image: string,
  cluster: string,
  name: string,
  role = 'control-plane',
): Promise<void> {
  await startNodeContainer(image, name, {'io.x-k8s.kind.cluster': cluster, 'io.x-k8s.kind.role': role})
}

/**
 * Start a stand-in node container of any local-cluster tool: containerd inside (listening on `address`, default
 * /run/containerd/containerd.sock), the tool's labels; waits until ctr answers.
 */
export async function startNodeContainer(
  image: string,
  name: string,
  labels: Record<string, string>,
  address?: string,
): Promise<void> {
  await dockerCmd(['rm', '-f', name])
  const addr = address ? ['--address', address] : []
  await mustDocker([
    'run',
    '-d',
    '--name',
    name,
    '--hostname',
    name,
    ...Object.entries(labels).flatMap(([k, v]) => ['--label', `${k}=${v}`]),
    '--cap-add',
    'SYS_ADMIN',
    '--network',
    'none',
    '--volume',
    '/var/lib/containerd',
    '--tmpfs',
    '/run',
    image,
    'containerd',
    ...addr,
  ])
  for (let i = 0; i < 100; i++) {
    const r = await dockerCmd(['exec', name, 'ctr', ...addr, 'version'])
    if (r.code === 0) return
    await new Promise((res) => setTimeout(res, 200))
  }

  const logs = await dockerCmd(['logs', '--tail', '20', name])
  throw new Error(`stand-in node ${name} did not start containerd:\n${logs.stdout}${logs.stderr}`)
}

/** Image refs the node's containerd holds in k8s.io. */
export async function nodeImages(node: string, ctr: string[] = ['ctr']): Promise<string[]> {
  const out = await mustDocker(['exec', node, ...ctr, '-n', 'k8s.io', 'images', 'ls', '-q'])
  return out
    .split('\n')
    .map((s) => s.trim())
    .filter(Boolean)
}

/** Remove containers (and their anonymous volumes) and images; ignores ones that are gone. */
export async function cleanup(opts: {containers?: string[]; images?: string[]}): Promise<void> {
  if (opts.containers?.length) await dockerCmd(['rm', '-f', '-v', ...opts.containers])
  if (opts.images?.length) await dockerCmd(['rmi', '-f', ...opts.images])
}

/** A short random suffix for names. */
export function uniq(): string {
  return createHash('sha256').update(`${process.pid}${Date.now()}${Math.random()}`).digest('hex').slice(0, 8)
}
