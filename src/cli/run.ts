import type { Command } from 'commander'

// Not built yet: see the open issues.
export function registerRunCommand(_program: Command): void {}
