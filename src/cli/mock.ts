import type { Command } from 'commander'

// Not built yet: see the open issues.
export function registerMockCommand(_program: Command): void {}
