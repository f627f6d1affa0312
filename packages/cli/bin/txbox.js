#!/usr/bin/env node
import { performance } from "node:perf_hooks";
// When this process reached txbox: `--json` timings count Node's own start from here.
const mainStart = performance.timeOrigin + performance.now();

// A reader that goes away (`txbox … | head`) must not crash txbox mid-command, least of all in the
// middle of a transaction: drop further output and let the command finish and record its outcome.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (err) => {
    if (err && (err.code === "EPIPE" || err.code === "ERR_STREAM_DESTROYED")) return;
    throw err;
  });
}

// The thin client first: it loads nothing of txbox but the daemon protocol.
const { viaDaemon } = await import("../lib/client.js");
const code = await viaDaemon(process.argv, mainStart);
if (code !== undefined) {
  process.exitCode = code;
} else {
  const { main } = await import("../lib/main.js");
  process.exitCode = await main(process.argv, undefined, mainStart);
}
