import type { Command } from 'commander'

// Not built yet: see the open issues.
export function registerReportCommand(_program: Command): void {}
