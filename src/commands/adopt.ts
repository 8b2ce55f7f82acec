import {Args, Flags} from '@oclif/core'

import type {LineChange} from '../lib/adopt/go.js'
import type {Language} from '../lib/project/schema.js'

import {BaseCommand} from '../base-command.js'

export interface AdoptResult {
  /** How the image builds the project (e.g. "npm ci, npm run build", "go build ./cmd/fabk8s-server"). */
  build: string
  /** Lines of the project's own files that change (applied only with --write). */
  changes: LineChange[]
  dir: string
  dryRun: boolean
  /** Files the project already has where adopt adds one (refused without --force). */
  existing: string[]
  /** keep: the project's fabk8s.yaml, never replaced (bytes: what adopt would have written) */
  files: {action: 'add' | 'change' | 'keep' | 'replace'; bytes: number; path: string}[]
  language: Language
  name: string
  notes: string[]
  version: string
  written: boolean
}

export default class Adopt extends BaseCommand<typeof Adopt> {
  static override args = {
    dir: Args.string({default: '.', description: 'the chaincode project folder'}),
  }
  static override description = `Turn an existing chaincode project into a fabk8s project, without touching its contract code.

Detects the language and build (package.json with fabric-contract-api, TypeScript when it has a tsconfig and a
build script; go.mod with fabric-contract-api-go or fabric-chaincode-go; pom.xml or build.gradle[.kts] with
fabric-chaincode-shim) and adds fabk8s.yaml, a multi-stage Dockerfile that builds the project the way its own
build does, .dockerignore, and the chaincode-as-a-service entry point (the same environment variables as the
fabk8s scaffolds). When the contracts are declared in Go's package main, one line of main must change: adopt
shows it, and --write applies it. Writes all or nothing; never replaces a file without --force, and never replaces
the project's fabk8s.yaml.`
  static override examples = [
    '<%= config.bin %> adopt --dry-run',
    '<%= config.bin %> adopt ./asset-transfer --namespace chaincode',
    '<%= config.bin %> adopt --write --json',
  ]
  static override flags = {
    'chaincode-version': Flags.string({description: "chaincode version [default: the project's version, else 1.0]"}),
    channel: Flags.string({description: 'Fabric channel [default: mychannel]'}),
    cluster: Flags.string({description: 'kind cluster name [default: kind]'}),
    'dry-run': Flags.boolean({
      default: false,
      description: 'list every file that would be added or changed; write nothing',
    }),
    force: Flags.boolean({
      default: false,
      description: 'replace files the project already has (Dockerfile, .dockerignore, ...; never fabk8s.yaml)',
    }),
    name: Flags.string({
      description: 'chaincode name [default: from package.json, go.mod, pom.xml or settings.gradle]',
    }),
    namespace: Flags.string({char: 'n', description: 'Kubernetes namespace for the chaincode [default: fabk8s]'}),
    port: Flags.integer({description: 'chaincode server port [default: 9999]', max: 65_535, min: 1}),
    write: Flags.boolean({
      default: false,
      description: "apply the change to the project's own files (Go: main's Start call), not only add files",
    }),
  }

  protected async execute(): Promise<AdoptResult> {
    const f = this.flags
    const {default: path} = await import('node:path')
    const {planAdoption} = await import('../lib/adopt/plan.js')
    const {applyAdoption, refusal} = await import('../lib/adopt/apply.js')
    const dir = path.resolve(this.args.dir ?? '.')
    const plan = await planAdoption(dir, {
      channel: f.channel,
      cluster: f.cluster,
      name: f.name,
      namespace: f.namespace,
      port: f.port,
      version: f['chaincode-version'],
    })
    const changes = plan.files.flatMap((x) => x.lines ?? [])
    const result: AdoptResult = {
      build: plan.build,
      changes,
      dir,
      dryRun: f['dry-run'],
      existing: plan.existing,
      files: plan.files.map((x) => ({
        action: x.action === 'add' && plan.existing.includes(x.path) ? 'replace' : x.action,
        bytes: x.content.length,
        path: x.path,
      })),
      language: plan.language,
      name: plan.name,
      notes: plan.notes,
      version: plan.version,
      written: false,
    }
    let writerNote: string | undefined
    if (!f['dry-run']) {
      writerNote = (await applyAdoption(plan, {force: f.force, write: f.write})).note
      result.written = true
    }

    const {c} = await import('../lib/ui/colors.js')
    const rel = path.relative(process.cwd(), dir) || '.'
    const what = `${plan.name} (${plan.language}; the image runs ${plan.build})`
    if (f['dry-run']) {
      this.say(`Would adopt ${what} in ${rel}:`)
      for (const x of result.files) {
        const tag = {add: 'add', change: 'change', keep: 'keep (yours)', replace: 'replace (exists: needs --force)'}[
          x.action
        ]
        this.say(`  ${tag.padEnd(7)} ${x.path} ${c.dim(`(${x.bytes} bytes)`)}`)
      }

      for (const ch of changes) {
        this.say('')
        this.say(`  ${ch.file}:${ch.line} (applied with --write):`)
        this.say(c.bad(`  - ${ch.before}`))
        this.say(c.good(`  + ${ch.after}`))
      }

      const why = refusal(plan, {force: f.force, write: f.write})
      if (why) {
        this.say('')
        this.say(`${c.warn('!')} ${why.message.replace(/; nothing was written$/, '')}`)
      }
    } else {
      this.say(`${c.good('✔')} Adopted ${what} in ${rel}`)
      for (const x of result.files)
        this.say(
          `  ${{add: 'added  ', change: 'changed', keep: 'kept   ', replace: 'replaced'}[x.action]} ${x.path}${x.action === 'keep' ? c.dim(' (yours: adopt writes one only where there is none)') : ''}`,
        )
      this.say('')
      this.say('Next:')
      if (rel !== '.') this.say(`  cd ${rel}`)
      // without a network section up builds, loads and deploys, but registers nothing: invoke has no chaincode yet
      this.say('  fabk8s network import SOURCE   # or fill in network: in fabk8s.yaml (orderer, orgs, peers)')
      this.say('  fabk8s up                      # build → load → package → deploy → register')
    }

    for (const n of plan.notes) this.note(`${c.dim('note:')} ${n}`)
    if (writerNote) this.note(writerNote)
    return result
  }
}
