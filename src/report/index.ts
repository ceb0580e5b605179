/**
 * The report room: judging a run and writing its results. Other rooms import from here only.
 */

// Feeding a run's seconds in, live or from series.ndjson
export { RunAccumulator } from './accumulator.js'
export {
  type ChartColumns,
  type ChartData,
  type ChartMarker,
  ChartRecorder,
  markerLabel,
} from './chart-data.js'
// Comparing two runs
export {
  COMPARE_RULES,
  type Comparison,
  compareSummaries,
  type EndpointComparison,
  formatComparison,
  RULES_TEXT,
  type Verdict,
} from './compare.js'
export { type DecodedInterval, type DecodedSecond, decodeSecond } from './decoded-second.js'
export { type HistogramStats, histogramStats } from './histogram-stats.js'
// Outputs
export {
  ENDPOINT_COLORS,
  esc,
  type ReportOptions,
  renderComparisonSection,
  renderReport,
} from './html.js'
// self-contained pages of other rooms (capacity.html, the live page) inline uPlot the same way
export {
  type ChartPage,
  inlineSafe,
  jsonForScript,
  REPORT_CSS,
  renderChartPage,
  uplotAssets,
} from './html-assets.js'
// the live page (src/web) draws the report's charts and appends to them
export { type ClientData, drawCharts } from './html-client.js'
export { renderJUnit } from './junit.js'
export { renderMarkdown } from './markdown.js'
export { type MetricSource, summarySource } from './metric-source.js'
export { type RebuildOptions, type RebuiltRun, rebuildSummary, thresholdsOfRun } from './rebuild.js'
export { rebuildRunFiles } from './rebuild-files.js'
export { readSeries } from './series.js'
export { type BuildOptions, SummaryBuilder } from './summary.js'
export { REPORT_FILE, readSummaryFile, SERIES_FILE, SUMMARY_FILE } from './summary-file.js'
export { formatSummaryTable } from './table.js'
// The terminal table formatter (cli/table.ts may re-export it)
export { type Cell, formatTable, paint, stripAnsi, visibleLength } from './text-table.js'
// Judging: thresholds and the built-in SLOs
export {
  DEFAULT_SLO_ENTRIES,
  DEFAULT_SLOS,
  defaultSlosFor,
  evaluateThresholds,
  findAbort,
  type JudgingConfig,
  runThresholds,
  timeScaledSlos,
  withDefaults,
} from './thresholds.js'
export { prepareOutputFiles, type WriteOptions, type WrittenFiles, writeRunFiles } from './write.js'
