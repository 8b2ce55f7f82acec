import {Flags} from '@oclif/core'

import type {DeployResult} from '../lib/kube/deploy.js'
import type {Manifest} from '../lib/kube/manifests.js'

import {BaseCommand, kubeFlags} from '../base-command.js'
import {duration} from '../flags/duration.js'
import {registry} from '../flags/registry.js'
import {FabError} from '../lib/errors.js'
import {checkImageFlag} from '../lib/image/ref.js'

export interface DryRunResult {
  dryRun: true
  image: string
  manifests: Manifest[]
  namespace: string
  packageId: string
}

export default class Deploy extends BaseCommand<typeof Deploy> {
  static override description = `Deploy the chaincode to Kubernetes as an ordinary Deployment and Service.

Server-side apply (field manager "fabk8s") of a Deployment, a Service and, with chaincode TLS on, a Secret holding the server's key and certificate, into the namespace (created when missing). When chaincode.address uses the ccaas builder's {{.peername}}, one Deployment and Service per peer name (network peers' peername), each named after the first label of the address that peer dials. The pod gets every CCaaS environment variable (CHAINCODE_SERVER_ADDRESS, CORE_CHAINCODE_ADDRESS, CHAINCODE_ID, CORE_CHAINCODE_ID, CORE_CHAINCODE_ID_NAME, and the TLS files for Node, Go and Java) with the package ID of the deterministic CCaaS package, meets Pod Security "restricted", and rolls out again whenever the package ID or the image changes. Without --image or a registry, the pods run the image Docker has under fabk8s.yaml image by the tag of its build (<image>-<12 hex of its ID>, as \`fabk8s build\` tags it and \`fabk8s load\` loads it), so a new build rolls out. Then waits for the rollout and, when it fails, says why (image not loaded, crash loop with the last log lines, unschedulable).`
  static override examples = [
    '<%= config.bin %> deploy',
    '<%= config.bin %> deploy --dry-run -o yaml | <%= config.bin %> doctor -f -',
    '<%= config.bin %> deploy --image kv:0.2.0 --timeout 5m',
    '<%= config.bin %> deploy --no-wait --json',
    '<%= config.bin %> deploy --registry ghcr.io/acme',
  ]
  static override flags = {
    ...kubeFlags,
    'dry-run': Flags.boolean({
      default: false,
      description: 'print the manifests instead of applying them (no cluster needed)',
    }),
    image: Flags.string({
      char: 'i',
      description: "image to run (default: fabk8s.yaml image, by its build's tag when Docker has it)",
    }),
    output: Flags.string({
      char: 'o',
      description: 'format of --dry-run output (default: yaml)',
      options: ['yaml', 'json'],
    }),
    registry: registry({
      description:
        'run the image by its digest in this registry (pushed by `up --registry` or `build --push`), host[:port][/path] (default: fabk8s.yaml image.registry)',
    }),
    'take-over': Flags.boolean({
      default: false,
      description:
        'replace the relay of a `fabk8s dev` session that is still running (else exit 11); that session then stops',
    }),
    timeout: duration('2m', {description: 'how long to wait for the rollout (90s, 5m, or seconds)'}),
    verbose: Flags.boolean({char: 'v', default: false, description: 'show every progress line'}),
    wait: Flags.boolean({allowNo: true, default: true, description: 'wait until the new pods are ready'}),
  }

  protected async execute(): Promise<DeployResult | DryRunResult> {
    if (this.flags.output && !this.flags['dry-run'])
      throw new FabError('USAGE', `-o/--output ${this.flags.output} only applies with --dry-run`, {
        hint: 'fabk8s deploy --dry-run -o yaml',
      })
    // before the image is looked up in a registry (pushedDigest) or the package is built
    checkImageFlag(this.flags.image)
    const project = await this.project()
    const {buildPackage} = await import('../lib/fabric/package.js')
    const {packageId} = await buildPackage(project)
    const {deployTasks, planDeploy} = await import('../lib/kube/deploy.js')
    let {image} = this.flags
    const reg = this.flags.registry ?? project.imagePull?.registry
    if (reg) {
      const {pushedDigest} = await import('../lib/image/registry.js')
      image = await pushedDigest(image ?? project.image, reg, {signal: this.interruptSignal()})
    } else if (!image) {
      // the tag of the build Docker has (as `build` tags it and `load` loads it): a new build rolls out
      const {projectRunImage} = await import('../lib/image/tags.js')
      const run = await projectRunImage(project)
      image = run.image
      if (run.why) this.note(`note: running ${image} as fabk8s.yaml names it: ${run.why}`)
    }

    if (this.flags['dry-run']) {
      const plan = await planDeploy(project, {image, namespace: this.flags.namespace, packageId})
      if (!this.jsonEnabled()) {
        const {formatManifests} = await import('../lib/kube/manifests.js')
        process.stdout.write(await formatManifests(plan.manifests, (this.flags.output ?? 'yaml') as 'json' | 'yaml'))
      }

      return {dryRun: true, ...plan}
    }

    const list = await deployTasks(project, {
      context: this.flags.context,
      image,
      kubeconfig: this.flags.kubeconfig,
      namespace: this.flags.namespace,
      packageId,
      signal: this.interruptSignal(),
      takeOver: this.flags['take-over'],
      timeoutMs: this.flags.timeout,
      wait: this.flags.wait,
    })
    await this.noteKubeContext(list.clients)
    const r = await this.runTasks(list, {verbose: this.flags.verbose})
    const {c} = await import('../lib/ui/colors.js')
    const names = r.targets.map((x) => x.name)
    const where = `${names.length === 1 ? `deployment/${names[0]}` : `deployments ${names.join(', ')}`} in namespace ${r.namespace} (context ${r.context})`
    if (!r.changed)
      this.say(
        `${c.good('no change:')} ${where} already runs ${r.image} with package ID ${r.packageId}${r.ready ? ' (ready)' : ''}`,
      )
    else if (r.rolledOut)
      this.say(
        `${c.good(r.ready ? 'rolled out:' : 'applied:')} ${where}: ${r.image}, package ID ${r.packageId}${r.ready ? ', ready' : ' (not waiting; see fabk8s status)'}`,
      )
    else
      this.say(
        `${c.good('updated:')} ${where}: ${r.resources
          .filter((x) => x.action === 'configured' || x.action === 'created')
          .map((x) => `${x.kind.toLowerCase()}/${x.name}`)
          .join(', ')}; pods unchanged, package ID ${r.packageId}`,
      )
    if (r.removed.length > 0)
      this.say(
        `${c.good('removed:')} ${r.removed.map((x) => `${x.kind.toLowerCase()}/${x.name}`).join(', ')} (no longer in fabk8s.yaml)`,
      )
    // one Deployment per peer name: which peer dials which
    if (r.targets.length > 1)
      for (const x of r.targets)
        this.say(`  ${x.name}: ${x.address} for peername ${x.peername} (${x.peers.join(', ')})`)
    return r
  }
}
