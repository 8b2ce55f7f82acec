import {CallCommand} from '../call-command.js'

export default class Invoke extends CallCommand {
  static override description = `Submit a transaction to the chaincode and wait until it is committed.

Arguments after FN are passed as strings. The admin identity of --org (default: the first org in fabk8s.yaml
network) signs. The proposal goes to a peer of each org the chaincode's endorsement policy needs (the peers listed
in fabk8s.yaml: no gossip discovery), the endorsed transaction to network.orderer, and the command returns once the
peers have committed it (VALID); the result is printed as text.`
  static override examples = [
    '<%= config.bin %> invoke CreateAsset a1 blue alice',
    '<%= config.bin %> invoke UpdateAsset a1 red bob --json',
  ]
  static override interruptNote = 'a transaction already sent may still commit; `fabk8s query` shows the state'
  protected readonly submit = true
}
