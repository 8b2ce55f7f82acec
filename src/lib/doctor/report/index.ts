import type {Report} from '../types.js'

import {renderJson} from './json.js'
import {renderJunit} from './junit.js'
import {renderSarif} from './sarif.js'
import {renderText} from './text.js'

export const FORMATS = ['text', 'json', 'sarif', 'junit'] as const
export type Format = (typeof FORMATS)[number]

export function render(r: Report, format: Format, opts: {cwd?: string; version?: string} = {}): string {
  switch (format) {
    case 'json': {
      return renderJson(r)
    }

    case 'junit': {
      return renderJunit(r)
    }

    case 'sarif': {
      return renderSarif(r, opts)
    }

    default: {
      return renderText(r)
    }
  }
}
