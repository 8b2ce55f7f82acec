/**
 * --package-id (lifecycle approve, status): `<label>:<64 hex digits>`, checked by the command at the start of
 * execute(), before any call. Not a custom flag's parse: oclif runs that before its own checks of the flags together
 * (exclusive, dependsOn), so a malformed value would be reported instead of `--package=x cannot also be provided when
 * using --package-id`.
 */
export async function checkPackageIdFlag(id: string | undefined): Promise<void> {
  // an empty value is checked too: it is no package ID, and `lifecycle approve` would send it to the peers
  if (id === undefined) return
  const {validatePackageId} = await import('../lib/fabric/package.js')
  validatePackageId(id, '--package-id')
}
