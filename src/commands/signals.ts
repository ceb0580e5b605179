/** First SIGINT/SIGTERM: graceful stop (of a run, or a capacity search); second: abort. */
export function installSignals(control: { stop(): void; abort(): void }): { remove(): void } {
  let count = 0
  const handler = () => {
    count++
    if (count === 1) control.stop()
    else control.abort()
  }
  process.on('SIGINT', handler)
  process.on('SIGTERM', handler)
  return {
    remove() {
      process.off('SIGINT', handler)
      process.off('SIGTERM', handler)
    },
  }
}
