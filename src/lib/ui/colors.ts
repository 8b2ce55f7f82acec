import chalk from 'chalk'

// chalk follows FORCE_COLOR and TTY detection; NO_COLOR (https://no-color.org) is honoured here explicitly.
if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '' && process.env.FORCE_COLOR === undefined) {
  chalk.level = 0
}

export {default as chalk} from 'chalk'
export const c = {
  bad: chalk.red,
  dim: chalk.dim,
  good: chalk.green,
  info: chalk.cyan,
  strong: chalk.bold,
  warn: chalk.yellow,
}
