// Benchmark, skipped unless TXBOX_BENCH=1: median latency of `true` over one pooled connection.
import { Client } from "ssh2";
import { SshExecutor } from "../src/ssh.js";
import { startSshd } from "./fixtures/sshd.js";

const bench = process.env.TXBOX_BENCH === "1" ? test : test.skip;

bench(
  "median latency of `true` over a pooled SSH connection on loopback",
  async () => {
    const sshd = await startSshd();
    const exec = new SshExecutor();
    const target = {
      host: "127.0.0.1",
      port: sshd.port,
      user: sshd.user,
      privateKey: sshd.privateKey,
      hostKey: sshd.hostKey,
    };
    try {
      const connectStart = performance.now();
      await exec.run(target, "true", { timeoutMs: 10_000 });
      const firstMs = performance.now() - connectStart;
      const samples: number[] = [];
      for (let i = 0; i < 100; i++) {
        const t0 = performance.now();
        const r = await exec.run(target, "true", { timeoutMs: 10_000 });
        samples.push(performance.now() - t0);
        expect(r.exitCode).toBe(0);
      }
      samples.sort((a, b) => a - b);
      const q = (p: number): number => samples[Math.floor(p * (samples.length - 1))]!;
      // Baseline: bare ssh2 exec of `true` (no wrapper), to separate sshd + login-shell cost.
      const raw = new Client();
      await new Promise<void>((resolve, reject) => {
        raw.once("ready", () => resolve());
        raw.once("error", reject);
        raw.connect({
          host: "127.0.0.1",
          port: sshd.port,
          username: sshd.user,
          privateKey: sshd.privateKey,
        });
      });
      const rawSamples: number[] = [];
      for (let i = 0; i < 100; i++) {
        const t0 = performance.now();
        await new Promise<void>((resolve, reject) =>
          raw.exec("true", (err, ch) => {
            if (err) return reject(err);
            ch.on("data", () => undefined);
            ch.stderr.on("data", () => undefined);
            ch.on("close", () => resolve());
            ch.end();
          }),
        );
        rawSamples.push(performance.now() - t0);
      }
      raw.end();
      rawSamples.sort((a, b) => a - b);
      console.log(
        JSON.stringify({
          bench: "ssh-true-pooled",
          n: samples.length,
          firstWithHandshakeMs: +firstMs.toFixed(2),
          medianMs: +q(0.5).toFixed(2),
          p90Ms: +q(0.9).toFixed(2),
          p99Ms: +q(0.99).toFixed(2),
          rawSsh2TrueMedianMs: +rawSamples[Math.floor(rawSamples.length / 2)]!.toFixed(2),
        }),
      );
      expect(exec.stats().connects).toBe(1);
    } finally {
      await exec.close();
      await sshd.stop();
    }
  },
  300_000,
);
