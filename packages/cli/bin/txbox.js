#!/usr/bin/env node
import { main } from "../lib/main.js";

// A reader that goes away (`txbox … | head`) must not crash txbox mid-command, least of all in the
// middle of a transaction: drop further output and let the command finish and record its outcome.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (err) => {
    if (err && (err.code === "EPIPE" || err.code === "ERR_STREAM_DESTROYED")) return;
    throw err;
  });
}

process.exitCode = await main(process.argv);
