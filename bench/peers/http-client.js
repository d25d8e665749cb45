'use strict';
// Child process HTTP client for the http scenario (forked with IPC): for each
// message { port, path, conns, windowMs, tls, requests } it runs `conns` keep-alive
// connections (over TLS if `tls`, the server's certificate unchecked), each sending one GET and waiting for its whole response
// before the next, until windowMs has passed or (if `requests` is given) each
// connection has had that many answered, and replies { requests } (the total).
// Raw sockets rather than http.request, so the client costs little and the
// server is what is measured.
const net = require('node:net');
const tls = require('node:tls');

function connection(port, path, until, secure, limit) {
  return new Promise((resolve, reject) => {
    const request = `GET ${path} HTTP/1.1\r\nHost: bench\r\n\r\n`;
    const sock = secure
      ? tls.connect({ port, host: '127.0.0.1', rejectUnauthorized: false })
      : net.connect(port, '127.0.0.1');
    let requests = 0;
    let buffered = '';
    sock.setNoDelay(true);
    sock.setEncoding('latin1');
    sock.on(secure ? 'secureConnect' : 'connect', () => sock.write(request));
    sock.on('data', (d) => {
      buffered += d;
      const head = buffered.indexOf('\r\n\r\n');
      if (head < 0) return;
      const length = Number(/content-length: (\d+)/i.exec(buffered.slice(0, head))?.[1] ?? 0);
      if (buffered.length < head + 4 + length) return;
      buffered = buffered.slice(head + 4 + length);
      requests++;
      if (requests < limit && Date.now() < until) sock.write(request);
      else sock.end();
    });
    sock.on('close', () => resolve(requests));
    sock.on('error', reject);
  });
}

process.on('message', async ({ port, path, conns, windowMs, tls: secure, requests = Number.POSITIVE_INFINITY }) => {
  const until = Date.now() + windowMs;
  const counts = await Promise.all(Array.from({ length: conns }, () => connection(port, path, until, secure, requests)));
  process.send({ requests: counts.reduce((a, b) => a + b, 0) });
});
process.on('disconnect', () => process.exit(0));
