// An echo client whose reads are bounded by the kernel (SO_RCVTIMEO): each
// message must come back within --read-timeout ms, or the read ends with
// ReadTimeoutError, decided by the kernel rather than a JS timer.
//
//   node dist-examples/echo-client.js --port PORT [--host 127.0.0.1] [--read-timeout 500] [--count 5]
import { parseArgs } from 'node:util';
import { connect, ReadTimeoutError } from 'kernel-timeout-socket';

const { values } = parseArgs({
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string' },
    'read-timeout': { type: 'string', default: '500' },
    count: { type: 'string', default: '5' },
  },
});

async function main(): Promise<void> {
  const readTimeout = Number(values['read-timeout']);
  await using sock = await connect({ host: values.host, port: Number(values.port), timeout: 2000, readTimeout });
  for (let i = 1; i <= Number(values.count); i++) {
    const message = `message ${i}`;
    const sent = performance.now();
    await sock.write(message);
    try {
      const reply = await sock.readExactly(Buffer.byteLength(message));
      console.log(`sent "${message}", got "${reply}" back`);
    } catch (err) {
      if (!(err instanceof ReadTimeoutError)) throw err;
      const waited = Math.round(performance.now() - sent);
      console.log(`no reply to "${message}" within ${readTimeout} ms: ${err.code} (${err.syscall}), after ${waited} ms`);
      process.exitCode = 2;
      return;
    }
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
