/**
 * `fabk8s doctor --fix --cluster`: the same migration as for files, computed on the live objects and printed, never
 * applied. Each object is read as the API server returns it, cleaned of what the server owns (status, managedFields,
 * uid, resourceVersion, …), written as YAML and fixed like a file; every changed object comes back whole, ready for
 * `kubectl apply --server-side` after review, with its diff.
 */
import {stringify} from 'yaml'

import type {Obj} from '../model/types.js'
import type {ClusterOptions, FailOn} from '../types.js'

import {readCluster} from '../input/cluster.js'
import {type FixResult, runFix} from './run.js'

export interface ClusterPatch {
  diff: string
  /** The fixed object, whole, as YAML (what `kubectl apply --server-side -f` takes). */
  manifest: string
  /** namespace/Kind/name */
  object: string
}

export type ClusterFixResult = FixResult & {patches: ClusterPatch[]}

const SERVER_OWNED = ['creationTimestamp', 'generation', 'managedFields', 'resourceVersion', 'selfLink', 'uid']
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration'

/** The object without what the API server owns: what a user would apply. */
export function applyable(o: Obj): Obj {
  const rest: Obj = {...o}
  delete rest.status
  const meta = {...(o.metadata as Record<string, unknown>)}
  for (const k of SERVER_OWNED) delete meta[k]
  const ann = meta.annotations as Record<string, string> | undefined
  if (ann && LAST_APPLIED in ann) {
    const others = {...ann}
    delete others[LAST_APPLIED]
    if (Object.keys(others).length > 0) meta.annotations = others
    else delete meta.annotations
  }

  return {...rest, metadata: meta} as Obj
}

export async function clusterFix(
  cluster: ClusterOptions,
  o: {failOn?: FailOn; ignoreFile?: string},
): Promise<ClusterFixResult> {
  const read = await readCluster(cluster)
  const sources = read.objects.map(({obj}) => {
    const m = (obj.metadata ?? {}) as {name?: string; namespace?: string}
    return {
      file: `${m.namespace ?? '_cluster'}/${obj.kind}/${m.name}`,
      json: false,
      text: stringify(applyable(obj), {lineWidth: 0}),
    }
  })
  const r = await runFix({
    failOn: o.failOn,
    files: [],
    ignoreFile: o.ignoreFile,
    keepText: true,
    mode: 'diff',
    sources,
  })
  r.errors.unshift(...read.errors)
  if (read.errors.length > 0) {
    r.summary.errors = r.errors.length
    r.summary.exitCode = 2
  }

  const patches = r.files.map((f) => ({diff: f.diff, manifest: f.text!, object: f.file}))
  return {...r, patches}
}
