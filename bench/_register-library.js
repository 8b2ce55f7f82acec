// A baseline of bench/lifecycle.js: `fabk8s register`'s work done by its library alone, with no CLI around it (no
// oclif, no listr2, no command module): fabk8s.yaml read, the package built, then the very task list `register` runs
// (src/lib/fabric/register.ts), each task run in turn or together as the list says, and the result printed as JSON.
// bench/lifecycle.js bundles this file as the build bundles the CLI (one CommonJS file) and starts it through
// bin/load-bundle.cjs with its own V8 code cache, as bin/run.js starts the CLI, so that the two differ only in what the
// CLI adds. Given project folders, it registers in each in turn in one process instead (see warm()). Not a product
// path: it takes no flags and handles no Ctrl-C.
import {resolvePackage} from '../dist/lib/fabric/package-file.js'
import {registerTasks} from '../dist/lib/fabric/register.js'
import {openProject} from '../dist/lib/project/load.js'
import {markStartup} from '../dist/lib/timeline.js'

/** Runs a task list as its contract says (src/lib/tasks.ts): nested lists, `concurrent`, `exitOnError`, `close`. */
async function runList(list, signal) {
  const handle = () => ({output() {}, run: (sub) => runList(sub, signal), signal, skip() {}, title: ''})
  const stop = list.exitOnError !== false
  try {
    const failures = list.concurrent
      ? (await Promise.allSettled(list.tasks.filter((t) => enabled(t)).map((t) => t.run(handle()))))
          .filter((o) => o.status === 'rejected')
          .map((o) => o.reason)
      : await inTurn(list.tasks, handle, stop)
    if (failures.length > 0 && stop) throw failures[0]
    return list.result()
  } finally {
    list.close?.()
  }
}

/** Whether a task runs, asked when the list reaches it. */
const enabled = (t) => !t.enabled || t.enabled()

/** The tasks one after the other; their errors (the first ends the run when `stop`). */
async function inTurn(tasks, handle, stop) {
  const failures = []
  for (const t of tasks)
    try {
      if (!enabled(t)) continue
      await t.run(handle())
    } catch (error) {
      failures.push(error)
      if (stop) break
    }

  return failures
}

/**
 * `first`: the launcher's first line (process.cpuUsage() and uptime()), the first mark of the timeline. With `dirs`,
 * see `warm`.
 */
export async function main(first, dirs = []) {
  if (dirs.length > 0) return warm(dirs)
  markStartup("node ready (fabk8s's first line)", first)
  markStartup('CLI code loaded (bundle, code cache)')
  const project = await openProject()
  markStartup('fabk8s.yaml read')
  const result = await register(project)
  process.stdout.write(`${JSON.stringify(result)}\n`)
  // as bin/run.js does once a command has done its work (the gRPC and TLS sessions are not waited on to close)
  process.exit(0)
}

async function register(project) {
  const pkg = resolvePackage(project, {})
  pkg.catch(() => {})
  return runList(registerTasks(project, pkg, {}, {verbose: true}), new AbortController().signal)
}

/**
 * A register in each project folder in turn, in this one process, each timed from reading its fabk8s.yaml to its end:
 * after the first, the code is loaded and compiled and warm, as in a process that stays resident (each run still opens
 * its own connections). Prints {ms: [...]}.
 */
async function warm(dirs) {
  const ms = []
  for (const dir of dirs) {
    const start = performance.now()
    await register(await openProject(dir))
    ms.push(performance.now() - start)
  }

  process.stdout.write(`${JSON.stringify({ms})}\n`)
  process.exit(0)
}
