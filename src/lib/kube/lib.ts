/**
 * `@kubernetes/client-node`, loaded fast. Its index loads ≈ 2,500 modules (every API group and model) in ≈ 0.5 s,
 * most of a kube command's run. `npm run build` bundles just the names below, with what they use, into one CommonJS
 * file (dist/vendor/kube.cjs, scripts/vendor-kube.js), which bin/load-bundle.cjs compiles from a V8 code cache:
 * ≈ 0.06 s to load. Running from source (tests), the package itself is loaded. Every runtime use of client-node goes
 * through kubeLib(), so one process never holds two copies.
 */
import {existsSync} from 'node:fs'
import {createRequire} from 'node:module'
import {fileURLToPath} from 'node:url'

export const KUBE_EXPORTS = [
  'AppsV1Api',
  'CoreV1Api',
  'createConfiguration',
  'IsomorphicFetchHttpLibrary',
  'KubeConfig',
  'KubernetesObjectApi',
  'PatchStrategy',
  'PortForward',
  'ResponseContext',
  'ServerConfiguration',
  'setHeaderOptions',
  'wrapHttpLibrary',
] as const

export type KubeLib = Pick<typeof import('@kubernetes/client-node'), (typeof KUBE_EXPORTS)[number]>

const BUNDLE = fileURLToPath(new URL('../../vendor/kube.cjs', import.meta.url))
let cached: Promise<KubeLib> | undefined

export function kubeLib(): Promise<KubeLib> {
  cached ??= existsSync(BUNDLE) ? loadBundle() : import('@kubernetes/client-node')
  return cached
}

/** The build's bundle, compiled from its code cache (one per command word, as the CLI's own bundle). */
async function loadBundle(): Promise<KubeLib> {
  const loader = createRequire(import.meta.url)('../../../bin/load-bundle.cjs') as {
    loadCached(file: string, word: string | undefined): KubeLib
  }
  return loader.loadCached(BUNDLE, process.argv[2])
}
