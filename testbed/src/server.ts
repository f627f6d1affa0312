import type { IncomingMessage, ServerResponse } from "node:http";
import { errorMessage } from "@txbox/core";
import { Reply, authidOf, type Caller } from "./api/context.js";
import { ApiError, paramError } from "./api/errors.js";
import type { Cluster } from "./api/cluster.js";
import type { Faults } from "./config.js";
import type { ApiSchema } from "./schema/apidata.js";
import { checkParams, type RawParams } from "./schema/validate.js";

export const CONTENT_TYPE = "application/json;charset=UTF-8";
const MAX_BODY = 1024 * 1024;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** What the HTTP layer needs from the testbed around it. */
export interface HttpDeps {
  schema: ApiSchema;
  cluster: () => Cluster;
  faults: () => Faults;
  authFailDelayMs: () => number;
  /** Random numbers in [0,1) for fault fractions (injectable for tests). */
  random: () => number;
  /** Testbed-only endpoints below `/testbed/`; return undefined for an unknown one. */
  testbedRoute: (
    method: string,
    path: string,
    body: unknown,
    query: URLSearchParams,
    caller: Caller,
  ) => Promise<unknown>;
  log: (line: Record<string, unknown>) => void;
}

/** The reason phrase PVE sends: the first line of the message, in printable ASCII. */
function reason(message: string): string {
  return (message.split("\n")[0] ?? "").replace(/[^\x20-\x7e]/g, "?").slice(0, 200) || "Error";
}

function send(res: ServerResponse, status: number, statusText: string, body: unknown): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, reason(statusText), {
    "Content-Type": CONTENT_TYPE,
    "Content-Length": Buffer.byteLength(text),
    "Cache-Control": "max-age=0",
    Pragma: "no-cache",
  });
  res.end(text);
}

function sendError(res: ServerResponse, err: unknown): void {
  if (err instanceof ApiError) {
    send(res, err.status, err.message, {
      data: null,
      message: err.message,
      ...(err.errors === undefined ? {} : { errors: err.errors }),
    });
    return;
  }
  const msg = errorMessage(err).replace(/\n*$/, "\n");
  send(res, 500, msg, { data: null, message: msg });
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new ApiError(413, "Request Entity Too Large"));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function addParam(out: RawParams, key: string, value: string): void {
  const prev = out[key];
  if (prev === undefined) out[key] = value;
  else out[key] = Array.isArray(prev) ? [...prev, value] : [prev, value];
}

/** JSON body values as PVE sees them: true/false → 1/0, numbers → their text. */
function jsonToRaw(body: unknown, out: RawParams): void {
  if (body === null || typeof body !== "object" || Array.isArray(body))
    throw new ApiError(400, "Parameter verification failed.", {
      body: "JSON body must be an object",
    });
  const scalar = (v: unknown): string =>
    v === true
      ? "1"
      : v === false
        ? "0"
        : typeof v === "string"
          ? v
          : typeof v === "number"
            ? String(v)
            : JSON.stringify(v);
  for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
    if (v === null || v === undefined) continue;
    if (Array.isArray(v)) for (const item of v) addParam(out, k, scalar(item));
    else out[k] = scalar(v);
  }
}

function matches(pattern: string | undefined, path: string): boolean {
  if (pattern === undefined) return true;
  try {
    return new RegExp(pattern).test(path);
  } catch {
    return false;
  }
}

/**
 * The HTTP request pipeline, in PVE's order: fault injection, handler lookup (501), authentication
 * (401, delayed), parameter verification against the schema (400), the handler, and the wire format.
 */
export function createHandler(d: HttpDeps): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    void handle(d, req, res).catch((err: unknown) => sendError(res, err));
  };
}

async function handle(d: HttpDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const method = (req.method ?? "GET").toUpperCase();
  const url = new URL(req.url ?? "/", "https://testbed.invalid");
  const started = Date.now();
  // The parameter names a call carried and any schema errors: tests hold txbox's calls to the schema.
  const seen: Seen = {};
  res.on("finish", () =>
    d.log({
      method,
      path: url.pathname,
      status: res.statusCode,
      ms: Date.now() - started,
      ...seen,
    }),
  );
  if (url.pathname === "/testbed" || url.pathname.startsWith("/testbed/"))
    return handleTestbed(d, method, url, req, res);
  if (!url.pathname.startsWith("/api2/json/") && url.pathname !== "/api2/json") {
    throw new ApiError(501, `Method '${method} ${url.pathname}' not implemented`);
  }
  const rel = url.pathname.slice("/api2/json".length) || "/";
  if (!(await injectFaults(d, rel, req))) return;
  const found = d.schema.match(segmentsOf(method, rel));
  const info = found?.path.methods[method];
  if (found === undefined || info === undefined)
    throw new ApiError(501, `Method '${method} ${rel}' not implemented`);
  const template = found.path.path;

  const isLogin = method === "POST" && template === "/access/ticket";
  let caller: Caller = { user: "" };
  if (!isLogin) {
    const c = await authenticate(d, method, req, res);
    if (c === undefined) return;
    caller = c;
  }
  const raw = await rawParams(method, url, req);
  for (const [k, v] of Object.entries(found.vars)) raw[k] = v;

  // pve-manager's rest_handler checks permissions on the raw parameters before verifying them
  if (!isLogin) d.cluster().access.checkApi(info.permissions, authidOf(caller), raw);
  const checked = checkParams(info.parameters, raw);
  seen.params = Object.keys(raw)
    .filter((k) => !(k in found.vars))
    .sort();
  if (Object.keys(checked.errors).length > 0) {
    seen.paramErrors = checked.errors;
    throw paramError(checked.errors);
  }
  const data = await dispatch(d, { method, template, rel, info, values: checked.values, caller });
  if (isLogin) {
    // The login answer's cookie, as pveproxy sets it (the JSON carries it too)
    const ticket = (data as { ticket?: string }).ticket;
    if (ticket !== undefined)
      res.setHeader("Set-Cookie", `PVEAuthCookie=${encodeURIComponent(ticket)}; path=/; secure`);
  }
  if (data instanceof Reply) send(res, 200, "OK", { data: data.data, ...data.extra });
  else send(res, 200, "OK", { data: data === undefined ? null : data });
}

