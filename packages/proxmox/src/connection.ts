import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { ConfigError, durationMs, type ProxmoxConfig } from "@txbox/core";
import type { Credentials } from "./transport.js";

/** Everything needed to talk to one PVE API endpoint, secrets resolved. */
export interface ProxmoxConnection {
  /** `https://host:8006`. */
  url: string;
  /** Default node for calls that need one; the first node when absent. */
  node?: string;
  credentials: Credentials;
  /** SHA-256 fingerprint of the API certificate to pin. */
  fingerprint?: string;
  /** PEM CA bundle file, when not pinning. */
  caFile?: string;
  /** HTTP request timeout (default 30 s). */
  timeoutMs?: number;
  /** Default budget for waiting on a task (default 10 min). */
  taskTimeoutMs?: number;
}

/**
 * Resolve the `proxmox` section of `txbox.yaml`: reads the token secret from `secretFile` (relative to
 * `baseDir`) or `secretEnv`, or the password from `passwordEnv` for ticket login.
 */
export function connectionFromConfig(
  section: ProxmoxConfig,
  options: { baseDir?: string; env?: NodeJS.ProcessEnv } = {},
): ProxmoxConnection {
  const env = options.env ?? process.env;
  const base = options.baseDir ?? process.cwd();
  let credentials: Credentials;
  if (section.tokenId !== undefined) {
    let secret: string | undefined;
    if (section.secretFile !== undefined) {
      const file = resolve(base, section.secretFile);
      try {
        secret = readFileSync(file, "utf8").trim();
      } catch (cause) {
        throw new ConfigError(`proxmox.secretFile: cannot read ${file}`, {
          details: { key: "proxmox.secretFile", file },
          cause,
        });
      }
    } else if (section.secretEnv !== undefined) {
      secret = env[section.secretEnv];
      if (!secret) {
        throw new ConfigError(
          `proxmox.secretEnv: environment variable ${section.secretEnv} is not set`,
          {
            details: { key: "proxmox.secretEnv" },
          },
        );
      }
    }
    if (!secret) {
      throw new ConfigError(
        "proxmox.tokenId is set but neither secretFile nor secretEnv gives the secret",
        {
          details: { key: "proxmox.tokenId" },
        },
      );
    }
    credentials = { kind: "token", tokenId: section.tokenId, secret };
  } else if (section.username !== undefined) {
    const password = section.passwordEnv ? env[section.passwordEnv] : undefined;
    if (!password) {
      throw new ConfigError(
        `proxmox.passwordEnv: ${section.passwordEnv ? `environment variable ${section.passwordEnv} is not set` : "missing (needed with proxmox.username)"}`,
        { details: { key: "proxmox.passwordEnv" } },
      );
    }
    credentials = { kind: "ticket", username: section.username, password };
  } else {
    throw new ConfigError(
      "proxmox: give tokenId (+ secretFile or secretEnv) or username (+ passwordEnv)",
      {
        details: { key: "proxmox" },
      },
    );
  }
  return {
    url: section.url,
    ...(section.node ? { node: section.node } : {}),
    credentials,
    ...(section.fingerprint ? { fingerprint: section.fingerprint } : {}),
    ...(section.caFile ? { caFile: resolve(base, section.caFile) } : {}),
    timeoutMs: durationMs(section.timeout),
    taskTimeoutMs: durationMs(section.taskTimeout),
  };
}

/** The fields of the testbed's state file that a client needs; other fields pass through. */
export interface TestbedStateFile {
  url: string;
  fingerprint: string;
  tokenId: string;
  secret: string;
  node?: string;
  [key: string]: unknown;
}

/**
 * Read and check the testbed's state file (`.txbox/testbed.json`, written by `txbox testbed up`):
 * `{url, fingerprint, tokenId, secret, node?, …}`.
 */
export function readTestbedStateFile(file: string): TestbedStateFile {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (cause) {
    throw new ConfigError(`${file}: cannot read the testbed state (is the testbed up?)`, {
      details: { file },
      hint: "run `txbox testbed up`",
      cause,
    });
  }
  const s = raw as Record<string, unknown>;
  for (const key of ["url", "fingerprint", "tokenId", "secret"]) {
    if (typeof s[key] !== "string" || s[key] === "") {
      throw new ConfigError(`${file}: ${key} is missing or not a string`, {
        details: { file, key },
      });
    }
  }
  return s as TestbedStateFile;
}

/** The API connection a testbed state gives: token auth and the pinned certificate. */
export function connectionFromTestbed(state: TestbedStateFile): ProxmoxConnection {
  return {
    url: state.url,
    ...(typeof state.node === "string" ? { node: state.node } : {}),
    credentials: { kind: "token", tokenId: state.tokenId, secret: state.secret },
    fingerprint: state.fingerprint,
  };
}

/** {@link connectionFromTestbed} of the state file `file`. */
export function connectionFromTestbedState(file: string): ProxmoxConnection {
  return connectionFromTestbed(readTestbedStateFile(file));
}
