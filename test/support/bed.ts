/**
 * The test bed's real Kubernetes node (`bash test/bed/bed.sh up node`): kubelet + containerd running real pods,
 * registered with the bed's kube-apiserver, and a kind-node lookalike container so `fabk8s load` reaches its
 * containerd the way it reaches a kind node. Pods land on it when their namespace carries the annotation
 * `scheduler.alpha.kubernetes.io/node-selector: <selector>` (every other pod goes to the kwok nodes).
 */
import type {Context} from 'mocha'

import {existsSync} from 'node:fs'

export interface BedNode {
  /** kind cluster name the lookalike container carries (fabk8s.yaml kind.cluster). */
  cluster: string
  /** The lookalike container (what `fabk8s load` imports into). */
  kindNode: string
  /** Admin kubeconfig whose context is `kind-<cluster>`, like kind writes. */
  kubeconfig: string
  /** The node's primary IPv4: the address peers on this machine dial for a NodePort. */
  nodeIp: string
  nodeName: string
  /** Label selector of the real node, for the namespace annotation. */
  selector: string
}

export const NODE_SELECTOR_ANNOTATION = 'scheduler.alpha.kubernetes.io/node-selector'

/** The node, or why there is none. */
export function bedNode(): BedNode | string {
  const e = process.env
  if (!e.FABK8S_BED_NODE_NAME)
    return 'no real Kubernetes node: FABK8S_BED_NODE_NAME is not set (run `bash test/bed/bed.sh up` as root and source its env file)'
  if (!e.FABK8S_BED_KIND_CLUSTER || !e.FABK8S_BED_KIND_NODE)
    return 'the bed node has no kind-node lookalike (no Docker engine when `bed.sh up node` ran; see its log)'
  if (!e.FABK8S_BED_KIND_KUBECONFIG || !existsSync(e.FABK8S_BED_KIND_KUBECONFIG))
    return `FABK8S_BED_KIND_KUBECONFIG=${e.FABK8S_BED_KIND_KUBECONFIG} does not exist (stale env file?)`
  return {
    cluster: e.FABK8S_BED_KIND_CLUSTER,
    kindNode: e.FABK8S_BED_KIND_NODE,
    kubeconfig: e.FABK8S_BED_KIND_KUBECONFIG,
    nodeIp: e.FABK8S_BED_NODE_IP ?? '',
    nodeName: e.FABK8S_BED_NODE_NAME,
    selector: e.FABK8S_BED_NODE_SELECTOR ?? 'type=real',
  }
}

/** In a mocha hook: the node, or print why and skip. */
export function bedNodeOrSkip(ctx: Context): BedNode {
  const n = bedNode()
  if (typeof n === 'string') {
    console.log(`      skipped: ${n}`)
    ctx.skip()
  }

  return n as BedNode
}

let nextPort = 30_000 + Math.floor(Math.random() * 2000)
/** A node port for one test project (distinct within this run; 30000-32767). */
export function nodePort(): number {
  nextPort += 1
  if (nextPort > 32_767) nextPort = 30_000
  return nextPort
}
