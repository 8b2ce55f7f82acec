/** Which kind of source SOURCE is, and reading it. */
import {statSync} from 'node:fs'
import path from 'node:path'

import type {ImportedNetwork, SourceKind} from '../model.js'

import {FabError} from '../../errors.js'
import {k8sBuildRoot, readK8sBuild} from './k8s-build.js'
import {organizationsRoot, readOrganizations} from './organizations.js'
import {readProfile} from './profile.js'

export interface SourceOptions {
  /** test-network-k8s ingress domain and port. */
  domain?: string
  /** Host for test-network's well-known ports (organizations/ folders). */
  host?: string
  /** Force the kind instead of detecting it. */
  kind?: SourceKind
  port?: number
  /** Which profile user is the admin (per org, or '' for all). */
  users?: Record<string, string>
}

export function detectKind(source: string): SourceKind {
  let st
  try {
    st = statSync(source)
  } catch {
    throw new FabError('USAGE', `SOURCE ${source}: no such file or folder`, {
      hint: 'give a connection profile (.json/.yaml), an organizations/ folder, or test-network-k8s build/',
    })
  }

  if (st.isFile()) return 'profile'
  if (organizationsRoot(source)) return 'organizations'
  if (k8sBuildRoot(source)) return 'k8s-build'
  throw new FabError(
    'USAGE',
    `SOURCE ${source}: not an organizations/ folder (peerOrganizations/) nor a test-network-k8s build/ folder (enrollments/, channel-msp/)`,
    {hint: 'give a connection profile file, test-network/organizations, or test-network-k8s/build'},
  )
}

const KIND_NAMES: Record<SourceKind, string> = {
  'k8s-build': 'a test-network-k8s build/ folder',
  organizations: 'an organizations/ folder',
  profile: 'a connection profile',
}

/** The flags that only one kind of source reads: given with another, they would be ignored without a word. */
function checkSourceFlags(source: string, kind: SourceKind, opts: SourceOptions): void {
  const given: [string, boolean, SourceKind][] = [
    ['--host', opts.host !== undefined, 'organizations'],
    ['--ingress-domain', opts.domain !== undefined, 'k8s-build'],
    ['--ingress-port', opts.port !== undefined, 'k8s-build'],
    ['--user', Object.keys(opts.users ?? {}).length > 0, 'profile'],
  ]
  for (const [flag, set, wants] of given)
    if (set && kind !== wants)
      throw new FabError('USAGE', `${flag} applies to ${KIND_NAMES[wants]}; SOURCE ${source} is ${KIND_NAMES[kind]}`, {
        hint:
          flag === '--user'
            ? 'give the org admin with --msp-path ORG=DIR (an MSP folder) or --cert ORG=FILE --key ORG=FILE'
            : `leave out ${flag}, or check SOURCE (and --from)`,
      })
}

export async function readSource(source: string, opts: SourceOptions = {}): Promise<ImportedNetwork> {
  const abs = path.resolve(source)
  const kind = opts.kind ?? detectKind(abs)
  checkSourceFlags(source, kind, opts)
  switch (kind) {
    case 'k8s-build': {
      return readK8sBuild(abs, {domain: opts.domain, port: opts.port})
    }

    case 'organizations': {
      return readOrganizations(abs, {host: opts.host})
    }

    case 'profile': {
      return readProfile(abs, {users: opts.users})
    }
  }
}
