/**
 * `@kubernetes/client-node`, loaded fast. Its index loads ≈ 2,500 modules (every API group and model) in ≈ 0.5 s,
 * most of a kube command's run. `npm run build` bundles just the names below, with what they use, into one file
 * (dist/vendor/kube.js, scripts/vendor-kube.js): ≈ 0.1 s to load. Running from source (tests), the package itself
 * is loaded. Every runtime use of client-node goes through kubeLib(), so one process never holds two copies.
 */
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

const BUNDLE = new URL('../../vendor/kube.js', import.meta.url)
let cached: Promise<KubeLib> | undefined

export function kubeLib(): Promise<KubeLib> {
  cached ??= (import(BUNDLE.href) as Promise<KubeLib>).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ERR_MODULE_NOT_FOUND' || !String(error.message).includes(BUNDLE.pathname)) throw error
    return import('@kubernetes/client-node')
  })
  return cached
}
