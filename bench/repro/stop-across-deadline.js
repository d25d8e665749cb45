// Reproduces the spurious K timeout fixed in native/io.cc (BlockingRead):
// the reader is SIGSTOPped, its message arrives before its deadline, and it
// is continued after the deadline. recv returns EINTR (KERNEL.md); before
// the fix the retry loop saw no time left and reported a timeout without
// asking the kernel. Expected: { got: 'hello' }. Run: node bench/repro/stop-across-deadline.js
const net = require('net'); const { fork } = require('child_process');
const srv = net.createServer(async (sock) => {
  await new Promise(r => setTimeout(r, 30));
  process.kill(child.pid, 'SIGSTOP');
  await new Promise(r => setTimeout(r, 10));
  sock.write('hello');                       // arrives while the reader is stopped, before its deadline
  await new Promise(r => setTimeout(r, 150)); // deadline (100 ms) passes while stopped
  process.kill(child.pid, 'SIGCONT');
});
let child;
srv.listen(0, '127.0.0.1', () => {
  child = fork(require('node:path').join(__dirname, 'reader.js'));
  child.on('message', (m) => { console.log(m); if (!m.connected) { srv.close(); } });
  child.send({ port: srv.address().port });
});
