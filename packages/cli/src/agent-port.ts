/**
 * Adapters from a CLI {@link Session} (policy gate + transaction engine + SSH) to the ports of
 * `@txbox/agent` ({@link TxboxPort}) and `@txbox/bench` ({@link BenchRunner}), and a
 * {@link FaultInjector} over the testbed's `/testbed/faults` endpoint.
 */
import { request } from "node:https";
import type { TLSSocket } from "node:tls";
import { errorMessage, TxboxError, UsageError } from "@txbox/core";
import type { CommandOutcome, TxboxPort } from "@txbox/agent";
import type { BenchDecision, BenchRunner, FaultInjector, PlainResult } from "@txbox/bench";
import { treeDigestVia } from "@txbox/bench";
import { decide as policyDecide } from "@txbox/policy";
import type { GuestRef, RunResult } from "@txbox/tx";
import { policyContext } from "./context.js";
import type { Session } from "./wiring/session.js";
import { fetchTestbedGuests, type TestbedState } from "./wiring/testbed-state.js";

/** The agent's view of one engine result. Pure. */
export function outcomeOf(r: RunResult): CommandOutcome {
  return {
    // Only transactions are journalled: the id of a direct or refused command names nothing.
    ...(r.decision === "transact" ? { txid: r.txid } : {}),
    guest: String(r.guest.vmid),
    decision: r.decision,
    outcome: r.outcome,
    exitCode: r.exitCode,
    stdout: r.stdout,
    stderr: r.stderr,
    rules: r.rules,
    reason: r.error ? `${r.reason} [${r.error.code}: ${r.error.message}]` : r.reason,
    ...(r.alternative === undefined ? {} : { alternative: r.alternative }),
    timings: r.timings,
  };
}

/** Options of {@link sessionPort} and {@link sessionBenchRunner}. */
export interface PortOptions {
  /** Working directory of commands that name none. */
  cwd?: string;
  /** Budget of one plain (ungated) command in ms. Default 120 s. */
  plainTimeoutMs?: number;
}

/** Run one command through the engine with the guest's configured checks plus `verify`. */
async function gated(
  session: Session,
  guest: GuestRef,
  command: string,
  cwd: string | undefined,
  verify: string[] = [],
): Promise<RunResult> {
  return await session.engine.run({
    guest,
    command,
    ...(cwd === undefined ? {} : { cwd }),
    checks: [...session.checksFor(guest), ...verify],
  });
}

/** A {@link TxboxPort} over a session: every command passes the gate and the engine. */
export function sessionPort(
  session: Session,
  guest: GuestRef,
  options: PortOptions = {},
): TxboxPort {
  return {
    async run(command, opts = {}) {
      return outcomeOf(await gated(session, guest, command, opts.cwd ?? options.cwd, opts.verify));
    },
    async listTransactions(opts = {}) {
      return session.journal.listTxs({
        guest,
        ...(opts.limit === undefined ? {} : { limit: opts.limit }),
      });
    },
    async rollback(txid) {
      return await session.engine.rollbackTransaction(txid);
    },
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A {@link BenchRunner} over a session; `decide` asks the same policy the engine uses. */
export function sessionBenchRunner(
  session: Session,
  guest: GuestRef,
  options: PortOptions = {},
): BenchRunner {
  const policy = session.policyOf(guest.vmid);
  const timeoutMs = options.plainTimeoutMs ?? 120_000;
  const runPlain = async (command: string, opts: { cwd?: string } = {}): Promise<PlainResult> => {
    const cwd = opts.cwd ?? options.cwd;
    // A guest that has just been rolled back may still be starting: the command never ran, retry.
    for (let attempt = 0; ; attempt++) {
      try {
        const r = await session.exec.run(guest, command, {
          timeoutMs,
          ...(cwd === undefined ? {} : { cwd }),
        });
        return { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr };
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        if (code !== "E_UNREACHABLE" || attempt >= 40) throw error;
        await sleep(500);
      }
    }
  };
  return {
    async run(command, opts = {}) {
      return outcomeOf(await gated(session, guest, command, opts.cwd ?? options.cwd));
    },
    runPlain,
    treeDigest: treeDigestVia(runPlain),
    decide(command): BenchDecision {
      return policyDecide(policy, command, policyContext(session.loaded, options.cwd)).decision;
    },
    async recover() {
      const report = await session.engine.recover({ guest });
      if (report.errors.length > 0) {
        throw new TxboxError(
          "E_RECOVER",
          `recovery of guest ${guest.vmid} failed: ${report.errors.map((e) => e.message).join("; ")}`,
        );
      }
    },
  };
}

/** A request to the testbed's own endpoints (outside `/api2/json`), certificate pinned. */
async function testbedRequest(
  state: TestbedState,
  method: "GET" | "PUT" | "DELETE",
  path: string,
  body?: unknown,
  timeoutMs = 10_000,
): Promise<unknown> {
  const url = new URL(path, state.url);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const norm = (fp: string): string => fp.replace(/:/g, "").toUpperCase();
  const text = await new Promise<string>((resolveText, reject) => {
    const req = request(
      url,
      {
        method,
        rejectUnauthorized: false, // pinned by fingerprint below, as the API client does
        agent: false,
        headers: {
          Authorization: `PVEAPIToken=${state.tokenId}=${state.secret}`,
          ...(payload === undefined
            ? {}
            : {
                "Content-Type": "application/json",
                "Content-Length": Buffer.byteLength(payload),
              }),
        },
        timeout: timeoutMs,
      },
      (res) => {
        const peer = (res.socket as TLSSocket).getPeerCertificate();
        if (norm(peer.fingerprint256 ?? "") !== norm(state.fingerprint)) {
          res.destroy();
          reject(
            new TxboxError("E_TLS_FINGERPRINT", `${url.origin}: certificate fingerprint mismatch`),
          );
          return;
        }
        let out = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (out += c));
        res.on("end", () => {
          if (res.statusCode !== 200) {
            reject(
              new TxboxError(
                "E_TESTBED",
                `${method} ${url.href}: HTTP ${res.statusCode}: ${out.slice(0, 200)}`,
              ),
            );
          } else resolveText(out);
        });
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`timed out after ${timeoutMs} ms`)));
    req.on("error", (cause) =>
      reject(
        new TxboxError("E_TESTBED", `${method} ${url.href}: ${errorMessage(cause)}`, { cause }),
      ),
    );
    req.end(payload);
  });
  return (JSON.parse(text) as { data?: unknown }).data;
}

