// Unit tests of transport, retries and task waiting against a SCRIPTED local HTTPS server.
import { ProxmoxClient } from "../src/client.js";
import {
  ApiError,
  Unsupported,
  AuthFailed,
  Locked,
  NotFound,
  TaskFailed,
  Timeout,
  TransportError,
  TlsFingerprintMismatch,
} from "../src/errors.js";
import type { ProxmoxConnection } from "../src/connection.js";
import { startScriptedServer, type ScriptedServer } from "./fixtures/scripted-server.js";

const SECRET = "0b5c6c5e-2d2f-4c0e-9a52-5d7f8f0a1b2c";
const UPID = (type: string, n = 1): string =>
  `UPID:pve:0000000${n}:00000001:6745A1B2:${type}:100:root@pam!txbox:`;

let srv: ScriptedServer;
let client: ProxmoxClient;

function connection(over: Partial<ProxmoxConnection> = {}): ProxmoxConnection {
  return {
    url: srv.url,
    node: "pve",
    credentials: { kind: "token", tokenId: "root@pam!txbox", secret: SECRET },
    fingerprint: srv.fingerprint,
    timeoutMs: 1500,
    taskTimeoutMs: 15_000,
    ...over,
  };
}

beforeEach(async () => {
  srv = await startScriptedServer();
  srv.route("GET", "/version", () => ({ status: 200, data: { version: "9.1.1" } }));
  srv.route("GET", "/cluster/resources", () => ({
    status: 200,
    data: [{ id: "qemu/100", type: "qemu", vmid: 100, node: "pve", status: "running" }],
  }));
  client = await ProxmoxClient.connect(connection());
});
afterEach(async () => {
  await client.close();
  await srv.close();
});

/** Task status script: running `runs` times, then stopped with `exitstatus`. */
function task(exitstatus: string, runs = 1, log: string[] = []): void {
  srv.route("GET", /^\/nodes\/pve\/tasks\/UPID:.*\/status$/, (_r, n) => ({
    status: 200,
    data: {
      upid: "x",
      node: "pve",
      status: n < runs ? "running" : "stopped",
      ...(n < runs ? {} : { exitstatus }),
    },
  }));
  srv.route("GET", /^\/nodes\/pve\/tasks\/UPID:.*\/log$/, () => ({
    status: 200,
    data: [...log, `TASK ERROR: ${exitstatus}`].map((t, i) => ({ n: i + 1, t })),
  }));
}

describe("TLS pinning and auth", () => {
  test("the token goes in the Authorization header", async () => {
    expect(srv.requests[0]!.headers.authorization).toBe(`PVEAPIToken=root@pam!txbox=${SECRET}`);
  });

  test("a certificate that does not match the pinned fingerprint is refused before any request", async () => {
    const before = srv.requests.length;
    const wrong = "AA:".repeat(31) + "AA";
    const err = await ProxmoxClient.connect(connection({ fingerprint: wrong })).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TlsFingerprintMismatch);
    expect(err).toMatchObject({
      code: "E_TLS_FINGERPRINT",
      retryable: false,
      details: { expected: wrong, presented: srv.fingerprint },
    });
    expect(String((err as Error).message)).toContain("does not match the pinned");
    expect(srv.requests.length).toBe(before);
  });

  test("without a pin the self-signed certificate is rejected (verification stays on)", async () => {
    const err = await ProxmoxClient.connect(connection({ fingerprint: undefined })).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).sent).toBe(false);
    expect((err as TransportError).retryable).toBe(false);
  });

  test("401 is AuthFailed and the secret never appears in the error", async () => {
    srv.route("GET", "/nodes", () => ({ status: 401, statusText: "authentication failure" }));
    const err = await client.nodes().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthFailed);
    expect(JSON.stringify(err)).not.toContain(SECRET);
    expect((err as Error).message).not.toContain(SECRET);
  });

  test("ticket login sends the cookie, and the CSRF token on writes", async () => {
    srv.route("POST", "/access/ticket", (r) =>
      r.body.get("password") === "pw"
        ? {
            status: 200,
            data: { ticket: "PVE:root@pam:6745A1B2::sig", CSRFPreventionToken: "csrf1" },
          }
        : { status: 401, statusText: "authentication failure" },
    );
    srv.route("PUT", "/nodes/pve/qemu/100/config", () => ({ status: 200, data: null }));
    const c = await ProxmoxClient.connect(
      connection({ credentials: { kind: "ticket", username: "root@pam", password: "pw" } }),
    );
    try {
      const g = await c.guest(100);
      await g.updateConfig({ description: "x" });
      const put = srv.requests.find((r) => r.method === "PUT")!;
      expect(put.headers.cookie).toBe("PVEAuthCookie=PVE:root@pam:6745A1B2::sig");
      expect(put.headers.csrfpreventiontoken).toBe("csrf1");
      expect(put.body.get("description")).toBe("x");
    } finally {
      await c.close();
    }
  });
});