type Seen = { params?: string[]; paramErrors?: Record<string, string> };

/** The testbed's own routes (`/testbed/…`): authenticated like the API, JSON bodies. */
async function handleTestbed(
  d: HttpDeps,
  method: string,
  url: URL,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const caller = await authenticate(d, method, req, res);
  if (caller === undefined) return;
  const text = await readBody(req);
  let body: unknown = undefined;
  if (text !== "") {
    try {
      body = JSON.parse(text);
    } catch {
      throw new ApiError(400, "invalid JSON body");
    }
  }
  const data = await d.testbedRoute(method, url.pathname, body, url.searchParams, caller);
  if (data === undefined)
    throw new ApiError(501, `Method '${method} ${url.pathname}' not implemented`);
  send(res, 200, "OK", { data });
}

/**
 * The configured faults for this path: a dropped connection (false: nothing more to do), added
 * latency, or an injected 500/503 (thrown).
 */
async function injectFaults(d: HttpDeps, rel: string, req: IncomingMessage): Promise<boolean> {
  const faults = d.faults();
  for (const f of faults.drops)
    if (matches(f.path, rel) && d.random() < f.fraction) {
      req.socket.destroy();
      return false;
    }
  const latency = faults.latency.filter((l) => matches(l.path, rel)).reduce((a, l) => a + l.ms, 0);
  if (latency > 0) await sleep(latency);
  for (const f of faults.errors)
    if (matches(f.path, rel) && d.random() < f.fraction)
      throw new ApiError(
        f.status,
        f.status === 503
          ? "Service Unavailable (injected fault)"
          : "Internal Server Error (injected fault)",
      );
  return true;
}

/** The path's segments, decoded; a segment that is not valid percent-encoding matches no route. */
function segmentsOf(method: string, rel: string): string[] {
  try {
    return rel
      .split("/")
      .filter((s) => s !== "")
      .map((s) => decodeURIComponent(s));
  } catch {
    throw new ApiError(501, `Method '${method} ${rel}' not implemented`);
  }
}

/** Query and body parameters (form-encoded, or JSON as PVE's clients may send), as raw strings. */
async function rawParams(method: string, url: URL, req: IncomingMessage): Promise<RawParams> {
  const raw: RawParams = {};
  for (const [k, v] of url.searchParams) addParam(raw, k, v);
  if (method !== "POST" && method !== "PUT") return raw;
  const text = await readBody(req);
  if (text === "") return raw;
  if (String(req.headers["content-type"] ?? "").includes("application/json")) {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new ApiError(400, "Parameter verification failed.", { body: "malformed JSON" });
    }
    jsonToRaw(body, raw);
  } else for (const [k, v] of new URLSearchParams(text)) addParam(raw, k, v);
  return raw;
}

/** The cluster's handler for the route, else a directory index, else 501 as PVE answers. */
async function dispatch(
  d: HttpDeps,
  call: {
    method: string;
    template: string;
    rel: string;
    info: NonNullable<ReturnType<ApiSchema["match"]>>["path"]["methods"][string];
    values: Record<string, unknown>;
    caller: Caller;
  },
): Promise<unknown> {
  const { method, template, info } = call;
  const handler = d.cluster().routes[`${method} ${template}`];
  if (handler !== undefined) {
    try {
      return await handler({ method, template, params: call.values, caller: call.caller });
    } catch (err) {
      if (err instanceof ApiError && err.status === 401 && d.authFailDelayMs() > 0)
        await sleep(d.authFailDelayMs());
      throw err;
    }
  }
  if (method === "GET" && info?.returns?.links !== undefined)
    return directoryIndex(d.schema, template, info.returns.links);
  throw new ApiError(501, `Method '${method} ${call.rel}' not implemented`);
}

/** A schema "directory" GET (links to children) that the testbed has no handler for. */
function directoryIndex(
  schema: ApiSchema,
  template: string,
  links: unknown,
): Record<string, string>[] {
  const href = Array.isArray(links) ? (links[0] as { href?: string } | undefined)?.href : undefined;
  const key = /^\{(.+)\}$/.exec(href ?? "")?.[1] ?? "name";
  const depth = template.split("/").filter((s) => s !== "").length;
  const out: Record<string, string>[] = [];
  for (const p of schema.paths.values()) {
    if (p.segments.length !== depth + 1 || !p.path.startsWith(`${template}/`)) continue;
    const last = p.segments[depth]!;
    if (!last.startsWith("{")) out.push({ [key]: last });
  }
  return out;
}

async function authenticate(
  d: HttpDeps,
  method: string,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<Caller | undefined> {
  try {
    return d.cluster().auth.authenticate(method, req.headers);
  } catch (err) {
    // PVE delays every authentication failure against password guessing
    const delay = d.authFailDelayMs();
    if (delay > 0) await sleep(delay);
    sendError(res, err);
    return undefined;
  }
}
