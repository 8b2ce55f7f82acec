/**
 * Write an adoption plan: all or nothing, through the scaffold's staged writer (every file is staged first and
 * moved in only when all are ready; a failure or Ctrl-C puts back what was there). It refuses, writing nothing, to
 * replace files the project already has (unless force) and to change the project's own files (unless write).
 */
import {FabError} from '../errors.js'
import {writeAll} from '../scaffold/write.js'
import {type AdoptPlan} from './plan.js'

/** Why the plan may not be written as asked, as an error; undefined when it may. */
export function refusal(plan: AdoptPlan, opts: {force: boolean; write: boolean}): FabError | undefined {
  if (plan.existing.length > 0 && !opts.force) {
    const list = plan.existing.join(', ')
    return new FabError(
      'FILESYSTEM',
      `${plan.dir} already has ${list}, which fabk8s adopt would add; nothing was written`,
      {
        detail: {existing: plan.existing},
        hint: `rename or move ${plan.existing.length === 1 ? 'it' : 'them'} and run fabk8s adopt again, or pass --force to replace ${plan.existing.length === 1 ? 'it' : 'them'} with fabk8s's`,
      },
    )
  }

  const changes = plan.files.flatMap((f) => f.lines ?? [])
  if (changes.length > 0 && !opts.write) {
    const c = changes[0]
    return new FabError(
      'FILESYSTEM',
      `${c.file}:${c.line} must change for the chaincode to serve (${c.before.trim()} → ${c.after.trim()}), and fabk8s adopt changes the project's own files only with --write; nothing was written`,
      {
        detail: {changes},
        hint: `run fabk8s adopt --write to apply it, or make the change yourself and run fabk8s adopt again`,
      },
    )
  }

  return undefined
}

/** Write the plan (see refusal for what is refused); returns the writer's note, if any. */
export async function applyAdoption(plan: AdoptPlan, opts: {force: boolean; write: boolean}): Promise<{note?: string}> {
  const why = refusal(plan, opts)
  if (why) throw why
  // the writer returns a note (folder it could not clean up) in newer versions, nothing in older ones
  const r: unknown = await writeAll(
    plan.dir,
    plan.files.filter((f) => f.action !== 'keep').map(({content, mode, path}) => ({content, mode, path})),
  )
  return (r as undefined | {note?: string}) ?? {}
}
