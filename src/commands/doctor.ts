import {Errors, Flags} from '@oclif/core'

import {BaseCommand, kubeFlags} from '../base-command.js'
import {usageError} from '../lib/errors.js'

const FORMATS = ['text', 'json', 'sarif', 'junit'] as const
const FAIL_ON = ['critical', 'high', 'medium', 'low', 'info', 'none'] as const

export default class Doctor extends BaseCommand<typeof Doctor> {
  static override description = `Find docker.sock mounts, privileged Docker-in-Docker and Docker-launched chaincode in manifests, Helm output, CI files or a live cluster.

Reads files and directories (-f, recursive: Kubernetes manifests as multi-document YAML, kind: List or JSON; docker-compose files, .gitlab-ci.yml and GitHub Actions workflows for the Docker rules; "-f -" reads stdin) or the cluster (--cluster). Exit codes (doctor's own): 0 nothing at or above --fail-on, 1 findings at or above it, 2 an input could not be read or parsed, or the cluster could not be reached (2 wins); --fix: 4 when a fixed file cannot be written (no file is changed). Suppress with the annotation fabk8s.io/ignore: rule-a,rule-b (or all) or an ignore file; suppressed findings are counted.`
  static override examples = [
    '<%= config.bin %> doctor -f k8s/',
    '<%= config.bin %> doctor -f compose-test-net.yaml -f .gitlab-ci.yml -f .github/workflows/',
    'helm template my-peer ./chart | <%= config.bin %> doctor -f -',
    '<%= config.bin %> doctor -f deploy.yaml --format sarif --output doctor.sarif',
    '<%= config.bin %> doctor --cluster -n fabric --fail-on critical',
    '<%= config.bin %> doctor --list-rules',
  ]
  static override flags = {
    ...kubeFlags,
    cluster: Flags.boolean({
      default: false,
      description:
        'check the live cluster (all namespaces, or -n): workloads, their ConfigMaps, Fabric operator resources',
    }),
    diff: Flags.boolean({
      default: false,
      dependsOn: ['fix'],
      description: 'with --fix: print a unified diff of the fixes instead of writing files',
    }),
    'fail-on': Flags.string({
      default: 'high',
      description: 'exit 1 when a finding has this severity or worse',
      options: [...FAIL_ON],
    }),
    file: Flags.string({
      char: 'f',
      description:
        'file or directory to check: manifests, compose files, .gitlab-ci.yml, GitHub workflows (repeatable; "-" reads stdin)',
      multiple: true,
    }),
    fix: Flags.boolean({
      default: false,
      description:
        'rewrite the files for chaincode as a service (drop runtime-socket mounts and DinD sidecars, CORE_VM_ENDPOINT="", ccaas_builder); writes NAME.fixed.EXT beside each changed file',
    }),
    format: Flags.string({default: 'text', description: 'report format (--json implies json)', options: [...FORMATS]}),
    'ignore-file': Flags.string({
      description: 'ignore file (default: .fabk8s-doctor.yaml when present, here or up to the repository root)',
    }),
    'in-place': Flags.boolean({
      default: false,
      dependsOn: ['fix'],
      description: 'with --fix: replace the files themselves (atomically) instead of writing NAME.fixed.EXT',
      exclusive: ['diff'],
    }),
    'list-rules': Flags.boolean({default: false, description: 'list the rules and exit'}),
    output: Flags.string({char: 'o', description: 'write the report to this file instead of stdout'}),
  }

