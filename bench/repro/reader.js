// Child of stop-across-deadline.js: one K read with a 100 ms timeout; on
// a timeout, one more read to show the bytes were still there.
const kts = require('../../dist/index.js');
process.on('message', async (m) => {
  const s = await kts.connect({ host: '127.0.0.1', port: m.port, timeout: 2000 });
  process.send({ connected: true });
  const t0 = Number(process.hrtime.bigint()) / 1e6;
  try {
    const b = await s.read(64, { timeout: 100 });
    process.send({ got: b && b.toString(), after: Number(process.hrtime.bigint()) / 1e6 - t0 });
  } catch (e) {
    const later = await s.read(64, { timeout: 500 }).catch(() => null);
    process.send({ err: e.code, errno: e.errno, decidedAt: e.decidedAt, later: later && later.toString() });
  }
  await s.close();
  process.exit(0);
});
