import type { Host, Session, SessionOptions } from "@txbox/runtime";
import { configFor, guestPolicies } from "@txbox/runtime/gate";
import type { GuestRef } from "@txbox/tx";
import type { Io } from "./output.js";
import { printRecovery, recoveryEmpty } from "./commands/common-tx.js";

/**
 * The runtime's cold host, loading the session's modules (SQLite, ssh2, the API client) only when
 * a session is opened: commands that only decide never load them.
 */
const lazyColdHost: Host = {
  warm: false,
  config: (io, file) => configFor(io, file),
  policies: (loaded, extra) => guestPolicies(loaded, extra),
  withSession: async (io, options, fn) => {
    // Loading the session's modules is part of opening the session.
    const t0 = performance.now();
    const { coldHost } = await import("@txbox/runtime");
    const loadMs = performance.now() - t0;
    return await coldHost.withSession(io, options, (s, opened) =>
      fn(s, { sessionMs: loadMs + opened.sessionMs }),
    );
  },
};

/** Where this command's config, policy and session come from: the daemon's, or its own. */
export function hostOf(io: Io): Host {
  return io.host ?? lazyColdHost;
}

/** A session for the command (warm in the daemon, opened and closed here otherwise). */
export async function withSession<T>(
  io: Io,
  options: SessionOptions,
  fn: (session: Session, opened: { sessionMs: number }) => Promise<T>,
): Promise<T> {
  return await hostOf(io).withSession(io, options, fn);
}

/**
 * A session for commands on one guest: the guest is recovered first when the journal shows
 * abandoned work on it (the report goes to stderr), then `fn` runs. The one "recover, then run"
 * of `txbox run`, `agent`, `mcp` and `bench`.
 */
export async function withGuestSession<T>(
  io: Io,
  options: SessionOptions,
  guest: GuestRef,
  fn: (session: Session, opened: { sessionMs: number; recoverMs: number }) => Promise<T>,
): Promise<T> {
  return await withSession(io, options, async (s, opened) => {
    const t0 = performance.now();
    await recoverGuest(io, s, guest);
    return await fn(s, { ...opened, recoverMs: performance.now() - t0 });
  });
}

/** Recover `guest` when the journal shows abandoned work on it; say what was done on stderr. */
export async function recoverGuest(io: Io, s: Session, guest: GuestRef): Promise<void> {
  const report = await s.recoverIfNeeded(guest);
  if (report !== undefined && !recoveryEmpty(report))
    printRecovery(io, report, (t) => void io.stderr.write(`txbox: ${t}\n`));
}

/** The session options the guest-holding commands (`agent run`, `mcp`) take from their flags. */
export function guestSessionOptions(opts: {
  config?: string;
  policy?: string[];
  cwd?: string;
  keepSnapshot?: boolean;
}): SessionOptions {
  return {
    ...(opts.config === undefined ? {} : { config: opts.config }),
    ...(opts.policy === undefined ? {} : { policy: opts.policy }),
    ...(opts.cwd === undefined ? {} : { cwd: opts.cwd }),
    ...(opts.keepSnapshot ? { keepSnapshot: true } : {}),
  };
}
