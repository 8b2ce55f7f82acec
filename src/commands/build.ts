import {Flags} from '@oclif/core'

import type {BuildResult} from '../lib/image/build.js'

import {BaseCommand} from '../base-command.js'
import {buildArg} from '../flags/build-arg.js'

export default class Build extends BaseCommand<typeof Build> {
  static override description = `Build the chaincode image with your Docker engine.

Uses the docker CLI, so DOCKER_HOST and docker contexts apply; BuildKit (docker buildx) when available, else the
classic builder. The tag is fabk8s.yaml \`image\` (default name:version, never latest) unless --tag is given; the
project's own build (no --tag, --file or --platform) is also tagged <image>-<12 hex of its ID>, the tag that
\`fabk8s load\` and \`fabk8s deploy\` use, and records the hash of its inputs, so that \`fabk8s up\` keeps it. Of
those build tags Docker keeps the 3 newest builds' (build and up remove older ones, so an edit loop does not pile
up images).`
  static override examples = [
    '<%= config.bin %> build',
    '<%= config.bin %> build --tag registry.example.com/acme/kv:1.2.0 --push',
    '<%= config.bin %> build --base-image node:20-bookworm-slim --build-arg NPM_REGISTRY=https://npm.example.com --json',
  ]
  static override flags = {
    'base-image': Flags.string({description: 'base image for the Dockerfile (sets the BASE_IMAGE build argument)'}),
    'build-arg': buildArg({description: 'build argument KEY=VALUE (repeatable)', multiple: true}),
    file: Flags.string({char: 'f', description: 'Dockerfile (default: Dockerfile in the project folder)'}),
    network: Flags.string({description: 'network for RUN steps (docker build --network), e.g. host'}),
    'no-cache': Flags.boolean({default: false, description: 'build without the layer cache'}),
    platform: Flags.string({description: 'target platform(s), e.g. linux/amd64 or linux/amd64,linux/arm64'}),
    pull: Flags.boolean({default: false, description: 'always pull a newer base image'}),
    push: Flags.boolean({default: false, description: 'push the image to the registry in its tag after building'}),
    tag: Flags.string({char: 't', description: 'image tag (default: fabk8s.yaml image, i.e. name:version)'}),
    verbose: Flags.boolean({char: 'v', default: false, description: 'show the full build log'}),
  }

  protected async execute(): Promise<BuildResult> {
    const project = await this.project()
    const {buildTasks} = await import('../lib/image/build.js')
    const list = buildTasks(
      project,
      {
        baseImage: this.flags['base-image'],
        buildArgs: this.flags['build-arg'],
        dockerfile: this.flags.file,
        network: this.flags.network,
        noCache: this.flags['no-cache'],
        platform: this.flags.platform,
        pull: this.flags.pull,
        push: this.flags.push,
        tag: this.flags.tag,
        verbose: this.flags.verbose,
      },
      {warn: (l) => this.note(l)},
    )
    const r = await this.runTasks(list, {verbose: this.flags.verbose})
    this.say(
      `${r.buildTag ?? r.image}  ${r.id.slice(0, 19)}  ${(r.sizeBytes / 1e6).toFixed(1)} MB  ${r.seconds.toFixed(1)}s${r.digest ? `  ${r.digest}` : ''}`,
    )
    if (r.pruned) this.note(`removed ${r.pruned.length} older build tag(s) from Docker: ${r.pruned.join(', ')}`)
    return r
  }
}
