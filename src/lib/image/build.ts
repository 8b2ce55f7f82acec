/**
 * `fabk8s build`: the project's image with the user's Docker engine. BuildKit (`docker buildx build --load`)
 * when the buildx plugin is there, else the classic builder (DOCKER_BUILDKIT=0). Progress shows the build
 * steps, --verbose every log line; a failure keeps the last lines of the log.
 */
import {existsSync, statSync} from 'node:fs'
import {mkdtemp, readFile, rm} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

import type {ProjectConfig} from '../project/schema.js'
import type {TaskList} from '../tasks.js'

import {secondsSince} from '../duration.js'
import {FabError, usageError} from '../errors.js'
import {stripAnsi} from '../ui/text.js'
import {docker, type EngineInfo, ensureEngine, type ImageInfo, inspectImage} from './docker.js'
import {isLatest, parseRef, tagProblem} from './ref.js'
import {pushTask} from './registry.js'
import {BUILD_HASH_LABEL, buildInputsHash, pruneBuildTags, tagImmutable} from './tags.js'

export type Builder = 'buildkit' | 'classic'

export interface BuildOptions {
  /** Sets the Dockerfile's BASE_IMAGE build argument. */
  baseImage?: string
  /** KEY=VALUE (or KEY, taken from the environment, as docker does). */
  buildArgs?: string[]
  /** Force a builder (default: buildkit when `docker buildx` works). Also FABK8S_BUILDER. */
  builder?: Builder
  /** Dockerfile path (default: <project>/Dockerfile). */
  dockerfile?: string
  /** Image labels (`--label k=v`); `fabk8s up` records the build inputs' hash this way. */
  labels?: Record<string, string>
  /** `docker build --network` (e.g. host, on engines started without a bridge). */
  network?: string
  noCache?: boolean
  /** Comma-separated os/arch[/variant] list. */
  platform?: string
  pull?: boolean
  push?: boolean
  /** Tag to build (default: fabk8s.yaml image, i.e. name:version). */
  tag?: string
  verbose?: boolean
}

export interface BuildResult {
  builder: Builder
  /**
   * The tag that names this build only (fabk8s.yaml image + 12 hex of the image ID), which `load` and `deploy` use:
   * set for the project's own build (no --tag, --file or --platform).
   */
  buildTag?: string
  /** Registry digest (repository@sha256:…) when the image was pushed or is known to the registry. */
  digest?: string
  id: string
  image: string
  /** Build tags of older builds removed from Docker (all but the KEEP_BUILDS newest). */
  pruned?: string[]
  seconds: number
  sizeBytes: number
}

const TAIL_LINES = 20
const PLATFORM_RE = /^[a-z0-9]+\/[a-z0-9_]+(?:\/[a-z0-9]+)?$/

export function validateBuildOptions(opts: BuildOptions): void {
  for (const a of opts.buildArgs ?? [])
    if (!/^[A-Za-z_][A-Za-z0-9_]*(=.*)?$/s.test(a)) throw usageError(`--build-arg "${a}": expected KEY=VALUE`)
  if (opts.platform)
    for (const p of opts.platform.split(','))
      if (!PLATFORM_RE.test(p.trim()))
        throw usageError(`--platform "${p}": expected os/arch[/variant], e.g. linux/amd64`)
  if (opts.baseImage !== undefined && !/^[^\s]+$/.test(opts.baseImage))
    throw usageError(`--base-image "${opts.baseImage}": expected an image reference`)
}

