import {Flags} from '@oclif/core'

import type {LoadResult} from '../lib/image/load.js'

import {BaseCommand} from '../base-command.js'
import {usageError} from '../lib/errors.js'
import {checkImageFlag} from '../lib/image/ref.js'

export default class Load extends BaseCommand<typeof Load> {
  static override description = `Load the chaincode image into every node of a kind cluster.

Without --image, the image Docker has under fabk8s.yaml \`image\`, by the tag of its build
(<image>-<12 hex of its ID>, as \`fabk8s build\` tags it), which \`fabk8s deploy\` runs. Finds the nodes the way
kind does (containers labelled io.x-k8s.kind.cluster=<name>) and streams \`docker save\` into each node's containerd
(namespace k8s.io), nodes in parallel, skipping nodes that already have the same image ID. Needs no kind binary.

After importing into a node, removes from it the older build tags of the same image, except those Docker still has
(\`fabk8s build\` keeps the 3 newest) and those of images a container on the node uses.`
  static override examples = [
    '<%= config.bin %> load',
    '<%= config.bin %> load --cluster dev --image kv:0.2.0',
    '<%= config.bin %> build && <%= config.bin %> load --json',
  ]
  static override flags = {
    cluster: Flags.string({description: 'kind cluster name (default: fabk8s.yaml kind.cluster, then "kind")'}),
    force: Flags.boolean({default: false, description: 'import even into nodes that already have the image'}),
    image: Flags.string({char: 'i', description: 'image to load (default: fabk8s.yaml image)'}),
    nodes: Flags.string({description: 'only these node containers (comma-separated)'}),
    verbose: Flags.boolean({char: 'v', default: false, description: 'show every step'}),
  }

  protected async execute(): Promise<LoadResult> {
    checkImageFlag(this.flags.image)
    const only = this.flags.nodes
      ?.split(',')
      .map((s) => s.trim())
      .filter(Boolean)
    // an empty list (an unset variable: --nodes "$NODES") names no node; taken as none given, every node would get it
    if (only?.length === 0) throw usageError(`--nodes "${this.flags.nodes}": no node name`, 'see --help')
    // Without --image we need fabk8s.yaml; with --image and --cluster the project is optional.
    const needProject = !this.flags.image || !this.flags.cluster
    const project = needProject ? await this.project() : await this.project().catch(() => {})
    const {loadTasks} = await import('../lib/image/load.js')
    // the project's image under the tag of its build, which `deploy` runs
    let {image} = this.flags
    if (!image) {
      const {projectRunImage} = await import('../lib/image/tags.js')
      image = (await projectRunImage(project!)).image
    }

    const list = await loadTasks(
      {
        cluster: this.flags.cluster ?? project?.kind.cluster ?? 'kind',
        clusterWhy: this.flags.cluster ? '--cluster' : project ? 'kind.cluster in fabk8s.yaml' : 'the default name',
        force: this.flags.force,
        image,
        nodes: only,
      },
      {warn: (l) => this.note(l)},
    )
    const r = await this.runTasks(list, {verbose: this.flags.verbose})
    const loaded = r.nodes.filter((n) => n.action === 'loaded').map((n) => n.name)
    const skipped = r.nodes.filter((n) => n.action === 'skipped').map((n) => n.name)
    this.say(
      `${r.image} (${r.id.slice(0, 19)}) in kind cluster "${r.cluster.cluster}": ` +
        [
          loaded.length > 0 ? `loaded into ${loaded.join(', ')}` : '',
          skipped.length > 0 ? `already on ${skipped.join(', ')}` : '',
        ]
          .filter(Boolean)
          .join('; '),
    )
    for (const n of r.nodes) {
      if (n.pruned.length > 0)
        this.note(`removed ${n.pruned.length} older build tag(s) from ${n.name}: ${n.pruned.join(', ')}`)
      for (const e of n.pruneErrors ?? []) this.note(`warning: ${e}`)
    }

    return r
  }
}
