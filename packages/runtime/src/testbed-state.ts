import { existsSync } from "node:fs";
import { request } from "node:https";
import { dirname, join, resolve } from "node:path";
import { TxboxError } from "@txbox/core";
import { readTestbedStateFile, type TestbedStateFile } from "@txbox/proxmox";
import type { RuntimeEnv } from "./environment.js";

/** The fields of `.txbox/testbed.json` (written by `txbox testbed up`) that the client side reads. */
export interface TestbedState extends TestbedStateFile {
  stateDir?: string;
  operatorKey?: string;
}

/** One entry of the testbed's `GET /testbed/guests`. */
export interface TestbedGuest {
  vmid: number;
  node: string;
  type: "qemu" | "lxc";
  name: string;
  status: string;
  template: 0 | 1;
  mgmtAddress?: string;
  hostKeyFingerprints: string[];
}

/** `$TXBOX_TESTBED_STATE`, else the nearest `.txbox/testbed.json` from the working directory upwards. */
export function findTestbedState(io: Pick<RuntimeEnv, "env" | "cwd">): string | undefined {
  const explicit = io.env.TXBOX_TESTBED_STATE;
  if (explicit !== undefined && explicit !== "") return resolve(io.cwd, explicit);
  for (let dir = resolve(io.cwd); ; dir = dirname(dir)) {
    const candidate = join(dir, ".txbox", "testbed.json");
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

/** Read and check a testbed state file (the client library's reader; the CLI reads more fields). */
export function readTestbedState(file: string): TestbedState {
  return readTestbedStateFile(file) as TestbedState;
}

/** The operator's private key: the state's `operatorKey`, else `operator_ed25519` in its state dir. */
export function operatorKeyFile(state: TestbedState, file: string): string | undefined {
  const candidates = [
    state.operatorKey,
    state.stateDir === undefined ? undefined : join(state.stateDir, "operator_ed25519"),
    join(dirname(file), "testbed", "operator_ed25519"),
  ];
  return candidates.find((c): c is string => c !== undefined && existsSync(c));
}

const normalise = (fp: string): string => fp.replace(/:/g, "").toUpperCase();

/**
 * `GET /testbed/guests` (outside `/api2/json`, so not through the Proxmox client): the guests'
 * management addresses and SSH host-key fingerprints. The certificate is pinned like the API's.
 */
export async function fetchTestbedGuests(
  state: TestbedState,
  timeoutMs = 10_000,
): Promise<TestbedGuest[]> {
  const url = new URL("/testbed/guests", state.url);
  const body = await new Promise<string>((resolveBody, reject) => {
    const req = request(
      url,
      {
        method: "GET",
        rejectUnauthorized: false, // pinned by fingerprint below, as the API client does
        agent: false, // a fresh TLS handshake: a resumed session shows no peer certificate
        headers: { Authorization: `PVEAPIToken=${state.tokenId}=${state.secret}` },
        timeout: timeoutMs,
      },
      (res) => {
        const peer = (res.socket as import("node:tls").TLSSocket).getPeerCertificate();
        if (normalise(peer.fingerprint256 ?? "") !== normalise(state.fingerprint)) {
          res.destroy();
          reject(
            new TxboxError("E_TLS_FINGERPRINT", `${url.origin}: certificate fingerprint mismatch`, {
              details: { expected: state.fingerprint, presented: peer.fingerprint256 },
            }),
          );
          return;
        }
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (text += c));
        res.on("end", () => {
          if (res.statusCode !== 200) {
            reject(
              new TxboxError(
                "E_TESTBED",
                `GET ${url.href}: HTTP ${res.statusCode}: ${text.slice(0, 200)}`,
              ),
            );
          } else resolveBody(text);
        });
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`timed out after ${timeoutMs} ms`)));
    req.on("error", (cause) =>
      reject(
        new TxboxError("E_TESTBED", `GET ${url.href}: ${cause.message}`, {
          retryable: true,
          hint: "is the testbed up? (`txbox testbed status`)",
          cause,
        }),
      ),
    );
    req.end();
  });
  return (JSON.parse(body) as { data: TestbedGuest[] }).data;
}
