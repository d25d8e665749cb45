/// <reference types="node" preserve="true" />
// The public exports of kernel-timeout-socket, nothing else.
// The reference above stays in index.d.ts: the types name Buffer, streams and
// other Node globals, and TypeScript 6+ loads @types/node only when something
// references it (its `types` default is empty).
export { connect, type ConnectOptions } from './connect.js';
export { listen, type ListenOptions } from './listen.js';
export {
  KernelSocket,
  type ReadOptions,
  type WriteOptions,
  type SocketAddress,
  type SocketTimeouts,
} from './socket.js';
export { KernelServer, type AcceptOptions } from './server.js';
export { KernelSocketStream, toStream, type StreamOptions } from './stream.js';
export { createConnection } from './create-connection.js';
export type { NetConnectOptions } from './net-args.js';
export { LineReader, LineTooLongError, type LineReaderOptions } from './lines.js';
export {
  AbortError,
  AcceptTimeoutError,
  ConnectionTimedOutError,
  ConnectTimeoutError,
  EndOfStreamError,
  KernelSocketError,
  ReadTimeoutError,
  SocketClosedError,
  SocketError,
  TimeoutError,
  WriteTimeoutError,
} from './errors.js';
export { MAX_READ_SIZE, MAX_TIMEOUT_MS } from './validate.js';
export {
  capabilities,
  type KeepAliveOptions,
  type TcpCapabilities,
  type TcpInfo,
  type TcpOptions,
  type TcpOptionsReadback,
} from './tcp-options.js';
export type { TimerMode } from './timer-mode.js';
export type { Engine } from './engine.js';
export { createServer, KernelHttpServer, type ServerOptions, type HttpListenOptions } from './http-server.js';
export { createSecureServer } from './secure-server.js';
export type { KernelHttpsServer, SecureServerOptions } from './https-server.js';
