/**
 * The stand-in vets-api (`checkin-load mock`): what other rooms may use.
 * - buildMockApp: the fastify app, no socket (tests use app.inject())
 * - startMockServer: the app listening in this process
 * - startMockProcess: the `mock` command as a child process (the embedded target of `run`)
 */
export { buildMockApp, type HttpsOptions, standInOf } from './app.js'
export { CORS_MAX_AGE_S, DEFAULT_WEB_ORIGINS, PREFLIGHT_LABEL } from './cors.js'
export { FAULT_STATUSES, type FaultStatus } from './downstream.js'
export { type MockOptions, resolveMockOptions } from './options.js'
export { type MockProcess, type MockProcessOptions, startMockProcess } from './process.js'
export { type MockServer, type MockServerOptions, startMockServer } from './server.js'
