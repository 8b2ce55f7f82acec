/**
 * A small wrapper around @inquirer/prompts: lazily imported (start-up time), and replaceable in tests with
 * setPrompter(). Commands never call inquirer directly.
 */
export interface Choice<T extends string> {
  description?: string
  name: string
  value: T
}

export interface Prompter {
  confirm(message: string, def?: boolean): Promise<boolean>
  input(message: string, def?: string, validate?: (v: string) => string | true): Promise<string>
  select<T extends string>(message: string, choices: Choice<T>[], def?: T): Promise<T>
}

const inquirerPrompter: Prompter = {
  async confirm(message, def) {
    const {confirm} = await import('@inquirer/prompts')
    return confirm({default: def, message})
  },
  async input(message, def, validate) {
    const {input} = await import('@inquirer/prompts')
    return input({default: def, message, validate})
  },
  async select(message, choices, def) {
    const {select} = await import('@inquirer/prompts')
    return select({choices, default: def, message})
  },
}

let current: Prompter = inquirerPrompter

export function prompter(): Prompter {
  return current
}

/** Replace the prompter (tests); returns a function that restores the previous one. */
export function setPrompter(p: Prompter): () => void {
  const prev = current
  current = p
  return () => {
    current = prev
  }
}
