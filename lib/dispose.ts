// `await using x = ...` support where the runtime has Symbol.asyncDispose
// (Node 20.4+ and 22): disposing closes.
export function closeOnAsyncDispose(proto: { close(): Promise<void> }): void {
  if (typeof Symbol.asyncDispose !== 'symbol') return;
  Object.defineProperty(proto, Symbol.asyncDispose, {
    value: function (this: { close(): Promise<void> }) {
      return this.close();
    },
    writable: true,
    configurable: true,
  });
}
