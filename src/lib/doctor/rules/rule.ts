import type {Analyzed, ContainerInfo} from '../model.js'
import type {Needle, RawFinding, RuleMeta} from '../types.js'

export interface Rule extends RuleMeta {
  check(a: Analyzed): RawFinding[]
}

/** Line hints pointing at a container (by name) and then at a key inside it. */
export function inContainer(c: ContainerInfo, ...rest: Needle[]): Needle[] {
  return [{key: 'name', value: c.name}, ...rest]
}

export function q(s: string): string {
  return JSON.stringify(s)
}
