import { createHmac, randomBytes, randomUUID, scryptSync, timingSafeEqual } from "node:crypto";
import type { TestbedConfig } from "../config.js";
import type { Caller } from "./context.js";
import { ApiError } from "./errors.js";
import type { Store } from "./store.js";

/** A user as persisted: a password hash (scrypt) and API tokens with their secrets. */
export interface UserRecord {
  userid: string;
  passwordHash?: string;
  tokens: { id: string; secret: string }[];
}

interface AuthState {
  users: UserRecord[];
  /** HMAC key for tickets and CSRF tokens (PVE's authkey). */
  key: string;
}

const TOKEN_RE =
  /^PVEAPIToken=([^\s:/]+@[A-Za-z][A-Za-z0-9.\-_]+)!([A-Za-z][A-Za-z0-9.\-_]+)=(.+)$/;

function hashPassword(password: string): string {
  const salt = randomBytes(16).toString("hex");
  return `${salt}:${scryptSync(password, salt, 32).toString("hex")}`;
}

function checkPassword(password: string, stored: string): boolean {
  const [salt = "", hash = ""] = stored.split(":");
  const got = scryptSync(password, salt, 32);
  const want = Buffer.from(hash, "hex");
  return want.length === got.length && timingSafeEqual(got, want);
}

const hex8 = (n: number): string => n.toString(16).toUpperCase().padStart(8, "0");

/**
 * Users, API tokens, tickets (`PVE:<user>:<time>::<sig>`) and CSRF prevention tokens, persisted in
 * the state dir. Token secrets not given in the config are generated on first start.
 */
export class Auth {
  private state: AuthState;

  constructor(
    private readonly store: Store,
    private readonly config: TestbedConfig,
    private readonly ticketLifetimeS: number,
  ) {
    const existing = store.read<AuthState>("users.json");
    const state: AuthState = existing ?? { users: [], key: randomBytes(32).toString("hex") };
    for (const u of config.users) {
      let rec = state.users.find((x) => x.userid === u.userid);
      if (rec === undefined) {
        rec = { userid: u.userid, tokens: [] };
        state.users.push(rec);
      }
      if (
        u.password !== undefined &&
        (rec.passwordHash === undefined || !checkPassword(u.password, rec.passwordHash))
      )
        rec.passwordHash = hashPassword(u.password);
      for (const t of u.tokens) {
        const tok = rec.tokens.find((x) => x.id === t.id);
        if (tok === undefined) rec.tokens.push({ id: t.id, secret: t.secret ?? randomUUID() });
        else if (t.secret !== undefined) tok.secret = t.secret;
      }
    }
    this.state = state;
    store.write("users.json", state);
  }

  /** The first configured token, `{ tokenId: "user@realm!id", secret }`, for printing and tests. */
  primaryToken(): { tokenId: string; secret: string } | undefined {
    for (const u of this.state.users)
      for (const t of u.tokens) return { tokenId: `${u.userid}!${t.id}`, secret: t.secret };
    return undefined;
  }

  private sign(text: string): string {
    return createHmac("sha256", this.state.key).update(text).digest("base64");
  }

  /** `POST /access/ticket`: a ticket and CSRF token, or 401 `authentication failure`. */
  login(username: string, password: string, realm?: string): Record<string, unknown> {
    const userid =
      realm !== undefined && !username.includes("@") ? `${username}@${realm}` : username;
    const u = this.state.users.find((x) => x.userid === userid);
    if (u?.passwordHash === undefined || !checkPassword(password, u.passwordHash))
      throw new ApiError(401, "authentication failure");
    const time = hex8(Math.floor(Date.now() / 1000));
    const plain = `PVE:${userid}:${time}`;
    const ticket = `${plain}::${this.sign(plain)}`;
    return {
      username: userid,
      ticket,
      CSRFPreventionToken: `${time}:${this.sign(`csrf:${userid}:${time}`).replace(/=+$/, "")}`,
      cap: { vms: {}, storage: {}, access: {}, nodes: {}, dc: {}, sdn: {}, mapping: {} },
      clustername: "txbox-testbed",
    };
  }

  /**
   * Authenticate a request by token header or ticket cookie (+ CSRF header on non-GET). Throws
   * 401 ApiErrors with PVE's messages.
   */
  authenticate(method: string, headers: Record<string, string | string[] | undefined>): Caller {
    const authz = headers.authorization;
    if (typeof authz === "string" && authz.startsWith("PVEAPIToken=")) {
      const m = TOKEN_RE.exec(authz.trim());
      const user = m === null ? undefined : this.state.users.find((u) => u.userid === m[1]);
      const tok = user?.tokens.find((t) => t.id === m?.[2]);
      if (m === null || tok === undefined) throw new ApiError(401, "authentication failure");
      const expire = this.config.users
        .find((u) => u.userid === m[1])
        ?.tokens.find((t) => t.id === m[2])?.expire;
      // AccessControl.pm verify_token: an expired token is refused before its value is checked
      if (expire !== undefined && expire > 0 && expire < Date.now() / 1000)
        throw new ApiError(401, `token '${m[2]!}' access expired`);
      if (!safeEqual(tok.secret, m[3]!)) throw new ApiError(401, "authentication failure");
      return { user: m[1]!, tokenid: m[2]! };
    }
    const cookie = typeof headers.cookie === "string" ? headers.cookie : "";
    const m = /(?:^|;\s*)PVEAuthCookie=([^;]+)/.exec(cookie);
    if (m === null) throw new ApiError(401, "No ticket");
    const ticket = decodeURIComponent(m[1]!);
    const t = /^(PVE:([^:]+):([0-9A-F]{8}))::(.+)$/.exec(ticket);
    if (t === null || !safeEqual(this.sign(t[1]!), t[4]!))
      throw new ApiError(401, "invalid PVE ticket");
    const age = Math.floor(Date.now() / 1000) - parseInt(t[3]!, 16);
    if (age > this.ticketLifetimeS || age < -300) throw new ApiError(401, "invalid PVE ticket");
    const userid = t[2]!;
    if (method !== "GET") {
      const csrf = headers.csrfpreventiontoken;
      const c = typeof csrf === "string" ? /^([0-9A-F]{8}):(.+)$/.exec(csrf) : null;
      if (c === null || !safeEqual(this.sign(`csrf:${userid}:${c[1]}`).replace(/=+$/, ""), c[2]!))
        throw new ApiError(401, "Permission denied - invalid csrf token");
    }
    return { user: userid };
  }

  users(): UserRecord[] {
    return this.state.users;
  }
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
