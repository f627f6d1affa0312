/** A {@link FaultInjector} over the testbed's `/testbed/faults` endpoint, for the bench's fault runs. */
import { request } from "node:https";
import type { TLSSocket } from "node:tls";
import { errorMessage, TxboxError, UsageError } from "@txbox/core";
import type { FaultInjector } from "@txbox/bench";
import { fetchTestbedGuests, type TestbedState } from "./testbed-state.js";

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

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
