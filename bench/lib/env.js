'use strict';
// The machine a run came from: Node, kernel, CPUs, the kernel's timer
// frequency (HZ), the fd limit.
const fs = require('node:fs');
const os = require('node:os');
const zlib = require('node:zlib');
const { ownFdLimit } = require('./fd-limit');

/** CONFIG_HZ from the kernel's own config, where the kernel exposes it. */
function configHz() {
  const sources = [
    () => zlib.gunzipSync(fs.readFileSync('/proc/config.gz')).toString('latin1'),
    () => fs.readFileSync(`/boot/config-${os.release()}`, 'latin1'),
  ];
  for (const read of sources) {
    try {
      const m = /^CONFIG_HZ=(\d+)$/m.exec(read());
      if (m) return Number(m[1]);
    } catch {
      // not readable here; try the next source
    }
  }
  return null;
}

/**
 * @param {number|null} rcvtimeoReadback what SO_RCVTIMEO reads back after
 *   setting 1 ms (one jiffy, rounded up): 1000 / it is HZ, measured.
 */
function environment(rcvtimeoReadback) {
  const cpus = os.cpus();
  return {
    node: process.version,
    v8: process.versions.v8,
    platform: process.platform,
    arch: process.arch,
    kernel: os.release(),
    cpuCount: cpus.length,
    cpuModel: cpus[0] ? cpus[0].model : null,
    totalMemMB: Math.round(os.totalmem() / 2 ** 20),
    hz: configHz(),
    hzFromRcvtimeo: rcvtimeoReadback ? Math.round(1000 / rcvtimeoReadback) : null,
    fdLimit: ownFdLimit(),
    uvThreadpoolSize: Number(process.env.UV_THREADPOOL_SIZE) || 4,
    loadAvgAtStart: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

module.exports = { environment };