test("an expired ticket is renewed once; a refused login is not retried", async () => {
  srv.route("POST", "/access/ticket", (r, n) =>
    r.body.get("password") === "pw"
      ? {
          status: 200,
          data: { ticket: `PVE:root@pam:0000000${n}::sig`, CSRFPreventionToken: `c${n}` },
        }
      : { status: 401, statusText: "authentication failure" },
  );
  srv.route("GET", "/nodes", (r) =>
    r.headers.cookie === "PVEAuthCookie=PVE:root@pam:00000000::sig"
      ? { status: 401, statusText: "invalid PVE ticket" }
      : { status: 200, data: [{ node: "pve", status: "online" }] },
  );
  const c = await ProxmoxClient.connect(
    connection({ credentials: { kind: "ticket", username: "root@pam", password: "pw" } }),
  );
  try {
    expect(await c.nodes()).toEqual([{ node: "pve", status: "online" }]);
    expect(srv.count("POST", "/access/ticket")).toBe(2);
  } finally {
    await c.close();
  }
  const before = srv.count("POST", "/access/ticket");
  const bad = ProxmoxClient.connect(
    connection({ credentials: { kind: "ticket", username: "root@pam", password: "no" } }),
  );
  await expect(bad).rejects.toBeInstanceOf(AuthFailed);
  expect(srv.count("POST", "/access/ticket")).toBe(before + 1);
});

