import {Flags} from '@oclif/core'

/** Flags for commands that talk to Kubernetes; spread into a command's `flags`. */
export const kubeFlags = {
  context: Flags.string({
    description: 'kubeconfig context (default: fabk8s.yaml kubernetes.context, then kind-<cluster>, then current)',
    helpGroup: 'KUBERNETES',
  }),
  kubeconfig: Flags.string({
    description: 'path to the kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)',
    env: 'KUBECONFIG',
    helpGroup: 'KUBERNETES',
  }),
  namespace: Flags.string({
    char: 'n',
    description: 'namespace (default: fabk8s.yaml kubernetes.namespace)',
    helpGroup: 'KUBERNETES',
  }),
}
