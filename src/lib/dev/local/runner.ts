/**
 * The chaincode on the developer's machine, rebuilt and restarted on every save, with its runtime's debugger:
 *  - TypeScript: the project's own `tsc --watch` compiles incrementally; each error-free compile restarts node;
 *  - JavaScript: a save is checked with `node --check` (syntax errors with file and line) and restarts node;
 *  - Go: a save of a .go file, go.mod or go.sum runs `go build` and restarts the program, under Delve when it is
 *    installed;
 *  - Java (Maven): a save under src/main or of pom.xml runs `mvn compile` and restarts the main class the pom names
 *    (target/classes and the dependencies' classpath, which Maven lists once, again when pom.xml changes).
 * Node runs with the inspector on (--inspect); Go under `dlv exec --headless --accept-multiclient`; Java with a
 * JDWP agent (suspend=n). A failed build
 * leaves the last good chaincode running. Every restart waits until the new process listens, and reports how long
 * the save took to reach it.
 */
import {existsSync, readFileSync, rmSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import type {ProjectConfig} from '../../project/schema.js'
import type {BuildError, RunnerListener} from './events.js'

import {FabError} from '../../errors.js'
import {parseGoErrors, parseJavaErrors, parseNodeCheck, parseTscErrors} from './errors.js'
import {childPids, type Proc, startProc, stateFile, stopLeftovers, waitListening, which} from './process.js'
import {type Watcher, watchTree} from './watch.js'

export interface RunnerOptions {
  /** The debugger's port (loopback); undefined: no debugger. */
  debugPort?: number
  emit: RunnerListener
  /** The chaincode's environment (local/env.ts). */
  env: Record<string, string>
  /** Where the chaincode listens (127.0.0.1). */
  port: number
  project: ProjectConfig
  /** How long a start may take before it counts as failed (default 60 s). */
  startTimeoutMs?: number
}

export interface Runner {
  /** The debugger the chaincode runs with, if any (none: --no-debug, or Delve missing). */
  debugger(): undefined | {kind: 'delve' | 'jdwp' | 'node'; port: number}
  /** What runs the chaincode, for the start-up summary (e.g. `node --inspect dist/src/server.js`). */
  describe(): string
  /** Build and start; resolves when the first start has listened or the first build failed (then it watches on). */
  start(): Promise<void>
  stop(): Promise<void>
}

const seconds = (from: bigint) => Math.round(Number(process.hrtime.bigint() - from) / 1e7) / 100

abstract class BaseRunner implements Runner {
  protected readonly dir: string
  /** A start has listened once (later ones are restarts). */
  protected launched = false
  protected proc?: Proc
  /** Files the builds write outside the project (the Go program, Maven's classpath list): removed by stop(). */
  protected readonly scratch: string[] = []
  protected readonly state: string
  protected stopped = false
  private again?: () => Promise<void>
  private busy = false
  private idle: Promise<void> = Promise.resolve()
  private watcher?: Watcher

  constructor(protected readonly o: RunnerOptions) {
    this.dir = o.project.dir
    this.state = stateFile(o.project.dir)
  }

  /** After a start that listened (the Node runner readies its next spare here). */
  protected afterLaunch(): void {}

  /** Language part of start(): the first build and launch, and the watch. */
  protected abstract begin(): Promise<void>

  /** The command that runs the built chaincode. */
  protected abstract command(): {args: string[]; cmd: string}

  debugger(): undefined | {kind: 'delve' | 'jdwp' | 'node'; port: number} {
    if (this.o.debugPort === undefined) return undefined
    const kind = ({go: 'delve', java: 'jdwp', javascript: 'node', typescript: 'node'} as const)[this.o.project.language]
    return {kind, port: this.o.debugPort}
  }

  abstract describe(): string

  /** Stop helpers (the compiler in watch mode). */
  protected async halt(): Promise<void> {}

  /** Run jobs one at a time; a job asked for while one runs replaces any waiting one (the newest state wins). */
  protected kick(job: () => Promise<void>): Promise<void> {
    if (this.busy) {
      this.again = job
      return this.idle
    }

    this.busy = true
    const run = async (j: () => Promise<void>): Promise<void> => {
      try {
        await j()
      } catch (error) {
        this.o.emit({message: (error as Error).message, type: 'note'})
      }

      const next = this.again
      this.again = undefined
      if (next && !this.stopped) return run(next)
      this.busy = false
      if (!this.stopped) this.o.emit({state: 'watching', type: 'state'})
    }

    this.idle = run(job)
    return this.idle
  }

  /** Start the built chaincode. */
  protected launchProc(): Proc {
    const {args, cmd} = this.command()
    return startProc(cmd, args, {
      cwd: this.dir,
      env: {...process.env, ...this.o.env},
      onLine: (line, stream) => this.onLine(line, stream),
      state: this.state,
    })
  }

  /** A line the chaincode printed; runners may take some for themselves (the debugger's banner). */
  protected onLine(line: string, stream: 'stderr' | 'stdout'): void {
    this.o.emit({line, stream, type: 'log'})
  }

  /** Stop the running chaincode, start the new one, wait until it listens; report the times since `t0`. */
  protected async relaunch(t0: bigint, buildSeconds: number): Promise<void> {
    if (this.stopped) return
    this.o.emit({state: 'starting', type: 'state'})
    const tStart = process.hrtime.bigint()
    await this.proc?.stop()
    let exiting = false
    const proc = this.launchProc()
    this.proc = proc
    proc.exited.then(({code, signal}) => {
      if (this.proc === proc && !this.stopped && !exiting) this.o.emit({code, signal, type: 'exited'})
    })
    const stop = proc.stop.bind(proc)
    proc.stop = async (graceMs) => {
      exiting = true
      return stop(graceMs)
    }

    try {
      await waitListening(this.o.port, {exited: proc.exited, timeoutMs: this.o.startTimeoutMs ?? 60_000})
    } catch (error) {
      // the exit event (with its code) has been reported; say what did not happen
      throw new Error(`the chaincode did not start: ${(error as Error).message}`)
    }

    this.o.emit({
      buildSeconds,
      first: !this.launched,
      pid: proc.pid,
      seconds: seconds(t0),
      startSeconds: seconds(tStart),
      type: 'restarted',
    })
    this.launched = true
    this.afterLaunch()
  }

  async start(): Promise<void> {
    for (const s of await stopLeftovers(this.state))
      this.o.emit({message: `stopped ${s}, left running by an earlier fabk8s dev`, type: 'note'})
    await this.begin()
  }

  async stop(): Promise<void> {
    this.stopped = true
    this.watcher?.close()
    await this.idle.catch(() => {})
    await this.halt()
    await this.proc?.stop()
    this.proc = undefined
    for (const f of this.scratch) rmSync(f, {force: true})
  }

  protected watch(include: (rel: string) => boolean, onChange: (files: string[], t0: bigint) => void): void {
    this.watcher = watchTree(this.dir, {
      include,
      onChange: (files) => {
        if (this.stopped) return
        this.o.emit({files, type: 'change'})
        onChange(files, process.hrtime.bigint())
      },
    })
  }
}

// ---------------------------------------------------------------------------------------------------- Node

/** How package.json's start script runs the server: `node [flags] FILE [args]` or `fabric-chaincode-node server …`. */
export function nodeEntry(dir: string): {args: string[]; flags: string[]; script: string} {
  const file = path.join(dir, 'package.json')
  let pkg: {scripts?: {start?: string}}
  try {
    pkg = JSON.parse(readFileSync(file, 'utf8'))
  } catch (error) {
    throw new FabError('PROJECT', `${file}: cannot read it (${(error as Error).message})`)
  }

  const start = pkg.scripts?.start?.trim() ?? ''
  const words = start.split(/\s+/).filter(Boolean)
  if (words[0] === 'node') {
    const flags: string[] = []
    let i = 1
    while (i < words.length && words[i].startsWith('-')) flags.push(words[i++])
    if (i < words.length) return {args: words.slice(i + 1), flags, script: words[i]}
  }

  if (words[0] === 'fabric-chaincode-node' && words[1] === 'server')
    return {args: words.slice(1), flags: [], script: path.join('node_modules', 'fabric-shim', 'cli.js')}
  throw new FabError(
    'PROJECT',
    `${file}: scripts.start is "${start}"; fabk8s dev runs \`node FILE\` or \`fabric-chaincode-node server\``,
    {
      hint: 'set "start": "node lib/server.js" (the path of the chaincode server) in package.json',
    },
  )
}

class NodeRunner extends BaseRunner {
  private readonly entry: {args: string[]; flags: string[]; script: string}
  private firstCompile: () => void = () => {}
  private readonly preload: string[]
  private spare?: Proc
  private started = false
  private tsc?: Proc
  private tscOutput: string[] = []
  private tscT0 = process.hrtime.bigint()

  private readonly typescript: boolean

  constructor(o: RunnerOptions) {
    super(o)
    this.typescript = o.project.language === 'typescript'
    if (!existsSync(path.join(this.dir, 'node_modules')))
      throw new FabError('PROJECT', `${this.dir}: no node_modules; install the dependencies first (npm install)`)
    this.entry = nodeEntry(this.dir)
    this.preload = PRELOAD
  }

  protected override afterLaunch(): void {
    // the next start takes a process that has loaded the dependencies already
    if (!this.stopped) this.spare = this.newSpare()
  }

  protected async begin(): Promise<void> {
    if (!this.typescript) {
      await this.kick(() => this.relaunch(process.hrtime.bigint(), 0))
      this.watch(
        (rel) => /\.(c|m)?js$|\.json$/.test(rel),
        (files, t0) => this.kick(() => this.checkAndRelaunch(files, t0)),
      )
      return
    }

    const tscJs = path.join(this.dir, 'node_modules', 'typescript', 'bin', 'tsc')
    if (!existsSync(tscJs))
      throw new FabError('PROJECT', `${this.dir}: node_modules/typescript is missing; run npm install`)
    const first = new Promise<void>((resolve) => {
      this.firstCompile = resolve
    })
    this.o.emit({state: 'building', type: 'state'})
    this.tsc = startProc(
      process.execPath,
      [tscJs, '-p', 'tsconfig.json', '--watch', '--preserveWatchOutput', '--pretty', 'false'],
      {cwd: this.dir, env: process.env, onLine: (l) => this.onTscLine(l), state: this.state},
    )
    // a save seen by our own watcher marks the time the change was made (tsc reports it a little later)
    this.watch(
      (rel) => /\.(c|m)?tsx?$|\.json$/.test(rel),
      (_files, t0) => {
        this.tscT0 = t0
        this.o.emit({state: 'building', type: 'state'})
      },
    )
    await first
    this.started = true
  }

  protected command() {
    const inspect = this.o.debugPort === undefined ? [] : [`--inspect=127.0.0.1:${this.o.debugPort}`]
    return {args: [...inspect, ...this.entry.flags, this.entry.script, ...this.entry.args], cmd: process.execPath}
  }

  describe(): string {
    const inspect = this.o.debugPort === undefined ? '' : ` --inspect=127.0.0.1:${this.o.debugPort}`
    return `${this.typescript ? 'tsc --watch, then ' : ''}node${inspect} ${this.entry.script}`
  }

  protected override async halt(): Promise<void> {
    await Promise.all([this.tsc?.stop(), this.spare?.stop()])
    this.spare = undefined
  }

  protected override launchProc(): Proc {
    let {spare} = this
    this.spare = undefined
    if (!spare || spare.child.exitCode !== null || spare.child.signalCode !== null) spare = this.newSpare()
    spare.child.stdin!.end(
      JSON.stringify({args: this.entry.args, entry: this.entry.script, inspect: this.o.debugPort}) + '\n',
    )
    return spare
  }

  protected override onLine(line: string, stream: 'stderr' | 'stdout'): void {
    const m = /^Debugger listening on (ws:\/\/[^\s]+)/.exec(line)
    if (m) {
      this.o.emit({kind: 'node', port: this.o.debugPort!, type: 'debugger', url: m[1]})
      return
    }

    if (/^For help, see: https:\/\/nodejs\.org/.test(line)) return
    super.onLine(line, stream)
  }

  private async checkAndRelaunch(files: string[], t0: bigint): Promise<void> {
    this.o.emit({state: 'building', type: 'state'})
    const errors: BuildError[] = []
    let output = ''
    for (const f of files.filter((x) => /\.(c|m)?js$/.test(x) && existsSync(path.join(this.dir, x)))) {
      const r = await runCapture(process.execPath, ['--check', f], this.dir)
      if (r.code !== 0) {
        output += r.output
        errors.push(...parseNodeCheck(r.output, this.dir))
      }
    }

    if (output) {
      this.o.emit({errors, output: output.trim(), seconds: seconds(t0), type: 'build-failed'})
      return
    }

    await this.relaunch(t0, seconds(t0))
  }

  private newSpare(): Proc {
    const script = fileURLToPath(new URL('node-spare.cjs', import.meta.url))
    return startProc(process.execPath, [...this.entry.flags, script], {
      cwd: this.dir,
      env: {
        ...process.env,
        ...this.o.env,
        FABK8S_DEV_DIR: this.dir,
        FABK8S_DEV_PRELOAD: JSON.stringify(this.preload),
      },
      onLine: (line, stream) => this.onLine(line, stream),
      state: this.state,
      stdin: true,
    })
  }

  private onTscLine(line: string): void {
    const text = line.replace(/^\S*\d+:\d+:\d+\s*(AM|PM)?\s*-\s*/, '')
    if (/File change detected|Starting compilation/.test(text)) {
      // our own watcher has reported the save already, unless tsc saw one it did not
      if (/File change detected/.test(text) && !this.tscT0Fresh()) {
        this.tscT0 = process.hrtime.bigint()
        this.o.emit({files: [], type: 'change'})
      }

      if (this.started) this.o.emit({state: 'building', type: 'state'})
      this.tscOutput = []
      return
    }

    const found = /Found (\d+) errors?\. Watching for file changes/.exec(text)
    if (!found) {
      if (line.trim()) this.tscOutput.push(line)
      return
    }

    const t0 = this.tscT0
    const buildSeconds = seconds(t0)
    if (found[1] === '0') {
      this.kick(() => this.relaunch(t0, buildSeconds)).finally(() => this.firstCompile())
    } else {
      const output = this.tscOutput.join('\n')
      this.o.emit({errors: parseTscErrors(output, this.dir), output, seconds: buildSeconds, type: 'build-failed'})
      this.o.emit({state: 'watching', type: 'state'})
      this.firstCompile()
    }
  }

  /** Whether our watcher saw the save that tsc now reports (within the last 2 s). */
  private tscT0Fresh(): boolean {
    return Number(process.hrtime.bigint() - this.tscT0) < 2e9
  }
}

/** What the spare loads ahead: the Fabric runtime's heavy libraries that read nothing (argv, env) when they load. */
const PRELOAD = [
  '@grpc/grpc-js',
  '@hyperledger/fabric-protos',
  'winston',
  'ajv',
  'class-transformer',
  'reflect-metadata',
]

// ---------------------------------------------------------------------------------------------------- Go

class GoRunner extends BaseRunner {
  private readonly bin: string
  private dlv?: string
  /** What Delve printed before its API server listened (why it did not, when it exits instead). */
  private dlvSaid = ''
  /** Delve's API server listens (a start that fails after that is the chaincode's own failure). */
  private dlvUp = false
  private readonly go: string

  constructor(o: RunnerOptions) {
    super(o)
    const go = which(['go'])
    if (!go) throw new FabError('PROJECT', 'fabk8s dev runs Go chaincode with the go tool, which is not on PATH')
    this.go = go
    const gopath = process.env.GOPATH || path.join(os.homedir(), 'go')
    this.dlv = o.debugPort === undefined ? undefined : which(['dlv'], [path.join(gopath, 'bin')])
    this.bin = path.join(path.dirname(this.state), `${path.basename(this.state, '.json')}-${o.project.name}`)
    this.scratch.push(this.bin)
  }

  protected async begin(): Promise<void> {
    if (this.o.debugPort !== undefined && !this.dlv)
      this.o.emit({
        message:
          'Delve (dlv) is not installed, so the Go chaincode runs without a debugger; install it with `go install github.com/go-delve/delve/cmd/dlv@latest`',
        type: 'note',
      })
    await this.kick(() => this.buildAndRelaunch(process.hrtime.bigint()))
    this.watch(
      (rel) => /\.go$|(^|\/)go\.(mod|sum)$/.test(rel),
      (_files, t0) => this.kick(() => this.buildAndRelaunch(t0)),
    )
  }

  protected command() {
    if (!this.dlv) return {args: [], cmd: this.bin}
    return {
      args: [
        'exec',
        '--headless',
        `--listen=127.0.0.1:${this.o.debugPort}`,
        '--api-version=2',
        '--accept-multiclient',
        '--continue',
        this.bin,
      ],
      cmd: this.dlv,
    }
  }

  override debugger() {
    return this.dlv ? super.debugger() : undefined
  }

  describe(): string {
    return this.dlv
      ? `go build, then dlv exec --headless --listen=127.0.0.1:${this.o.debugPort}`
      : 'go build, then the program'
  }

  protected override launchProc(): Proc {
    this.dlvSaid = ''
    this.dlvUp = false
    const proc = super.launchProc()
    if (!this.dlv) return proc
    // Delve asked to stop (SIGTERM) halts and kills its program itself, which takes half a second; the program
    // gets no graceful stop under Delve either way, so end it at once, then Delve
    const stop = proc.stop.bind(proc)
    proc.stop = async (graceMs) => {
      for (const pid of childPids(proc.pid)) {
        try {
          process.kill(pid, 'SIGKILL')
        } catch {
          // gone already
        }
      }

      return stop(graceMs)
    }

    return proc
  }

  protected override onLine(line: string, stream: 'stderr' | 'stdout'): void {
    if (line.startsWith('API server listening at: ')) {
      this.dlvUp = true
      this.o.emit({kind: 'delve', port: this.o.debugPort!, type: 'debugger'})
      return
    }

    if (this.dlv && !this.dlvUp && line.trim()) this.dlvSaid = line.trim()
    super.onLine(line, stream)
  }

  private async buildAndRelaunch(t0: bigint): Promise<void> {
    this.o.emit({state: 'building', type: 'state'})
    // under Delve: no optimisations, no inlining; DWARF left uncompressed (the linker and Delve skip zlib, ~0.1 s
    // each) unless GOFLAGS has -ldflags of its own, which a -ldflags here would replace
    const flags = this.dlv
      ? ['-gcflags=all=-N -l', ...(/-ldflags/.test(process.env.GOFLAGS ?? '') ? [] : ['-ldflags=-compressdwarf=false'])]
      : []
    const r = await runCapture(this.go, ['build', ...flags, '-o', this.bin, '.'], this.dir)
    const buildSeconds = seconds(t0)
    if (r.code !== 0) {
      const output = r.output.trim()
      this.o.emit({errors: parseGoErrors(output, this.dir), output, seconds: buildSeconds, type: 'build-failed'})
      return
    }

    try {
      await this.relaunch(t0, buildSeconds)
    } catch (error) {
      // Delve that cannot run (its port taken, no ptrace in a container, too old for the Go toolchain) must not
      // keep the chaincode down: say why, and run the program without a debugger (as node does when --inspect fails)
      if (!this.dlv || this.dlvUp || this.launched) throw error
      this.o.emit({
        message: `Delve could not run the chaincode (${this.dlvSaid || (error as Error).message}); running it without a debugger`,
        type: 'note',
      })
      this.dlv = undefined
      await this.buildAndRelaunch(t0)
    }
  }
}

// ---------------------------------------------------------------------------------------------------- Java

class JavaRunner extends BaseRunner {
  private classpath = ''
  private readonly classpathFile: string
  private readonly java: string
  private readonly mainClass: string
  private readonly mvn: string

  constructor(o: RunnerOptions) {
    super(o)
    const pom = path.join(this.dir, 'pom.xml')
    if (!existsSync(pom)) {
      const gradle = ['build.gradle', 'build.gradle.kts'].some((f) => existsSync(path.join(this.dir, f)))
      throw new FabError(
        'PROJECT',
        `${this.dir}: fabk8s dev builds Java chaincode with Maven (pom.xml)${gradle ? '; Gradle projects are not supported yet' : ''}`,
        {hint: "use --in-cluster, which builds the image with the project's Dockerfile"},
      )
    }

    const main = /<mainClass>\s*([\w.$]+)\s*<\/mainClass>/.exec(readFileSync(pom, 'utf8'))
    if (!main)
      throw new FabError('PROJECT', `${pom}: no <mainClass>: fabk8s dev runs the class the jar's manifest names`, {
        hint: 'name the server class in the shade (or jar) plugin: <mainClass>chaincode.Server</mainClass>',
      })
    this.mainClass = main[1]
    const mvnw = path.join(this.dir, 'mvnw')
    const mvn = existsSync(mvnw) ? mvnw : which(['mvn'])
    const java = which(['java'])
    if (!mvn || !java)
      throw new FabError(
        'PROJECT',
        `fabk8s dev runs Java chaincode with ${mvn ? 'java' : 'Maven (mvn)'}, which is not on PATH`,
      )
    this.mvn = mvn
    this.java = java
    this.classpathFile = path.join(path.dirname(this.state), `${path.basename(this.state, '.json')}.classpath`)
    this.scratch.push(this.classpathFile)
  }

  protected async begin(): Promise<void> {
    await this.kick(() => this.buildAndRelaunch(process.hrtime.bigint(), true))
    this.watch(
      (rel) => /^src\/main\//.test(rel) || rel === 'pom.xml',
      (files, t0) => this.kick(() => this.buildAndRelaunch(t0, files.includes('pom.xml'))),
    )
  }

  protected command() {
    const jdwp =
      this.o.debugPort === undefined
        ? []
        : [`-agentlib:jdwp=transport=dt_socket,server=y,suspend=n,address=127.0.0.1:${this.o.debugPort}`]
    const cp = [path.join(this.dir, 'target', 'classes'), this.classpath].filter(Boolean).join(path.delimiter)
    return {args: [...jdwp, '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-cp', cp, this.mainClass], cmd: this.java}
  }

  describe(): string {
    const jdwp = this.o.debugPort === undefined ? '' : ` with JDWP on 127.0.0.1:${this.o.debugPort}`
    return `mvn compile, then java ${this.mainClass}${jdwp}`
  }

  protected override onLine(line: string, stream: 'stderr' | 'stdout'): void {
    if (line.startsWith('Listening for transport dt_socket at address: ')) {
      this.o.emit({kind: 'jdwp', port: this.o.debugPort!, type: 'debugger'})
      return
    }

    super.onLine(line, stream)
  }

  private async buildAndRelaunch(t0: bigint, classpath: boolean): Promise<void> {
    this.o.emit({state: 'building', type: 'state'})
    if (classpath) {
      const r = await runCapture(
        this.mvn,
        ['-B', '-q', '-Dstyle.color=never', 'dependency:build-classpath', `-Dmdep.outputFile=${this.classpathFile}`],
        this.dir,
      )
      if (r.code !== 0) {
        const output = r.output.trim()
        this.o.emit({errors: parseJavaErrors(output, this.dir), output, seconds: seconds(t0), type: 'build-failed'})
        return
      }

      this.classpath = readFileSync(this.classpathFile, 'utf8').trim()
    }

    const r = await runCapture(this.mvn, ['-B', '-q', '-Dstyle.color=never', 'compile'], this.dir)
    const buildSeconds = seconds(t0)
    if (r.code !== 0) {
      const output = r.output.trim()
      this.o.emit({errors: parseJavaErrors(output, this.dir), output, seconds: buildSeconds, type: 'build-failed'})
      return
    }

    await this.relaunch(t0, buildSeconds)
  }
}

/** Run a command to completion, stdout and stderr together. */
async function runCapture(cmd: string, args: string[], cwd: string): Promise<{code: number; output: string}> {
  const {spawn} = await import('node:child_process')
  return new Promise((resolve) => {
    const child = spawn(cmd, args, {cwd, env: process.env, stdio: ['ignore', 'pipe', 'pipe']})
    let output = ''
    child.stdout.on('data', (d) => {
      output += d
    })
    child.stderr.on('data', (d) => {
      output += d
    })
    child.on('error', (error) => resolve({code: -1, output: error.message}))
    child.on('close', (code) => resolve({code: code ?? -1, output}))
  })
}

export function createRunner(o: RunnerOptions): Runner {
  switch (o.project.language) {
    case 'go': {
      return new GoRunner(o)
    }

    case 'java': {
      return new JavaRunner(o)
    }

    case 'javascript':
    case 'typescript': {
      return new NodeRunner(o)
    }

    default: {
      throw new FabError('PROJECT', `fabk8s dev: language ${o.project.language} is not supported yet`)
    }
  }
}