describe("retries", () => {
  test("a read survives 5xx and dropped connections", async () => {
    srv.route("GET", "/cluster/nextid", (_r, n) =>
      n === 0
        ? { status: 503, statusText: "Service Unavailable" }
        : n === 1
          ? "drop"
          : { status: 200, data: "123" },
    );
    expect(await client.nextId()).toBe(123);
    expect(srv.count("GET", "/cluster/nextid")).toBe(3);
  });

  test("a read that fails on every attempt says how often it was tried", async () => {
    srv.route("GET", "/cluster/nextid", () => ({
      status: 503,
      statusText: "Service Unavailable",
    }));
    const err = (await client.nextId().catch((e: unknown) => e)) as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect(err.message).toMatch(
      /^GET \/cluster\/nextid: Service Unavailable \(gave up after 5 attempts in \d+\.\d s\)$/,
    );
    expect({ attempts: err.details.attempts, retryable: err.retryable }).toEqual({
      attempts: 5,
      retryable: true,
    });
    expect(srv.count("GET", "/cluster/nextid")).toBe(5);
  }, 15_000);

  test("an effect whose request went unanswered is not sent again", async () => {
    srv.route("POST", "/nodes/pve/qemu/100/status/start", () => "drop");
    srv.route("GET", "/nodes/pve/qemu/100/status/current", () => ({
      status: 200,
      data: { status: "stopped" },
    }));
    const g = await client.guest(100);
    // start() checks the status first; the dropped POST's outcome is then checked, not re-sent.
    const err = await client
      .effect("POST", "/nodes/pve/qemu/100/status/start", undefined)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).sent).toBe(true);
    expect(srv.count("POST", "/nodes/pve/qemu/100/status/start")).toBe(1);
    expect(g.vmid).toBe(100);
  });

  test("snapshot create that timed out is recognised as ours instead of re-sent", async () => {
    let created = false;
    srv.route("POST", "/nodes/pve/qemu/100/snapshot", () => {
      created = true;
      return "hang";
    });
    srv.route("GET", "/nodes/pve/qemu/100/snapshot", () => ({
      status: 200,
      data: [
        ...(created ? [{ name: "txbox-abc", description: "txbox:abc first", snaptime: 1 }] : []),
        { name: "current", description: "You are here!", running: 1, digest: "d" },
      ],
    }));
    const g = await client.guest(100);
    const r = await g.createSnapshot("txbox-abc", {
      description: "txbox:abc first",
      marker: "txbox:abc",
    });
    expect(r).toEqual({ upid: null, exitstatus: "OK", durationMs: 0 });
    expect(srv.count("POST", "/nodes/pve/qemu/100/snapshot")).toBe(1);
  });

  test("an existing snapshot that is not ours is an error, ours is success", async () => {
    srv.route("GET", "/nodes/pve/qemu/100/snapshot", () => ({
      status: 200,
      data: [
        { name: "s1", description: "someone else" },
        { name: "current", description: "You are here!" },
      ],
    }));
    const g = await client.guest(100);
    await expect(g.createSnapshot("s1", { description: "txbox:t1" })).rejects.toThrow(/not ours/);
    expect(await g.createSnapshot("s1", { description: "someone else" })).toMatchObject({
      upid: null,
    });
    expect(srv.count("POST", "/nodes/pve/qemu/100/snapshot")).toBe(0);
  });

  test("a fresh name is created without listing snapshots first; a re-sent one that ran is still ours", async () => {
    srv.route("POST", "/nodes/pve/qemu/100/snapshot", (_r, n) => ({
      status: 200,
      data: UPID("qmsnapshot", n + 1),
    }));
    // PVE refuses a used name in the task (snapshot_prepare), not in the API call.
    srv.route("GET", /^\/nodes\/pve\/tasks\/UPID:.*\/status$/, (r) => ({
      status: 200,
      data: {
        upid: "x",
        node: "pve",
        status: "stopped",
        exitstatus: r.path.includes(":00000002:") ? "snapshot name 's3' already used" : "OK",
      },
    }));
    srv.route("GET", /^\/nodes\/pve\/tasks\/UPID:.*\/log$/, () => ({ status: 200, data: [] }));
    let listed = 0;
    srv.route("GET", "/nodes/pve/qemu/100/snapshot", () => ({
      status: 200,
      data: [
        ...(++listed > 0 ? [{ name: "s3", description: "txbox:t3" }] : []),
        { name: "current", description: "" },
      ],
    }));
    const g = await client.guest(100);
    const r = await g.createSnapshot("s3", { description: "txbox:t3", fresh: true });
    expect(r.exitstatus).toBe("OK");
    expect(listed).toBe(0);
    // Sent again (a caller that could not tell whether it ran): PVE's answer leads to our snapshot.
    expect(await g.createSnapshot("s3", { description: "txbox:t3", fresh: true })).toMatchObject({
      upid: null,
    });
    expect(listed).toBe(1);
    expect(srv.count("POST", "/nodes/pve/qemu/100/snapshot")).toBe(2);
  });

  test("a snapshot wait aimed at the guest's recent snapshots polls first shortly before they ended", async () => {
    let posted = 0;
    const firstPoll: number[] = [];
    srv.route("POST", "/nodes/pve/qemu/100/snapshot", (_r, n) => {
      posted = Date.now();
      return { status: 200, data: UPID("qmsnapshot", n + 1) };
    });
    // The task ends 60 ms after its POST.
    srv.route("GET", /^\/nodes\/pve\/tasks\/UPID:.*\/status$/, (r) => {
      const n = Number(/:0000000(\d):/.exec(r.path)?.[1]);
      if (firstPoll[n] === undefined) firstPoll[n] = Date.now() - posted;
      const done = Date.now() - posted >= 60;
      return {
        status: 200,
        data: {
          upid: "x",
          node: "pve",
          status: done ? "stopped" : "running",
          ...(done ? { exitstatus: "OK" } : {}),
        },
      };
    });
    const g = await client.guest(100);
    for (let i = 1; i <= 3; i++)
      await g.createSnapshot(`p${i}`, { description: "txbox:p", fresh: true });
    // Unknown at first: polled at once; then aimed at 0.8 × the shortest (≥ 60 ms) duration seen.
    expect(firstPoll[1]).toBeLessThan(30);
    expect(firstPoll[3]).toBeGreaterThanOrEqual(35);
  });

  test("a config-lock timeout is retried, and the task waited for", async () => {
    srv.route("POST", "/nodes/pve/qemu/100/snapshot", (_r, n) =>
      n === 0
        ? {
            status: 500,
            statusText: "can't lock file '/var/lock/qemu-server/lock-100.conf' - got timeout",
          }
        : { status: 200, data: UPID("qmsnapshot") },
    );
    srv.route("GET", "/nodes/pve/qemu/100/snapshot", () => ({
      status: 200,
      data: [{ name: "current", description: "" }],
    }));
    task("OK", 2);
    const g = await client.guest(100);
    const r = await g.createSnapshot("s2", { description: "txbox:t2" });
    expect(r.upid).toBe(UPID("qmsnapshot"));
    expect(r.exitstatus).toBe("OK");
    expect(srv.count("POST", "/nodes/pve/qemu/100/snapshot")).toBe(2);
    expect(
      srv.requests.find((q) => q.method === "POST" && q.body.get("snapname") === "s2"),
    ).toBeDefined();
  });

  test("a task that failed on someone else's lock is started again", async () => {
    srv.route("POST", "/nodes/pve/qemu/100/snapshot/s1/rollback", (_r, n) => ({
      status: 200,
      data: UPID("qmrollback", n + 1),
    }));
    let polls = 0;
    srv.route("GET", /\/tasks\/.*\/status$/, (r) => {
      polls++;
      const first = r.path.includes("UPID:pve:00000001:");
      return {
        status: 200,
        data: { status: "stopped", exitstatus: first ? "VM is locked (backup)" : "OK" },
      };
    });
    srv.route("GET", /\/tasks\/.*\/log$/, () => ({
      status: 200,
      data: [{ n: 1, t: "TASK ERROR: VM is locked (backup)" }],
    }));
    // start=1: PVE starts the guest in a task of its own; here it is already running
    srv.route("GET", "/nodes/pve/tasks", () => ({ status: 200, data: [] }));
    srv.route("GET", "/nodes/pve/qemu/100/status/current", () => ({
      status: 200,
      data: { status: "running" },
    }));
    const g = await client.guest(100);
    const r = await g.rollback("s1", { start: true });
    expect(r.upid).toBe(UPID("qmrollback", 2));
    expect(srv.count("POST", "/nodes/pve/qemu/100/snapshot/s1/rollback")).toBe(2);
    expect(srv.requests.find((q) => q.method === "POST")!.body.get("start")).toBe("1");
    expect(polls).toBe(2);
  });

  test("deleting a missing snapshot succeeds without a request", async () => {
    srv.route("GET", "/nodes/pve/qemu/100/snapshot", () => ({
      status: 200,
      data: [{ name: "current", description: "" }],
    }));
    const g = await client.guest(100);
    expect(await g.deleteSnapshot("gone")).toMatchObject({ upid: null });
    expect(srv.count("DELETE", /snapshot/)).toBe(0);
  });
});

