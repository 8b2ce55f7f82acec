import type {Report} from '../types.js'

export const FORMATS = ['text', 'json', 'sarif', 'junit'] as const
export type Format = (typeof FORMATS)[number]

/** Render the report; only the renderer asked for is loaded (start-up stays lean). */
export async function render(r: Report, format: Format, opts: {cwd?: string; version?: string} = {}): Promise<string> {
  switch (format) {
    case 'json': {
      return (await import('./json.js')).renderJson(r)
    }

    case 'junit': {
      return (await import('./junit.js')).renderJunit(r)
    }

    case 'sarif': {
      return (await import('./sarif.js')).renderSarif(r, opts)
    }

    default: {
      return (await import('./text.js')).renderText(r)
    }
  }
}
