import type { ApiRequestable } from "proxmox-api";
import { fetch, type Agent } from "undici";
import { errorMessage, redact, type Logger } from "@txbox/core";
import { AuthFailed, TlsFingerprintMismatch, TransportError, type ProxmoxError } from "./errors.js";
import { mapHttpError, vmidOfPath } from "./mapping.js";
import { FingerprintMismatch } from "./tls.js";

/** How to authenticate: an API token, or a ticket from user + password. */
export type Credentials =
  | { kind: "token"; tokenId: string; secret: string }
  | { kind: "ticket"; username: string; password: string };

export interface TransportOptions {
  /** `https://host:8006` (no path). */
  baseUrl: string;
  credentials: Credentials;
  dispatcher: Agent;
  /** Per-request budget (default 30 s). */
  timeoutMs?: number;
  logger?: Logger;
}

type Params = Record<string, unknown> | undefined;

/** Form/query encoding of PVE: booleans are exactly 1/0, arrays repeat the key, nullish is omitted. */
export function encodeParams(params: Params): URLSearchParams {
  const out = new URLSearchParams();
  for (const [k, v] of Object.entries(params ?? {})) {
    if (v === undefined || v === null) continue;
    const values = Array.isArray(v) ? v : [v];
    for (const e of values) out.append(k, e === true ? "1" : e === false ? "0" : String(e));
  }
  return out;
}

/** Certificate failures: the same server will fail the same way, so they are not transient. */
const TLS_FAILURES = new Set([
  "ERR_TLS_CERT_ALTNAME_INVALID",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_HAS_EXPIRED",
]);

/** Connection errors that happen before the request can have reached the server. */
const NOT_SENT = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "UND_ERR_CONNECT_TIMEOUT",
  ...TLS_FAILURES,
]);

function rootCause(err: unknown): unknown {
  let cur = err;
  for (let i = 0; i < 5; i++) {
    const next = (cur as { cause?: unknown } | null)?.cause;
    if (next === undefined || next === null) break;
    cur = next;
  }
  return cur;
}

/**
 * The bottom layer: one HTTPS request per call, through a pinned-TLS undici dispatcher, with
 * authentication and error mapping, and NO automatic re-send (retries belong to the caller, who
 * knows whether the call is an effect). Implements proxmox-api's `ApiRequestable`, so the typed
 * `proxmoxApi(transport)` path tree runs on it.
 */
export class Transport implements ApiRequestable {
  private ticket: { ticket: string; csrf: string } | undefined;
  private readonly timeoutMs: number;

