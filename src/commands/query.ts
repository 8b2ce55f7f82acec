import {CallCommand} from '../call-command.js'

export default class Query extends CallCommand {
  static override description = `Evaluate a transaction (read only) on the chaincode at a peer of --org; nothing is committed.

Arguments after FN are passed as strings. The admin identity of --org (default: the first org in fabk8s.yaml
network) signs; the result is printed as text.`
  static override examples = [
    '<%= config.bin %> query ReadAsset a1',
    '<%= config.bin %> query org.hyperledger.fabric:GetMetadata --json',
  ]
  static override interruptNote = 'nothing was changed (a query commits nothing)'
  protected readonly submit = false
}
