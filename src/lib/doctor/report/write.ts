/**
 * `--output FILE`: the report goes to a temporary file in FILE's folder, is flushed to disk, then renamed over FILE.
 * A reader (a CI upload step) sees the previous report or the new one, never a part; a failed write removes the
 * temporary file and leaves FILE as it was.
 */
import {randomBytes} from 'node:crypto'
import {promises as fs} from 'node:fs'
import path from 'node:path'

export async function writeFileAtomic(file: string, text: string): Promise<void> {
  const dir = path.dirname(path.resolve(file))
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`)
  let mode = 0o644
  try {
    mode = (await fs.stat(file)).mode & 0o777 // keep the previous report's permissions
  } catch {
    /* a new file */
  }

  let handle: fs.FileHandle | undefined
  try {
    handle = await fs.open(tmp, 'wx', mode)
    await handle.writeFile(text)
    await handle.sync()
    await handle.close()
    handle = undefined
    await fs.rename(tmp, file)
  } catch (error) {
    await handle?.close().catch(() => {})
    await fs.rm(tmp, {force: true}).catch(() => {})
    throw error
  }
}