/** The docker argv for a build (without the `docker` itself). Exported for tests. */
export function buildArgv(
  contextDir: string,
  dockerfile: string,
  tag: string,
  iidFile: string,
  builder: Builder,
  opts: BuildOptions,
): string[] {
  // classic: --force-rm so a failed step leaves no stopped intermediate container behind
  const argv = builder === 'buildkit' ? ['buildx', 'build', '--progress=plain', '--load'] : ['build', '--force-rm']
  argv.push('--tag', tag, '--file', dockerfile, '--iidfile', iidFile)
  if (opts.baseImage) argv.push('--build-arg', `BASE_IMAGE=${opts.baseImage}`)
  for (const a of opts.buildArgs ?? []) argv.push('--build-arg', a)
  for (const [k, v] of Object.entries(opts.labels ?? {})) argv.push('--label', `${k}=${v}`)
  if (opts.noCache) argv.push('--no-cache')
  if (opts.pull) argv.push('--pull')
  if (opts.platform) argv.push('--platform', opts.platform)
  if (opts.network) argv.push('--network', opts.network)
  argv.push(contextDir)
  return argv
}

/** A build step from a log line, or undefined: classic `Step 3/9 : RUN …`, BuildKit `#7 [build 3/6] RUN …`. */
export function stepOf(line: string): string | undefined {
  const classic = /^Step (\d+\/\d+) : (.*)$/.exec(line)
  if (classic) return `step ${classic[1]}: ${classic[2]}`
  const bk = /^#\d+ \[([^\]]+\d+\/\d+)\] (.*)$/.exec(line)
  if (bk) return `[${bk[1]}] ${bk[2]}`
  return undefined
}

export function chooseBuilder(engine: EngineInfo, forced?: string): Builder {
  const f = forced ?? process.env.FABK8S_BUILDER
  if (f === 'classic' || f === 'buildkit') return f
  if (f) throw usageError(`FABK8S_BUILDER="${f}": expected classic or buildkit`)
  return engine.buildx ? 'buildkit' : 'classic'
}

export function resolveTag(project: Pick<ProjectConfig, 'image'>, tag?: string): string {
  const t = tag ?? project.image
  const bad = tagProblem(t)
  if (bad) throw usageError(`${tag === undefined ? 'fabk8s.yaml image' : '--tag'}: ${bad}`)
  return t
}

export interface BuildHooks {
  /** Warnings for the user (stderr in human mode). */
  warn?: (line: string) => void
}

/**
 * The build as a task list: check the engine, build (progress: the build steps, or every log line with --verbose),
 * push when asked. Bad options and a missing Dockerfile throw here, before any progress shows. A failed build's
 * error carries the last lines of the log (detail.logTail), without colour codes.
 */
