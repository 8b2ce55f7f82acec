/**
 * What a field manager applied, read back from a live object: the fields its managedFields entry lists
 * (fieldsV1), with their live values. Applying that configuration again with the same manager puts the object
 * back exactly as it was (client-go calls this "extract"; `kubectl` uses it for `apply view-last-applied`-like
 * tasks). `fabk8s dev` keeps it to restore the chaincode Deployment it swaps for the relay.
 *
 * fieldsV1 is a trie: `f:<name>` a field of a map; `k:<json>` a list item found by its key fields; `v:<json>`
 * a set item; `i:<n>` a list index; `.` the node itself. A field whose trie is empty is owned as a whole.
 */

type Json = boolean | Json[] | null | number | string | {[k: string]: Json}
type Trie = {[k: string]: Trie}

const isMap = (v: unknown): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v)

function matches(item: Json, key: Record<string, Json>): boolean {
  if (!isMap(item)) return false
  return Object.entries(key).every(([k, v]) => JSON.stringify(item[k]) === JSON.stringify(v))
}

/** The part of `live` the trie names. */
export function extractFields(value: unknown, trie: Trie): Json {
  const live = value as Json
  const children = Object.keys(trie).filter((k) => k !== '.')
  if (children.length === 0) return live
  if (Array.isArray(live)) {
    const out: Json[] = []
    for (const [i, item] of live.entries()) {
      for (const k of children) {
        if (k.startsWith('k:')) {
          const key = JSON.parse(k.slice(2)) as Record<string, Json>
          if (matches(item, key)) {
            const got = extractFields(item, trie[k])
            out.push(isMap(got) ? {...key, ...got} : got)
            break
          }
        } else if (k.startsWith('v:')) {
          if (JSON.stringify(item) === JSON.stringify(JSON.parse(k.slice(2)))) {
            out.push(item)
            break
          }
        } else if (k === `i:${i}`) {
          out.push(extractFields(item, trie[k]))
          break
        }
      }
    }

    return out
  }

  if (!isMap(live)) return live
  const out: Record<string, Json> = {}
  for (const k of children) {
    if (!k.startsWith('f:')) continue
    const name = k.slice(2)
    if (name in live) out[name] = extractFields(live[name], trie[k])
  }

  return out
}

export interface ManagedFieldsEntry {
  apiVersion?: string
  fieldsType?: string
  fieldsV1?: unknown
  manager?: string
  operation?: string
  subresource?: string
}

/**
 * The configuration `manager` last applied to `live` (apiVersion, kind, name, namespace and the fields it owns),
 * or undefined when it applied nothing to this object.
 */
export function extractApplied(live: Record<string, unknown>, manager: string): Record<string, unknown> | undefined {
  const meta = live.metadata as undefined | {managedFields?: ManagedFieldsEntry[]; name?: string; namespace?: string}
  const entry = meta?.managedFields?.find(
    (m) => m.manager === manager && m.operation === 'Apply' && !m.subresource && m.fieldsType === 'FieldsV1',
  )
  if (!entry || !isMap(entry.fieldsV1)) return undefined
  const got = extractFields(live, entry.fieldsV1 as Trie) as Record<string, Json>
  const metadata = isMap(got.metadata) ? got.metadata : {}
  return {
    ...got,
    apiVersion: entry.apiVersion ?? live.apiVersion,
    kind: live.kind,
    metadata: {
      ...metadata,
      name: meta?.name ?? null,
      ...(meta?.namespace ? {namespace: meta.namespace} : {}),
    },
  }
}
