import type { Command } from 'commander'

// Not built yet: see the open issues.
export function registerK8sCommand(_program: Command): void {}
