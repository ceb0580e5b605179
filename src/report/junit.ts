import type { Summary } from '../model/results.js'
import { formatThresholdValue } from './format.js'

/**
 * JUnit XML for CI: one test case per threshold condition (class = metric, name = condition);
 * a failed one carries the measured value. A run that is not trustworthy adds a failing
 * "generator" case, so a CI page shows why its numbers are in doubt.
 */
export function renderJUnit(summary: Summary): string {
  const cases = summary.thresholds.map((t) => {
    const open = `    <testcase classname="${xml(t.metric)}" name="${xml(t.expr)}" time="0">`
    if (t.ok) return `${open}</testcase>`
    const measured = formatThresholdValue(t.metric, t.expr, t.value)
    return `${open}\n      <failure type="threshold" message="${xml(`${t.metric}: ${t.expr} not met (measured ${measured})`)}">${xml(
      `${t.metric}: ${t.expr}\nmeasured: ${measured}`,
    )}</failure>\n    </testcase>`
  })
  if (!summary.generator.trustworthy) {
    cases.push(
      `    <testcase classname="generator" name="trustworthy" time="0">\n      <failure type="generator" message="${xml(
        summary.generator.warnings.join('; '),
      )}"/>\n    </testcase>`,
    )
  }
  const failures = summary.thresholds.filter((t) => !t.ok).length + (summary.generator.trustworthy ? 0 : 1)
  const counts = `tests="${cases.length}" failures="${failures}" errors="0" skipped="0"`
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="checkin-load" ${counts} time="${summary.durationS}">`,
    `  <testsuite name="${xml(`checkin-load thresholds ${summary.runId}`)}" ${counts} time="${summary.durationS}" timestamp="${xml(summary.startedAt)}">`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n')
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: XML 1.0 forbids these control characters
const NOT_XML = /[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g

export function xml(text: string): string {
  return text
    .replace(NOT_XML, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
}
