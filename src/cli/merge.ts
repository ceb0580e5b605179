import type { Command } from 'commander'

// Not built yet: see the open issues.
export function registerMergeCommand(_program: Command): void {}
