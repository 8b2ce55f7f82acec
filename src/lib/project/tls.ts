import {readFile} from 'node:fs/promises'

import {FabError} from '../errors.js'

/** Read one of the chaincode TLS files fabk8s.yaml names (chaincode.tls.<field>), with an error naming the field. */
export async function readTlsPem(file: string, field: string): Promise<string> {
  try {
    return await readFile(file, 'utf8')
  } catch {
    throw new FabError('PROJECT', `chaincode.tls.${field}: cannot read ${file}`, {
      hint: 'run `fabk8s init --tls` in an empty folder to see the expected files, or set the paths in fabk8s.yaml',
    })
  }
}