/** The faults of {@link testbedFaults}, by kind: the body of `PUT /testbed/faults`. Pure. */
export function faultPatch(kind: string, guest: { vmid: number; type: "qemu" | "lxc" }): object {
  const p = guest.type === "lxc" ? "vz" : "qm";
  switch (kind) {
    case "snapshot-fails":
      return {
        taskFailures: [{ type: `${p}snapshot`, error: "injected storage failure", count: 1 }],
      };
    case "rollback-fails-once":
      return {
        taskFailures: [{ type: `${p}rollback`, error: "injected rollback failure", count: 1 }],
      };
    case "api-503":
      return { errors: [{ fraction: 0.3, status: 503 }] };
    case "api-drops":
      return { drops: [{ fraction: 0.2 }] };
    case "slow-storage":
      return { realiseLatencyMs: 400 };
    case "guest-locked":
      return { guestLocks: [{ vmid: guest.vmid, lock: "backup", ms: 3000 }] };
    default:
      throw new UsageError(`unknown fault kind ${JSON.stringify(kind)}`);
  }
}

/** Every fault kind {@link faultPatch} knows. */
export const TESTBED_FAULT_KINDS = [
  "snapshot-fails",
  "rollback-fails-once",
  "api-503",
  "api-drops",
  "slow-storage",
  "guest-locked",
];

/** A {@link FaultInjector} that arms faults through the testbed's `/testbed/faults` endpoint. */
export async function testbedFaults(
  state: TestbedState,
  vmid: number,
  kinds: string[] = TESTBED_FAULT_KINDS,
): Promise<FaultInjector> {
  const guests = await fetchTestbedGuests(state);
  const g = guests.find((x) => x.vmid === vmid);
  if (g === undefined) {
    throw new TxboxError(
      "E_TESTBED",
      `guest ${vmid} is not a guest of the testbed at ${state.url}`,
    );
  }
  for (const k of kinds) faultPatch(k, g);
  return {
    kinds,
    async arm(kind) {
      await testbedRequest(state, "PUT", "/testbed/faults", faultPatch(kind, g));
    },
    async disarm() {
      // Retried: an armed fault (dropped connections) may hit this very request.
      for (let attempt = 0; ; attempt++) {
        try {
          await testbedRequest(state, "DELETE", "/testbed/faults");
          return;
        } catch (error) {
          if (attempt >= 10) throw error;
          await sleep(200);
        }
      }
    },
  };
}