describe("waitTask", () => {
  test("WARNINGS is success", async () => {
    task("WARNINGS: 2", 3);
    const r = await client.waitTask("pve", UPID("qmsnapshot"), { timeoutMs: 10_000 });
    expect(r).toMatchObject({ upid: UPID("qmsnapshot"), exitstatus: "WARNINGS: 2" });
  });

  test("'no such task' right after creation is retried", async () => {
    srv.route("GET", /\/tasks\/.*\/status$/, (_r, n) =>
      n < 2
        ? { status: 400, statusText: "no such task" }
        : { status: 200, data: { status: "stopped", exitstatus: "OK" } },
    );
    const seen: string[] = [];
    const r = await client.waitTask("pve", UPID("qmstart"), {
      timeoutMs: 10_000,
      onProgress: (s) => seen.push(s.status),
    });
    expect(r.exitstatus).toBe("OK");
    expect(seen).toEqual(["stopped"]);
  });

  test("'no such task' that persists fails after the grace period", async () => {
    srv.route("GET", /\/tasks\/.*\/status$/, () => ({ status: 400, statusText: "no such task" }));
    await expect(
      client.waitTask("pve", UPID("qmstart"), { timeoutMs: 10_000, unknownGraceMs: 500 }),
    ).rejects.toThrow(/no such task/);
  });

  test("a failed task throws TaskFailed with its log", async () => {
    task("snapshot feature is not available", 1, ["starting", "checking storage"]);
    const err = await client
      .waitTask("pve", UPID("qmsnapshot"), { timeoutMs: 10_000 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TaskFailed);
    expect((err as TaskFailed).exitstatus).toBe("snapshot feature is not available");
    expect((err as TaskFailed).log).toEqual([
      "starting",
      "checking storage",
      "TASK ERROR: snapshot feature is not available",
    ]);
    expect((err as TaskFailed).upid).toBe(UPID("qmsnapshot"));
    expect((err as TaskFailed).code).toBe("E_TASK_FAILED");
  });

  test("the wait budget is separate from the HTTP timeout, and running out is Timeout", async () => {
    srv.route("GET", /\/tasks\/.*\/status$/, () => ({ status: 200, data: { status: "running" } }));
    const err = await client
      .waitTask("pve", UPID("qmrollback"), { timeoutMs: 2500 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Timeout);
    expect((err as Timeout).code).toBe("E_TIMEOUT");
    expect((err as Timeout).upid).toBe(UPID("qmrollback"));
    // More than one HTTP timeout (1.5 s) of polling happened without an HTTP error.
    expect(srv.count("GET", /\/tasks\//)).toBeGreaterThan(2);
  });

  test("a task failing on a lock surfaces as Locked", async () => {
    task("CT is locked (snapshot)");
    await expect(
      client.waitTask("pve", UPID("vzstart"), { timeoutMs: 10_000 }),
    ).rejects.toBeInstanceOf(Locked);
  });
});

test("guest() of a missing vmid is NotFound", async () => {
  await expect(client.guest(999)).rejects.toBeInstanceOf(NotFound);
});

describe("the PVE version against the supported range (8.x, 9.x)", () => {
  test.each([
    ["8.4.1", []],
    ["9.1.1", []],
    ["10.0.2", ["PVE 10.0.2 is newer than txbox was tested against (8.x and 9.x)"]],
  ])("%s connects, warning %j", async (version, warnings) => {
    srv.route("GET", "/version", () => ({ status: 200, data: { version } }));
    const seen: string[] = [];
    const c = await ProxmoxClient.connect(connection(), { onWarning: (m) => seen.push(m) });
    expect({ version: c.pveVersion, seen }).toEqual({ version, seen: warnings });
    await c.close();
  });

  test("an older release is refused with the reason", async () => {
    srv.route("GET", "/version", () => ({ status: 200, data: { version: "7.4.3" } }));
    const err = await ProxmoxClient.connect(connection()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Unsupported);
    expect((err as Unsupported).message).toBe(
      "PVE 7.4.3 is older than txbox supports (8.x and 9.x): its API lacks calls txbox makes",
    );
  });
});
