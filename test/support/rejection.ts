import type {FabError} from '../../src/lib/errors.js'

/** The error a promise rejects with; a promise that resolves fails the test. */
export async function rejection(p: Promise<unknown>): Promise<FabError> {
  try {
    await p
  } catch (error) {
    return error as FabError
  }

  throw new Error('expected a rejection')
}
