import type { ServerResponse } from 'node:http'
import type { FeedEvent } from './live-feed.js'

/** A page's open event stream, fed as long as the page reads it. */
export class SseClient {
  private closed = false

  constructor(
    private readonly response: ServerResponse,
    /** a client this far behind (bytes queued) is cut off: a stalled page must not hold the run's memory */
    private readonly maxQueuedBytes = 4 * 1024 * 1024,
  ) {
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    })
    // on a lost connection, the page's EventSource retries after 2 s
    response.write('retry: 2000\n\n')
    response.on('close', () => {
      this.closed = true
    })
  }

  get isClosed(): boolean {
    return this.closed
  }

  send(event: FeedEvent): void {
    if (this.closed) return
    if (this.response.writableLength > this.maxQueuedBytes) {
      this.close()
      return
    }
    this.response.write(event.frame)
  }

  /** A comment line: keeps proxies and SSH tunnels from timing the stream out. */
  ping(): void {
    if (!this.closed) this.response.write(': ping\n\n')
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    this.response.end()
  }
}
