/** Compose and CI files as workloads (loaded only when such a file is read, with the `yaml` package for lines). */
import type {Format} from '../input/detect.js'
import type {DocText} from '../input/locate.js'
import type {Analyzed, Obj} from './types.js'

import {composeWorkload} from './compose.js'
import {githubWorkloads} from './github.js'
import {gitlabWorkloads} from './gitlab.js'
import {positionsOf} from './positions.js'

export type Prepared = Omit<Analyzed, 'ctx'>

export async function workloadsOf(format: Format, value: Obj, doc: DocText, file: null | string): Promise<Prepared[]> {
  const pos = await positionsOf(doc.text, doc.line)
  if (format === 'compose') return [composeWorkload(value, pos, file)]
  if (format === 'gitlab-ci') return gitlabWorkloads(value, pos)
  return githubWorkloads(value, pos)
}
