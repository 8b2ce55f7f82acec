/**
 * Fabric's signature policy DSL (`AND('Org1MSP.member', OR(...))`, `OutOf(2, ...)`), parsed and checked the way the
 * peer CLI's policydsl does, without protobuf: fabk8s.yaml's definition.signaturePolicy is checked when the file is
 * loaded (with its line), and policy.ts encodes what this returns.
 */
export type PolicyRole = 'admin' | 'client' | 'member' | 'orderer' | 'peer'

/** A checked policy: a gate (n of its rules) or a principal (an org's role). */
export type PolicyGate = {n: number; rules: (PolicyGate | PolicyPrincipal)[]}
export type PolicyPrincipal = {mspId: string; role: PolicyRole}

const PRINCIPAL_RE = /^([A-Za-z0-9.-]+)\.(admin|member|client|peer|orderer)$/

type Node = {args: Arg[]; gate: 'and' | 'or' | 'outof'}
type Arg = Node | {num: number} | {str: string}

function parseDsl(src: string): Node {
  let i = 0
  const fail = (m: string): never => {
    throw new Error(`${m} at position ${i + 1}`)
  }

  const ws = () => {
    while (i < src.length && /\s/.test(src[i])) i++
  }

  const arg = (): Arg => {
    ws()
    const ch = src[i]
    if (ch === "'" || ch === '"') {
      const end = src.indexOf(ch, i + 1)
      if (end === -1) fail('unterminated string')
      const str = src.slice(i + 1, end)
      i = end + 1
      return {str}
    }

    if (/\d/.test(ch ?? '')) {
      const m = /^\d+/.exec(src.slice(i))!
      i += m[0].length
      return {num: Number(m[0])}
    }

    return gate()
  }

  const gate = (): Node => {
    ws()
    const m = /^[A-Za-z]+/.exec(src.slice(i))
    if (!m) fail('expected AND, OR or OutOf')
    const word = m![0]
    const g = word.toLowerCase()
    if (
      !['and', 'or', 'outof'].includes(g) ||
      !['AND', 'and', 'And', 'OR', 'or', 'Or', 'OUTOF', 'outof', 'OutOf'].includes(word)
    )
      fail(`unknown function ${word}`)
    i += word.length
    ws()
    if (src[i] !== '(') fail("expected '('")
    i++
    const args: Arg[] = []
    for (;;) {
      args.push(arg())
      ws()
      if (src[i] === ',') {
        i++
        continue
      }

      if (src[i] === ')') {
        i++
        break
      }

      fail("expected ',' or ')'")
    }

    return {args, gate: g as Node['gate']}
  }

  const root = gate()
  ws()
  if (i < src.length) fail('unexpected text')
  return root
}

/**
 * The policy, parsed and checked (every principal MSPID.role, OutOf's number first and no larger than its rules); an
 * error says what is wrong: `invalid policy "…": …`.
 */
export function parseSignaturePolicy(policy: string): PolicyGate {
  let root: Node
  try {
    root = parseDsl(policy)
  } catch (error) {
    throw new Error(`invalid policy "${policy}": ${(error as Error).message}`)
  }

  const check = (node: Node): PolicyGate => {
    let {args} = node
    let n: number
    if (node.gate === 'outof') {
      const first = args[0]
      if (!first || !('num' in first)) throw new Error(`invalid policy "${policy}": OutOf needs a number first`)
      n = first.num
      args = args.slice(1)
    } else n = node.gate === 'and' ? args.length : 1
    if (args.length === 0) throw new Error(`invalid policy "${policy}": a gate needs at least one principal`)
    const rules = args.map((a): PolicyGate | PolicyPrincipal => {
      if ('gate' in a) return check(a)
      if ('num' in a) throw new Error(`invalid policy "${policy}": unexpected number ${a.num}`)
      const m = PRINCIPAL_RE.exec(a.str)
      if (!m)
        throw new Error(
          `invalid policy "${policy}": "${a.str}" is not MSPID.role (role: member, admin, client, peer, orderer)`,
        )
      return {mspId: m[1], role: m[2] as PolicyRole}
    })
    if (n > rules.length)
      throw new Error(`invalid policy "${policy}": OutOf(${n}) with only ${rules.length} principals`)
    return {n, rules}
  }

  return check(root)
}
