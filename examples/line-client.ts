// A line-protocol client: header lines framed by '\r\n' (LineReader) and a
// body whose size the header names (readExactly), as in HTTP/1 or Redis.
// Run against the echo server, which sends every frame back as it is.
//
//   node dist-examples/line-client.js --port PORT [--host 127.0.0.1]
import { parseArgs } from 'node:util';
import { connect, LineReader } from 'kernel-timeout-socket';

const { values } = parseArgs({
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string' },
  },
});

async function main(): Promise<void> {
  await using sock = await connect({ host: values.host, port: Number(values.port), timeout: 2000, readTimeout: 2000 });
  const lines = new LineReader(sock, { delimiter: '\r\n', maxLineLength: 1024 });

  const body = Buffer.from('a body of bytes, \r\n included, read by size, not by line');
  await sock.write(`PING\r\nDATA ${body.length}\r\n`);
  await sock.write(body);
  await sock.write('QUIT\r\n');

  for (;;) {
    const line = await lines.readLineString();
    if (line === null) break;
    const [verb, size] = line.split(' ');
    if (verb === 'DATA') {
      const data = await lines.readExactly(Number(size));
      console.log(`DATA: ${data.length} bytes: ${JSON.stringify(data.toString())}`);
    } else {
      console.log(`line: ${line}`);
    }
    if (verb === 'QUIT') break;
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
