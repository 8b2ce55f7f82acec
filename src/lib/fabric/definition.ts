import type {ProjectConfig} from '../project/schema.js'

import {FabError} from '../errors.js'
import {applicationPolicy, describeApplicationPolicy, readCollections} from './policy.js'
/**
 * A chaincode definition as _lifecycle stores it, how fabk8s derives it from fabk8s.yaml and flags, how two
 * definitions compare, and the sequence plan (pure functions: unit tested without a network).
 */
import {peer} from './protos.js'

const lc = peer.lifecycle

/** The fields of a definition other than sequence and package, with _lifecycle's defaults filled in. */
export interface Definition {
  /** Serialised CollectionConfigPackage (empty when none). */
  collections: Uint8Array
  endorsementPlugin: string
  initRequired: boolean
  name: string
  /** Serialised ApplicationPolicy (the validation parameter). */
  validationParameter: Uint8Array
  validationPlugin: string
  version: string
}

export interface DefinitionOverrides {
  channelConfigPolicy?: string
  collectionsConfig?: string
  initRequired?: boolean
  signaturePolicy?: string
}

/**
 * The definition fabk8s wants: name and version from the project, the rest from fabk8s.yaml `definition`, flags
 * overriding. Defaults are made explicit (escc, vscc, /Channel/Application/Endorsement) because the peer stores them
 * so, and a committed definition must compare equal to what we would approve.
 */
export async function desiredDefinition(project: ProjectConfig, o: DefinitionOverrides = {}): Promise<Definition> {
  const d = project.definition
  // a flag for one kind of policy replaces the file's policy of either kind
  const flagPolicy = o.signaturePolicy || o.channelConfigPolicy
  const signaturePolicy = flagPolicy ? o.signaturePolicy : d.signaturePolicy
  const channelConfigPolicy = flagPolicy ? o.channelConfigPolicy : d.channelConfigPolicy
  const collectionsFile = o.collectionsConfig ?? d.collectionsConfig
  let collections: Uint8Array = new Uint8Array()
  if (collectionsFile)
    try {
      collections = (await readCollections(collectionsFile)).serializeBinary()
    } catch (error) {
      throw fromSource(error, o.collectionsConfig ? '--collections-config' : 'collectionsConfig')
    }

  let validationParameter: Uint8Array
  try {
    validationParameter = applicationPolicy({channelConfigPolicy, signaturePolicy}).serializeBinary()
  } catch (error) {
    throw fromSource(error, policySource(project, o) ?? 'channelConfigPolicy')
  }

  return {
    collections,
    endorsementPlugin: d.endorsementPlugin || 'escc',
    initRequired: o.initRequired ?? d.initRequired,
    name: project.name,
    validationParameter,
    validationPlugin: d.validationPlugin || 'vscc',
    version: project.version,
  }
}

/**
 * Where the definition's endorsement policy comes from: a flag (`--signature-policy`, `--channel-config-policy`), a
 * field of fabk8s.yaml (`definition.signaturePolicy`, `definition.channelConfigPolicy`), or undefined for the
 * default (/Channel/Application/Endorsement).
 */
export function policySource(project: ProjectConfig, o: DefinitionOverrides = {}): string | undefined {
  if (o.signaturePolicy) return '--signature-policy'
  if (o.channelConfigPolicy) return '--channel-config-policy'
  if (project.definition.signaturePolicy) return 'signaturePolicy'
  if (project.definition.channelConfigPolicy) return 'channelConfigPolicy'
}

/**
 * An error in a definition value, named after where the value came from (policySource): a flag (a usage error), or a
 * field of fabk8s.yaml's definition section (the project's error). The hints default to where to look.
 */
export function sourceError(source: string, message: string, hints: {flag?: string; project?: string} = {}): FabError {
  return source.startsWith('--')
    ? new FabError('USAGE', `${source}: ${message}`, {hint: hints.flag ?? 'see --help'})
    : new FabError('PROJECT', `fabk8s.yaml definition.${source}: ${message}`, {
        hint: hints.project ?? 'fix the definition section of fabk8s.yaml',
      })
}

