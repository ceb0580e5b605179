/** run --web: the page stays up with the final report for --web-linger; Ctrl-C leaves at once. */
export async function lingerWithPage(
  page: { url: string; lingering: Promise<void>; leave(): void } | undefined,
) {
  if (!page) return
  process.stderr.write(`The live page stays up with the final report (Ctrl-C to leave now): ${page.url}\n`)
  const leave = () => page.leave()
  process.once('SIGINT', leave)
  process.once('SIGTERM', leave)
  try {
    await page.lingering
  } finally {
    process.off('SIGINT', leave)
    process.off('SIGTERM', leave)
  }
}
