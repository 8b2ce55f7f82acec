import type {FixPlan, FormatInput, Suppressed} from './common.js'

export function fixGitlab(_plan: FixPlan, _input: FormatInput, _suppressed: Suppressed): void {}
