/**
 * Cross-object facts: the ConfigMaps of the same input (or the cluster) by namespace/name, and the `core.yaml` a
 * ConfigMap may hold (its `vm.endpoint` and `chaincode.externalBuilders`), parsed once per ConfigMap.
 */
import jsyaml from 'js-yaml'

import {boundedYamlValue} from '../input/bounds.js'
import {type Analyzed, type ConfigMapLookup, type CoreYaml, isNil, type Obj} from './types.js'

export class ConfigMapIndex implements ConfigMapLookup {
  private readonly byName = new Map<string, Obj[]>()
  private readonly coreCache = new Map<Obj, CoreYaml | null>()

  get size(): number {
    return this.byName.size
  }

  add(cm: Obj): void {
    const name = cm?.metadata?.name
    if (typeof name !== 'string') return
    const list = this.byName.get(name)
    if (list) list.push(cm)
    else this.byName.set(name, [cm])
  }

  /** The parsed `core.yaml` key of a ConfigMap, if it has one . */
  coreYaml(cm: Obj): CoreYaml | null {
    if (this.coreCache.has(cm)) return this.coreCache.get(cm)!
    let out: CoreYaml | null = null
    const text = cm?.data?.['core.yaml']
    if (typeof text === 'string') {
      try {
        const core = jsyaml.load(text, {json: true}) as Obj
        if (boundedYamlValue(text, core)) throw new Error('unbounded aliases')
        const eb = core?.chaincode?.externalBuilders
        const ep = core?.vm?.endpoint
        out = {
          externalBuilders: Array.isArray(eb) ? eb : [],
          vmEndpoint: typeof ep === 'string' ? ep : isNil(ep) ? null : String(ep),
        }
      } catch {
        out = null
      }
    }

    this.coreCache.set(cm, out)
    return out
  }

  /** A ConfigMap by name, preferring the same namespace; objects without a namespace match any. */
  get(namespace: null | string, name: string): Obj | undefined {
    const list = this.byName.get(name)
    if (!list) return undefined
    const exact = list.find((cm) => (cm.metadata?.namespace ?? null) === namespace)
    if (exact) return exact
    return list.find((cm) => !cm.metadata?.namespace || !namespace)
  }

  /** Whether a ConfigMap of that name (any namespace) has been seen. */
  has(name: string): boolean {
    return this.byName.has(name)
  }
}

/** Names of the ConfigMaps an object's pod spec refers to (envFrom, valueFrom, configMap and projected volumes). */
export function configMapRefs(a: Analyzed): string[] {
  const w = a.workload
  if (!w) return []
  const out: string[] = []
  for (const c of w.containers) {
    if (Array.isArray(c.raw.envFrom))
      for (const ef of c.raw.envFrom) if (typeof ef?.configMapRef?.name === 'string') out.push(ef.configMapRef.name)
    if (Array.isArray(c.raw.env))
      for (const e of c.raw.env) {
        const n = e?.valueFrom?.configMapKeyRef?.name
        if (typeof n === 'string') out.push(n)
      }
  }

  for (const v of w.volumes.values()) {
    if (typeof v.raw.configMap?.name === 'string') out.push(v.raw.configMap.name)
    if (Array.isArray(v.raw.projected?.sources))
      for (const s of v.raw.projected.sources) if (typeof s?.configMap?.name === 'string') out.push(s.configMap.name)
  }

  return out
}
