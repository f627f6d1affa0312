import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import proxmoxApi, { type Proxmox } from "proxmox-api";
import { Agent, fetch as undiciFetch } from "undici";
import { startTestbed, type TestbedHandle, type StartTestbedOptions } from "../../src/testbed.js";
import { MemoryRealiser } from "../../src/realise/memory.js";
import { loadApiSchema } from "../../src/schema/apidata.js";
import { checkReturns } from "../../src/schema/validate.js";

export const schema = loadApiSchema();

/** Base config for tests: memory realiser, any port, no 401 delay, short lock timeout. */
export function testConfig(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    realiser: "memory",
    users: [{ userid: "root@pam", password: "secret-pw", tokens: [{ id: "txbox" }] }],
    api: {
      port: 0,
      authFailDelayMs: 0,
      lockTimeoutMs: 300,
      ticketLifetimeS: 7200,
      host: "127.0.0.1",
    },
    ...extra,
  };
}

export interface Bed {
  tb: TestbedHandle;
  realiser: MemoryRealiser;
  dir: string;
  /** Every (method, template, problems) of responses checked against `returns`. */
  checked: { method: string; template: string; problems: string[] }[];
  api: Proxmox.Api;
  /** The same API as root@pam with a password ticket: the only identity PVE lets use skiplock. */
  root: Proxmox.Api;
  agent: Agent;
  /** A fetch for proxmox-api: pinned certificate, and 200 bodies checked against `returns`. */
  fetch: (url: string | URL, init?: Record<string, unknown>) => Promise<Response>;
  raw(
    method: string,
    path: string,
    opts?: { body?: string; headers?: Record<string, string>; auth?: boolean },
  ): Promise<RawResponse>;
  close(): Promise<void>;
}

export interface RawResponse {
  status: number;
  statusText: string;
  contentType: string | undefined;
  body: { data: unknown; message?: string; errors?: Record<string, string>; total?: number };
}

/** An undici Agent that trusts exactly the testbed's certificate and checks its SHA-256 fingerprint. */
export function pinnedAgent(certPem: string, fingerprint: string): Agent {
  return new Agent({
    connect: {
      ca: certPem,
      checkServerIdentity: (_host, cert) =>
        cert.fingerprint256 === fingerprint
          ? undefined
          : new Error(`certificate fingerprint mismatch: ${cert.fingerprint256}`),
    },
  });
}

/** Template of a concrete API path (`/nodes/pve1/qemu/101/config` → `/nodes/{node}/qemu/{vmid}/config`). */
export function templateOf(path: string): string | undefined {
  const segs = path
    .split("/")
    .filter((s) => s !== "")
    .map((s) => decodeURIComponent(s));
  return schema.match(segs)?.path.path;
}

export async function startBed(
  opts: Partial<StartTestbedOptions> & { dir?: string; config?: Record<string, unknown> } = {},
): Promise<Bed> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), "txbox-testbed-"));
  const realiser = (opts.realiser as MemoryRealiser | undefined) ?? new MemoryRealiser();
  const tb = await startTestbed({
    stateDir: dir,
    config: testConfig(opts.config),
    realiser,
    ...(opts.random ? { random: opts.random } : {}),
  });
  const agent = pinnedAgent(tb.certPem, tb.fingerprint);
  const checked: Bed["checked"] = [];
  const fetchChecked = async (
    url: string | URL,
    init?: Record<string, unknown>,
  ): Promise<Response> => {
    const res = await undiciFetch(url, { ...(init as object), dispatcher: agent });
    const u = new URL(String(url));
    const template = templateOf(u.pathname.replace(/^\/api2\/json/, ""));
    const method = String(init?.method ?? "GET");
    if (res.status === 200 && template !== undefined) {
      const body = (await res.clone().json()) as { data: unknown };
      checked.push({
        method,
        template,
        problems: checkReturns(schema.method(template, method)?.returns, body.data),
      });
    }
    return res as unknown as Response;
  };
  const api = proxmoxApi({
    host: "127.0.0.1",
    port: tb.port,
    tokenID: tb.tokenId,
    tokenSecret: tb.secret,
    // proxmox-api leaves its timeout timer pending when a fetch fails: keep it short in tests
    queryTimeout: 15000,
    fetch: fetchChecked as never,
  });
  const root = proxmoxApi({
    host: "127.0.0.1",
    port: tb.port,
    username: "root@pam",
    password: "secret-pw",
    queryTimeout: 15000,
    fetch: fetchChecked as never,
  });
  const raw: Bed["raw"] = async (method, path, o = {}) => {
    const headers: Record<string, string> = {
      ...(o.auth === false ? {} : { authorization: `PVEAPIToken=${tb.tokenId}=${tb.secret}` }),
      ...o.headers,
    };
    if (o.body !== undefined && headers["content-type"] === undefined)
      headers["content-type"] = "application/x-www-form-urlencoded";
    const res = await undiciFetch(`${tb.url}${path}`, {
      method,
      headers,
      ...(o.body === undefined ? {} : { body: o.body }),
      dispatcher: agent,
    });
    const text = await res.text();
    return {
      status: res.status,
      statusText: res.statusText,
      contentType: res.headers.get("content-type") ?? undefined,
      body: text === "" ? { data: null } : (JSON.parse(text) as RawResponse["body"]),
    };
  };
  return {
    tb,
    realiser,
    dir,
    checked,
    api,
    root,
    agent,
    fetch: fetchChecked,
    raw,
    close: async () => {
      await tb.stop();
      await agent.close();
      if (opts.dir === undefined) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Wait for a task to stop (bounded), returning its final status. */
export async function waitTask(
  bed: Bed,
  upid: string,
  timeoutMs = 10000,
): Promise<{ status: string; exitstatus?: string }> {
  const node = upid.split(":")[1]!;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const st = (await bed.api.nodes.$(node).tasks.$(upid).status.$get()) as {
      status: string;
      exitstatus?: string;
    };
    if (st.status === "stopped") return st;
    if (Date.now() > deadline) throw new Error(`task ${upid} still running after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The log lines of a task. */
export async function taskLog(bed: Bed, upid: string): Promise<string[]> {
  const node = upid.split(":")[1]!;
  const lines = (await bed.api.nodes.$(node).tasks.$(upid).log.$get({ limit: 1000 })) as {
    n: number;
    t: string;
  }[];
  return lines.map((l) => l.t);
}

/** Run a task to completion and return its exit status. */
export async function run(bed: Bed, upid: Promise<string> | string): Promise<string> {
  const st = await waitTask(bed, await upid);
  return st.exitstatus ?? "";
}
