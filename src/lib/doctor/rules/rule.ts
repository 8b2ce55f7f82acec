import type {Analyzed, ContainerInfo} from '../model/types.js'
import type {InputKind, Needle, RawFinding, RuleMeta} from '../types.js'

export interface Rule extends RuleMeta {
  check(a: Analyzed): RawFinding[]
  /** The inputs this rule reads (default: Kubernetes objects only). */
  inputs?: readonly InputKind[]
}

/** Every input: the Docker rules read compose services and CI jobs as well as Kubernetes objects. */
export const ALL_INPUTS: readonly InputKind[] = ['kubernetes', 'compose', 'gitlab-ci', 'github-actions']
export const KUBERNETES_ONLY: readonly InputKind[] = ['kubernetes']

/** What a per-container check returns for one container: the finding without its container (added for it). */
export type ContainerFinding = Omit<RawFinding, 'container'> & {container?: RawFinding['container']}

/**
 * A rule body run once per container of the object's workload (kube-linter's PerContainerCheck): the helper walks
 * the containers, skips objects without a workload, and names the container on each finding.
 */
export function perContainer(
  fn: (c: ContainerInfo, a: Analyzed) => ContainerFinding | ContainerFinding[] | null | undefined,
): (a: Analyzed) => RawFinding[] {
  return (a) => {
    const w = a.workload
    if (!w) return NONE
    let out: RawFinding[] | undefined
    for (const c of w.containers) {
      const r = fn(c, a)
      if (!r) continue
      out ??= []
      // the body's findings are fresh objects: name the container in place
      if (Array.isArray(r)) for (const f of r) out.push(named(f, c))
      else out.push(named(r, c))
    }

    return out ?? NONE
  }
}

const NONE: RawFinding[] = []

function named(f: ContainerFinding, c: ContainerInfo): RawFinding {
  if (f.container === undefined) f.container = c.name
  return f as RawFinding
}

/** Line hints pointing at a container and then at a key inside it. */
export function inContainer(c: ContainerInfo, ...rest: Needle[]): Needle[] {
  return [...c.at, ...rest]
}

export function q(s: string): string {
  return JSON.stringify(s)
}