  constructor(private readonly options: TransportOptions) {
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  /** `ApiRequestable` entry point used by proxmox-api's proxy. */
  async doRequest(
    method: string,
    path: string,
    _template: string,
    params?: Params,
  ): Promise<unknown> {
    return await this.request(method, path, params);
  }

  /** Send one request; `path` starts with `/api2/json` or is relative to it. */
  async request(method: string, path: string, params?: Params): Promise<unknown> {
    const fullPath = path.startsWith("/api2/json") ? path : `/api2/json${path}`;
    const apiPath = fullPath.slice("/api2/json".length);
    const m = method.toUpperCase();
    for (let attempt = 0; ; attempt++) {
      const hadTicket = this.ticket !== undefined;
      try {
        return await this.send(m, fullPath, apiPath, params);
      } catch (err) {
        // An expired ticket is rejected before anything runs: log in again and re-send once.
        if (err instanceof AuthFailed && hadTicket && attempt === 0) {
          this.ticket = undefined;
          continue;
        }
        throw err;
      }
    }
  }

  private async headers(method: string): Promise<Record<string, string>> {
    const creds = this.options.credentials;
    const h: Record<string, string> = { Accept: "application/json" };
    if (creds.kind === "token") {
      h.Authorization = `PVEAPIToken=${creds.tokenId}=${creds.secret}`;
    } else {
      const t = this.ticket ?? (await this.login(creds));
      h.Cookie = `PVEAuthCookie=${t.ticket}`;
      if (method !== "GET") h.CSRFPreventionToken = t.csrf;
    }
    return h;
  }

  private async login(creds: {
    username: string;
    password: string;
  }): Promise<{ ticket: string; csrf: string }> {
    const data = (await this.raw(
      "POST",
      "/api2/json/access/ticket",
      "/access/ticket",
      { Accept: "application/json" },
      { username: creds.username, password: creds.password },
    )) as { ticket?: string; CSRFPreventionToken?: string } | null;
    if (!data?.ticket || !data.CSRFPreventionToken) {
      throw new AuthFailed(`login as ${creds.username} returned no ticket`, {
        context: { method: "POST", path: "/access/ticket" },
      });
    }
    this.ticket = { ticket: data.ticket, csrf: data.CSRFPreventionToken };
    return this.ticket;
  }

  private async send(
    method: string,
    fullPath: string,
    apiPath: string,
    params: Params,
  ): Promise<unknown> {
    return await this.raw(method, fullPath, apiPath, await this.headers(method), params);
  }

  private async raw(
    method: string,
    fullPath: string,
    apiPath: string,
    headers: Record<string, string>,
    params: Params,
  ): Promise<unknown> {
    const url = new URL(fullPath, this.options.baseUrl);
    const encoded = encodeParams(params);
    let body: string | undefined;
    if (method === "POST" || method === "PUT") {
      body = encoded.toString();
      headers["Content-Type"] = "application/x-www-form-urlencoded";
    } else {
      for (const [k, v] of encoded) url.searchParams.append(k, v);
    }
    const context = { method, path: apiPath, vmid: vmidOfPath(apiPath) };
    this.options.logger?.debug("pve request", redact({ method, path: apiPath }) as object);
    let res;
    try {
      res = await fetch(url, {
        method,
        headers,
        ...(body === undefined ? {} : { body }),
        dispatcher: this.options.dispatcher,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw this.transportError(err, context);
    }
    let text: string;
    try {
      text = await res.text();
    } catch (err) {
      throw this.transportError(err, context);
    }
    let json: { data?: unknown; message?: unknown; errors?: unknown } | undefined;
    try {
      json = text === "" ? undefined : (JSON.parse(text) as typeof json);
    } catch {
      json = undefined;
    }
    if (res.status === 200) {
      if (json === undefined) {
        throw mapHttpError(
          502,
          `invalid JSON in a 200 answer: ${text.slice(0, 80)}`,
          undefined,
          context,
        );
      }
      return json.data ?? null;
    }
    throw mapHttpError(res.status, res.statusText, json, context);
  }

  private transportError(
    err: unknown,
    context: { method: string; path: string; vmid?: number },
  ): ProxmoxError {
    const cause = rootCause(err) as { code?: string; name?: string; message?: string };
    if (cause instanceof FingerprintMismatch)
      return new TlsFingerprintMismatch(`${context.method} ${context.path}: ${cause.message}`, {
        context,
        expected: cause.expected,
        presented: cause.presented,
        cause: err,
      });
    const code = cause?.code ?? cause?.name ?? "UNKNOWN";
    const sent = !NOT_SENT.has(code);
    const timedOut = code === "TimeoutError" || code === "UND_ERR_HEADERS_TIMEOUT";
    const what = errorMessage(cause);
    return new TransportError(
      `${context.method} ${context.path}: ${timedOut ? `no answer within ${this.timeoutMs} ms` : what} (${code})`,
      sent,
      {
        context,
        retryable: !TLS_FAILURES.has(code),
        details: { errno: code },
        ...(TLS_FAILURES.has(code)
          ? { hint: "verify the API certificate and set proxmox.fingerprint (or caFile)" }
          : {}),
        cause: err,
      },
    );
  }
}
