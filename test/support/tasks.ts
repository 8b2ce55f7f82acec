/**
 * Library task lists run the way a command under --json runs them (the real renderer, silent), behind the call
 * shapes the tests used before libraries returned task lists: build(project, opts), load(opts),
 * deploy(project, opts) (which builds the package ID once, as the deploy command does).
 */
import type {ProjectConfig} from '../../src/lib/project/schema.js'

import {buildPackage} from '../../src/lib/fabric/package.js'
import {type BuildOptions, buildTasks} from '../../src/lib/image/build.js'
import {type LoadOptions, loadTasks} from '../../src/lib/image/load.js'
import {type DeployOptions, deployTasks, planDeploy} from '../../src/lib/kube/deploy.js'
import {runTasks} from '../../src/render/tasks.js'

type Quiet<T> = T & {json?: boolean}

export async function build(project: ProjectConfig, opts: Quiet<BuildOptions> = {}) {
  return runTasks(buildTasks(project, opts), {json: true})
}

export async function load(opts: Quiet<LoadOptions>) {
  return runTasks(await loadTasks(opts), {json: true})
}

export async function deploy(project: ProjectConfig, opts: Quiet<Omit<DeployOptions, 'packageId'>>) {
  const {packageId} = await buildPackage(project)
  return runTasks(await deployTasks(project, {...opts, packageId}), {json: true})
}

/** planDeploy with the package ID fabk8s.yaml builds. */
export async function planFor(project: ProjectConfig, opts: {image?: string; namespace?: string} = {}) {
  const {packageId} = await buildPackage(project)
  return planDeploy(project, {...opts, packageId})
}
