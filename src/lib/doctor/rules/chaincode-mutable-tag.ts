import {describeObject, isChaincodeServer} from '../model.js'
import {inContainer, q, type Rule} from './rule.js'

/** The tag of an image reference: null when it has none; digest references count as pinned. */
export function imageTag(image: string): null | string {
  if (image.includes('@')) return '@digest'
  const last = image.split('/').at(-1) ?? ''
  const i = last.lastIndexOf(':')
  return i === -1 ? null : last.slice(i + 1)
}

export const chaincodeMutableTag: Rule = {
  check(a) {
    return (a.workload?.containers ?? [])
      .filter((c) => isChaincodeServer(c) && c.image.trim() !== '')
      .filter((c) => {
        const t = imageTag(c.image)
        return t === null || t === 'latest'
      })
      .map((c) => ({
        container: c.name,
        locate: inContainer(c, {key: 'image'}),
        message: `${describeObject(a)}: chaincode container ${q(c.name)} uses image ${c.image} (${imageTag(c.image) ? 'tag latest' : 'no tag'}); the running code can change without a new package`,
      }))
  },
  description: 'A chaincode-as-a-service container uses a mutable image reference (`latest` or no tag).',
  id: 'chaincode-mutable-tag',
  remediation: 'Pin the image by version tag or digest (image@sha256:…).',
  severity: 'low',
  title: 'Chaincode image not pinned',
}
