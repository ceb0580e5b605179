/**
 * The web room: the live page of a run (run --web, capacity --web), its server and its steering.
 * Other rooms import from here only.
 */
export { newToken } from './auth.js'
export {
  applyControl,
  ControlRefused,
  type ControlRequest,
  type ControlState,
  type LoadControl,
  parseControlRequest,
} from './control.js'
export type {
  ControlEvent,
  FeedEventName,
  HelloEvent,
  LiveFinal,
  LiveRow,
  LiveStep,
  SecondEvent,
  TableRow,
} from './feed-types.js'
export { type FeedEvent, LiveFeed, type LiveFeedOptions, type LiveSource } from './live-feed.js'
export { renderLivePage } from './page.js'
export {
  DEFAULT_WEB_HOST,
  DEFAULT_WEB_PORT,
  startWebServer,
  type WebServer,
  type WebServerOptions,
} from './server.js'
export { LiveSession, type LiveSessionOptions } from './session.js'
export { type SteerableLoad, Steering, type SteeringOptions, userScaleLimit } from './steering.js'
