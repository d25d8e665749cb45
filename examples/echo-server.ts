// An echo server on kernel-timeout-socket: every byte a client sends comes
// back. With --stall-after N it echoes N chunks per connection and then goes
// quiet (keeps the connection, answers nothing), so a client's read
// timeouts can be watched firing in the kernel.
//
//   node dist-examples/echo-server.js [--host 127.0.0.1] [--port 0] [--stall-after N]
import { parseArgs } from 'node:util';
import { listen, type KernelSocket } from 'kernel-timeout-socket';

const { values } = parseArgs({
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '0' },
    'stall-after': { type: 'string' },
  },
});
const stallAfter = values['stall-after'] === undefined ? Infinity : Number(values['stall-after']);

async function serve(sock: KernelSocket, id: number): Promise<void> {
  let echoed = 0;
  try {
    for await (const chunk of sock) {
      if (echoed === stallAfter) {
        console.log(`#${id} stalling: holding the connection, answering nothing`);
        // Drain without answering until the client gives up.
        for await (const ignored of sock) void ignored;
        break;
      }
      await sock.write(chunk);
      echoed++;
    }
    console.log(`#${id} closed by the client after ${echoed} echoes`);
  } catch (err) {
    console.log(`#${id} ${(err as Error).name}: ${(err as Error).message}`);
  } finally {
    await sock.close();
  }
}

async function main(): Promise<void> {
  const server = await listen({ host: values.host, port: Number(values.port) });
  const { port } = server.address() as { port: number };
  console.log(`echo server listening on ${values.host}:${port}`);
  const stop = () => void server.close();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  let id = 0;
  for await (const sock of server) {
    const peer = sock.remoteAddress() as { address: string; port: number };
    console.log(`#${++id} connection from ${peer.address}:${peer.port}`);
    void serve(sock, id);
  }
  console.log('server closed');
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
