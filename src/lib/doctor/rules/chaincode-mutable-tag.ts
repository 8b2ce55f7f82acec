import {isChaincodeServer} from '../model/fabric.js'
import {describeObject} from '../model/types.js'
import {inContainer, perContainer, q, type Rule} from './rule.js'

/** The tag of an image reference: null when it has none; digest references count as pinned. */
export function imageTag(image: string): null | string {
  if (image.includes('@')) return '@digest'
  const last = image.split('/').at(-1) ?? ''
  const i = last.lastIndexOf(':')
  return i === -1 ? null : last.slice(i + 1)
}

export const chaincodeMutableTag: Rule = {
  check: perContainer((c, a) => {
    if (!isChaincodeServer(c) || c.image.trim() === '') return null
    const t = imageTag(c.image)
    if (t !== null && t !== 'latest') return null
    return {
      locate: inContainer(c, {key: 'image'}),
      message: `${describeObject(a)}: chaincode container ${q(c.name)} uses image ${c.image} (${t ? 'tag latest' : 'no tag'}); the running code can change without a new package`,
    }
  }),
  description: 'A chaincode-as-a-service container uses a mutable image reference (`latest` or no tag).',
  id: 'chaincode-mutable-tag',
  remediation: 'Pin the image by version tag or digest (image@sha256:…).',
  severity: 'low',
  title: 'Chaincode image not pinned',
}