  protected async execute(): Promise<undefined> {
    const f = this.flags
    const json = this.jsonEnabled()
    if (f['list-rules']) {
      const {rulesJson, rulesText} = await import('../lib/doctor/report/rules.js')
      await write(json ? rulesJson() : rulesText())
      return undefined
    }

    if (!f.cluster && (!f.file || f.file.length === 0))
      throw usageError(
        'nothing to check: give -f FILE|DIR|- or --cluster',
        'e.g. fabk8s doctor -f k8s/, or helm template … | fabk8s doctor -f -',
      )
    if (!f.cluster && f.namespace) throw usageError('-n/--namespace only applies with --cluster')
    // oclif's dependsOn counts a boolean's default (false) as given
    if (!f.fix && (f.diff || f['in-place']))
      throw usageError(`--${f.diff ? 'diff' : 'in-place'} only applies with --fix`, 'fabk8s doctor --fix --diff -f FILE')
    if (json && !f.output && f.format !== 'text' && f.format !== 'json')
      throw usageError(
        `--format ${f.format} and --json: --json prints the JSON report on stdout`,
        `drop --json for ${f.format} on stdout, or add -o FILE to write ${f.format} there while --json prints JSON`,
      )

    if (f.fix) return this.fix()
    const {runDoctor} = await import('../lib/doctor/run.js')
    const report = await runDoctor({
      cluster: f.cluster ? {context: f.context, kubeconfig: f.kubeconfig, namespace: f.namespace} : undefined,
      failOn: f['fail-on'] as (typeof FAIL_ON)[number],
      files: f.file,
      ignoreFile: f['ignore-file'],
    })
    const {render} = await import('../lib/doctor/report/index.js')
    const format = (f.format ?? 'text') as (typeof FORMATS)[number]
    const opts = {version: this.config.version}
    if (f.output) {
      const {chalk} = await import('../lib/ui/colors.js')
      const {level} = chalk
      if (format === 'text') chalk.level = 0
      const {writeFileAtomic} = await import('../lib/doctor/report/write.js')
      try {
        await writeFileAtomic(f.output, await render(report, format, opts))
      } catch (error) {
        const e = error as NodeJS.ErrnoException
        throw usageError(
          `--output ${f.output}: cannot write the report (${e.code ?? e.message}); the previous report is unchanged`,
          'check that the folder exists, is writable and has space',
        )
      } finally {
        chalk.level = level
      }

      if (json) await write(await render(report, 'json'))
      else {
        const s = report.summary
        process.stderr.write(
          `doctor: ${s.findings} finding(s), ${s.suppressed} suppressed, ${s.errors} input error(s) in ${s.objects} object(s); ${format} report written to ${f.output}; exit ${s.exitCode}\n`,
        )
      }
    } else {
      await write(await render(report, json ? 'json' : format, opts))
    }

    if (report.summary.exitCode !== 0) throw new Errors.ExitError(report.summary.exitCode)
    return undefined
  }

  /** --fix: plan, apply and write (or diff) the migration; the exit code is doctor's on the fixed output. */
  private async fix(): Promise<undefined> {
    const f = this.flags
    if (f.output) throw usageError('--output does not apply with --fix (use --json for the result)')
    if (f.cluster) return this.fixCluster()
    const mode = f.diff ? 'diff' : f['in-place'] ? 'in-place' : 'beside'
    if (mode !== 'diff' && f.file!.includes('-'))
      throw usageError('--fix cannot write back to stdin', 'add --diff to print the changes')
    const {runFix} = await import('../lib/doctor/fix/run.js')
    // a file it cannot write is exit 4 (FILESYSTEM) naming the file, with nothing changed
    const r = await runFix({
      failOn: f['fail-on'] as (typeof FAIL_ON)[number],
      files: f.file!,
      ignoreFile: f['ignore-file'],
      mode,
    })
    if (this.jsonEnabled()) await write(JSON.stringify(r, null, 2) + '\n')
    else {
      const {renderFix} = await import('../lib/doctor/report/fix.js')
      await write(renderFix(r))
    }

    if (r.summary.exitCode !== 0) throw new Errors.ExitError(r.summary.exitCode)
    return undefined
  }

  /**
   * --fix --cluster: print, never apply. stdout gets each changed object whole (a YAML stream to review and pass to
   * `kubectl apply --server-side`), or with --diff the diffs; stderr the summary. --json: the result with `patches`.
   */
  private async fixCluster(): Promise<undefined> {
    const f = this.flags
    if (f['in-place']) throw usageError('--in-place does not apply with --cluster: doctor never changes the cluster')
    if (f.file?.length) throw usageError('--fix takes either -f or --cluster, not both')
    const {clusterFix} = await import('../lib/doctor/fix/cluster.js')
    const r = await clusterFix(
      {context: f.context, kubeconfig: f.kubeconfig, namespace: f.namespace},
      {failOn: f['fail-on'] as (typeof FAIL_ON)[number], ignoreFile: f['ignore-file']},
    )
    if (this.jsonEnabled()) await write(JSON.stringify(r, null, 2) + '\n')
    else {
      const {renderFix} = await import('../lib/doctor/report/fix.js')
      const {visible} = await import('../lib/doctor/report/text.js')
      await write(
        f.diff
          ? r.patches.map((p) => p.diff).join('')
          : r.patches
              .map(
                (p) =>
                  `# ${visible(p.object)}: review, then kubectl apply --server-side --force-conflicts -f <this file>\n${p.manifest}`,
              )
              .join('---\n'),
      )
      process.stderr.write(
        renderFix(
          {...r, files: [], summary: {...r.summary, mode: 'diff'}},
          `${r.patches.length} changed object(s) ${f.diff ? 'as diffs ' : ''}on stdout; the cluster is not changed`,
        ),
      )
    }

    if (r.summary.exitCode !== 0) throw new Errors.ExitError(r.summary.exitCode)
    return undefined
  }
}

function write(s: string): Promise<void> {
  return new Promise((resolve, reject) => {
    process.stdout.write(s, (err) => (err ? reject(err) : resolve()))
  })
}
