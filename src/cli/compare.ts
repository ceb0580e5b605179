import type { Command } from 'commander'

// Not built yet: see the open issues.
export function registerCompareCommand(_program: Command): void {}