export function buildTasks(
  project: ProjectConfig,
  opts: BuildOptions = {},
  hooks: BuildHooks = {},
): TaskList<BuildResult> {
  const tag = resolveTag(project, opts.tag)
  validateBuildOptions(opts)
  const dockerfile = path.resolve(project.dir, opts.dockerfile ?? 'Dockerfile')
  if (!existsSync(dockerfile) || !statSync(dockerfile).isFile())
    throw new FabError('DOCKER', `Dockerfile not found: ${dockerfile}`, {
      hint: opts.dockerfile
        ? 'check --file'
        : 'add a Dockerfile to the project (`fabk8s init` writes one) or pass --file',
    })
  if (isLatest(tag))
    hooks.warn?.(
      `warning: ${tag} is a :latest tag; kubelet pulls it with imagePullPolicy Always. Prefer an immutable tag (fabk8s.yaml image or --tag name:version).`,
    )

  // the project's own build, as `up` builds it: recorded with the hash of its inputs (so `up` keeps it) and tagged
  // with its immutable tag (what `load` and `deploy` use)
  const own =
    opts.tag === undefined && dockerfile === path.resolve(project.dir, 'Dockerfile') && opts.platform === undefined
  const started = process.hrtime.bigint()
  let builder: Builder | undefined
  let buildTag: string | undefined
  let pruned: string[] = []
  let info: ImageInfo | undefined
  const inspect = async () => {
    info = await inspectImage(tag)
    if (!info) throw new FabError('DOCKER', `the build finished but docker has no image ${tag}`)
  }

  return {
    interrupted: () =>
      info
        ? `built ${tag}${opts.push ? ', not pushed' : ''}`
        : `docker build stopped; the image ${tag} was not replaced`,
    result() {
      const repo = parseRef(tag)
      const digest = info!.repoDigests.find((d) => {
        const r = parseRef(d)
        return r.path === repo.path && r.domain === repo.domain
      })
      return {
        builder: builder!,
        ...(buildTag ? {buildTag} : {}),
        ...(digest ? {digest} : {}),
        id: info!.id,
        image: tag,
        ...(pruned.length > 0 ? {pruned} : {}),
        seconds: secondsSince(started),
        sizeBytes: info!.size,
      }
    },
    tasks: [
      {
        async run() {
          builder = chooseBuilder(await ensureEngine(), opts.builder)
          // docker's classic builder takes one platform; given several it fails with a message about the comma
          if (builder === 'classic' && opts.platform?.includes(','))
            throw usageError(
              `--platform ${opts.platform}: the classic builder builds one platform at a time; several need BuildKit (docker buildx)`,
              'install the docker buildx plugin, or give one platform, e.g. --platform linux/amd64',
            )
        },
        title: 'Checking the Docker engine',
      },
      {
        async run(t) {
          t.title = `Building ${tag} (${builder === 'buildkit' ? 'BuildKit' : 'classic builder'})`
          const tmp = await mkdtemp(path.join(os.tmpdir(), 'fabk8s-build-'))
          try {
            const iid = path.join(tmp, 'iid')
            const tail: string[] = []
            let lastStep: string | undefined
            let notice = false // the CLI's "legacy builder is deprecated" notice: noise for our users
            const labels = {...opts.labels}
            if (own) labels[BUILD_HASH_LABEL] ??= await buildInputsHash(project, opts)
            const r = await docker(buildArgv(project.dir, dockerfile, tag, iid, builder!, {...opts, labels}), {
              env: builder === 'classic' ? {DOCKER_BUILDKIT: '0'} : {DOCKER_BUILDKIT: '1'},
              onLine(raw) {
                const line = stripAnsi(raw)
                if (line.trim() === '') return
                if (line.startsWith('DEPRECATED: The legacy builder')) notice = true
                else if (notice && !/^\s/.test(line)) notice = false
                if (notice) return
                tail.push(line)
                if (tail.length > TAIL_LINES) tail.shift()
                const step = stepOf(line)
                if (step) lastStep = step
                if (opts.verbose) t.output(line)
                else if (step) t.output(step)
              },
              signal: t.signal,
            })
            if (r.code !== 0) {
              const missingBase =
                /pull access denied|manifest unknown|not found: manifest|no such host|failed to resolve source metadata/i.test(
                  tail.join('\n'),
                )
              throw new FabError('DOCKER', `docker build failed (exit ${r.code})${lastStep ? ` at ${lastStep}` : ''}`, {
                detail: {exitCode: r.code, logTail: tail, step: lastStep},
                hint: missingBase
                  ? 'the base image could not be pulled; pass --base-image with an image your engine has or can pull'
                  : opts.verbose
                    ? 'the whole build log is above (--verbose)'
                    : 'the last lines of the build log are above; rerun with --verbose for the whole log',
              })
            }

            const id = (await readFile(iid, 'utf8')).trim()
            t.title = `Built ${tag} (${id.slice(0, 19)})`
          } finally {
            await rm(tmp, {force: true, recursive: true})
          }

          await inspect()
          if (own) {
            buildTag = await tagImmutable(tag, info!.id)
            pruned = await pruneBuildTags(tag)
          }
        },
        title: `Building ${tag}`,
      },
      // build has no --registry: the registry is the image tag's
      pushTask(tag, {
        after: inspect,
        enabled: () => Boolean(opts.push),
        verbose: opts.verbose,
        where: `the registry in the image tag (${opts.tag === undefined ? 'fabk8s.yaml image' : '--tag'})`,
      }),
    ],
  }
}