/** A policy or collections error, on one line (sourceError). */
function fromSource(error: unknown, source: string): FabError {
  const why = (error instanceof Error ? error.message : String(error))
    .replace(/^(signature policy|collections config): /, '')
    .replaceAll(/\s*\n\s*/g, ' ')
  return sourceError(source, why)
}

/** Re-encode protobuf bytes with jspb so Go- and JS-serialised forms compare equal. */
function canonical(bytes: Uint8Array, kind: 'collections' | 'policy'): string {
  if (bytes.length === 0) return ''
  try {
    const msg =
      kind === 'policy'
        ? peer.ApplicationPolicy.deserializeBinary(bytes)
        : peer.CollectionConfigPackage.deserializeBinary(bytes)
    return Buffer.from(msg.serializeBinary()).toString('base64')
  } catch {
    return Buffer.from(bytes).toString('base64')
  }
}

/** Which fields differ (empty: same definition). Name is not compared: definitions are looked up by name. */
export function definitionDiff(a: Omit<Definition, 'name'>, b: Omit<Definition, 'name'>): string[] {
  const diff: string[] = []
  if (a.version !== b.version) diff.push('version')
  if ((a.endorsementPlugin || 'escc') !== (b.endorsementPlugin || 'escc')) diff.push('endorsementPlugin')
  if ((a.validationPlugin || 'vscc') !== (b.validationPlugin || 'vscc')) diff.push('validationPlugin')
  if (canonical(a.validationParameter, 'policy') !== canonical(b.validationParameter, 'policy'))
    diff.push('endorsementPolicy')
  if (a.initRequired !== b.initRequired) diff.push('initRequired')
  const ca = canonical(a.collections, 'collections')
  const cb = canonical(b.collections, 'collections')
  if (ca !== cb) diff.push('collections')
  return diff
}

export interface Committed extends Omit<Definition, 'name'> {
  approvals?: Record<string, boolean>
  sequence: number
}

export interface SequencePlan {
  /** Fields that changed against the committed definition. */
  changed: string[]
  /** Whether a commit is needed (false: the committed definition already matches). */
  commit: boolean
  reason: string
  sequence: number
}

/**
 * The sequence to approve at. Nothing committed → 1; committed definition equal → its sequence, no commit (orgs
 * whose approved package differs re-approve at that sequence: package IDs are org-local); changed → committed + 1.
 */
export function planSequence(committed: Committed | undefined, desired: Omit<Definition, 'name'>): SequencePlan {
  if (!committed) return {changed: [], commit: true, reason: 'not committed yet', sequence: 1}
  const changed = definitionDiff(committed, desired)
  if (changed.length === 0)
    return {
      changed,
      commit: false,
      reason: `committed definition (sequence ${committed.sequence}) is up to date`,
      sequence: committed.sequence,
    }
  return {changed, commit: true, reason: `definition changed (${changed.join(', ')})`, sequence: committed.sequence + 1}
}

export interface Approved extends Omit<Definition, 'name'> {
  packageId: string
  sequence: number
}

/** Whether an org must (re-)approve: no approval at that sequence, a different definition, or another package. */
export function approvalNeeded(
  approved: Approved | undefined,
  desired: Omit<Definition, 'name'>,
  sequence: number,
  packageId: string,
): string | undefined {
  if (!approved || approved.sequence !== sequence) return `not approved at sequence ${sequence}`
  const diff = definitionDiff(approved, desired)
  if (diff.length > 0) return `approval differs (${diff.join(', ')})`
  if (approved.packageId !== packageId)
    return approved.packageId ? `approved package is ${approved.packageId}` : 'approved without a package'
  return undefined
}

type DefArgs = InstanceType<typeof lc.ApproveChaincodeDefinitionForMyOrgArgs>

function fill<
  T extends Pick<
    DefArgs,
    | 'setCollections'
    | 'setEndorsementPlugin'
    | 'setInitRequired'
    | 'setName'
    | 'setSequence'
    | 'setValidationParameter'
    | 'setValidationPlugin'
    | 'setVersion'
  >,
