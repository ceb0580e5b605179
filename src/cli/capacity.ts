import type { Command } from 'commander'

// Not built yet: see the open issues.
export function registerCapacityCommand(_program: Command): void {}
