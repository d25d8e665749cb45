// The public exports of kernel-timeout-socket, nothing else.
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
export { type TimerMode } from './timer-mode.js';
export { type Engine } from './engine.js';