>(args: T, def: Definition, sequence: number): T {
  args.setName(def.name)
  args.setVersion(def.version)
  args.setSequence(sequence)
  args.setEndorsementPlugin(def.endorsementPlugin)
  args.setValidationPlugin(def.validationPlugin)
  args.setValidationParameter(def.validationParameter)
  args.setInitRequired(def.initRequired)
  if (def.collections.length > 0) args.setCollections(peer.CollectionConfigPackage.deserializeBinary(def.collections))
  return args
}

export function approveArgs(def: Definition, sequence: number, packageId: string): Uint8Array {
  const args = fill(new lc.ApproveChaincodeDefinitionForMyOrgArgs(), def, sequence)
  const src = new lc.ChaincodeSource()
  if (packageId) {
    const local = new lc.ChaincodeSource.Local()
    local.setPackageId(packageId)
    src.setLocalPackage(local)
  } else src.setUnavailable(new lc.ChaincodeSource.Unavailable())
  args.setSource(src)
  return args.serializeBinary()
}

export function commitArgs(def: Definition, sequence: number): Uint8Array {
  return fill(new lc.CommitChaincodeDefinitionArgs(), def, sequence).serializeBinary()
}

export function checkCommitReadinessArgs(def: Definition, sequence: number): Uint8Array {
  return fill(new lc.CheckCommitReadinessArgs(), def, sequence).serializeBinary()
}

interface DefResult {
  getCollections(): peer.CollectionConfigPackage | undefined
  getEndorsementPlugin(): string
  getInitRequired(): boolean
  getSequence(): number
  getValidationParameter_asU8(): Uint8Array
  getValidationPlugin(): string
  getVersion(): string
}

function fromResult(r: DefResult): Omit<Definition, 'name'> & {sequence: number} {
  return {
    collections: r.getCollections()?.serializeBinary() ?? new Uint8Array(),
    endorsementPlugin: r.getEndorsementPlugin(),
    initRequired: r.getInitRequired(),
    sequence: r.getSequence(),
    validationParameter: r.getValidationParameter_asU8(),
    validationPlugin: r.getValidationPlugin(),
    version: r.getVersion(),
  }
}

export function decodeCommitted(bytes: Uint8Array): Committed {
  const r = lc.QueryChaincodeDefinitionResult.deserializeBinary(bytes)
  const approvals: Record<string, boolean> = {}
  for (const [k, v] of r.getApprovalsMap().entries() as [string, boolean][]) approvals[k] = v
  return {...fromResult(r), approvals}
}

export function decodeApproved(bytes: Uint8Array): Approved {
  const r = lc.QueryApprovedChaincodeDefinitionResult.deserializeBinary(bytes)
  const src = r.getSource()
  return {...fromResult(r), packageId: src?.hasLocalPackage() ? src.getLocalPackage()!.getPackageId() : ''}
}

export function decodeReadiness(bytes: Uint8Array): Record<string, boolean> {
  const r = lc.CheckCommitReadinessResult.deserializeBinary(bytes)
  const out: Record<string, boolean> = {}
  for (const [k, v] of r.getApprovalsMap().entries() as [string, boolean][]) out[k] = v
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)))
}

/** A definition as plain JSON (for --json and status). */
export function definitionJson(
  d: Omit<Definition, 'name'> & {packageId?: string; sequence?: number},
): Record<string, unknown> {
  return {
    ...(d.sequence === undefined ? {} : {sequence: d.sequence}),
    collections:
      d.collections.length > 0
        ? peer.CollectionConfigPackage.deserializeBinary(d.collections)
            .getConfigList()
            .map((c) => c.getStaticCollectionConfig()?.getName())
        : [],
    endorsementPlugin: d.endorsementPlugin,
    endorsementPolicy: describeApplicationPolicy(d.validationParameter),
    initRequired: d.initRequired,
    validationPlugin: d.validationPlugin,
    version: d.version,
    ...(d.packageId === undefined ? {} : {packageId: d.packageId}),
  }
}
