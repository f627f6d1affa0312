// Regression for a race that real guests hit in ~3 % of fast commands: the server's reply to the
// exec request and the command's exit status arrive in one TCP read, ssh2 emits "exit" while it
// parses that read, and a listener attached one await later never sees it — the command then looks
// as if the connection died under it ("outcome unknown", so a transaction that succeeded rolled
// back). OpenSSH only produces that timing when the command finishes within the same few
// microseconds, so this test uses ssh2's own protocol server and corks its socket while it replies:
// the reply, the output, the exit status and the close leave in one segment, every time.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import ssh2 from "ssh2";
import { PGID_MARKER } from "../src/shell.js";
import { SshExecutor } from "../src/ssh.js";
import type { SshTarget } from "../src/types.js";

const { Server } = ssh2;

let server: InstanceType<typeof Server>;
let target: SshTarget;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "txbox-exit-race-"));
  for (const k of ["host", "client"]) {
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(dir, k)]);
  }
  const hostKey = execFileSync("ssh-keygen", ["-l", "-E", "sha256", "-f", join(dir, "host.pub")])
    .toString()
    .split(" ")[1]!;
  server = new Server({ hostKeys: [readFileSync(join(dir, "host"))] }, (client) => {
    client.on("authentication", (ctx) => ctx.accept());
    client.on("error", () => undefined);
    client.on("session", (accept) => {
      accept().on("exec", (acceptExec, _reject, info) => {
        // The command's exit code is the number after the last `exit ` in the text we were sent.
        const code = Number(/exit (\d+)/.exec(info.command)?.[1] ?? 0);
        // ssh2 has no public handle on the socket; `_sock` is the net.Socket under the connection.
        const sock = (client as unknown as { _sock: import("node:net").Socket })._sock;
        sock.cork();
        const stream = acceptExec();
        stream.write(`${PGID_MARKER}4242\nout\n`);
        stream.exit(code);
        stream.end();
        // end() sends EOF and close on a later tick: uncork after those too.
        setTimeout(() => sock.uncork(), 2);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  target = {
    host: "127.0.0.1",
    port: (server.address() as AddressInfo).port,
    user: "root",
    privateKey: readFileSync(join(dir, "client")),
    hostKey,
  };
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

test("an exit status that arrives with the exec reply is never lost", async () => {
  const exec = new SshExecutor();
  try {
    const codes: (number | null)[] = [];
    for (let i = 0; i < 200; i++) {
      const r = await exec.run(target, `exit ${i % 4}`, { timeoutMs: 10_000 });
      expect(r.stdout).toBe("out\n");
      codes.push(r.exitCode);
    }
    expect(codes).toEqual(Array.from({ length: 200 }, (_, i) => i % 4));
    expect(exec.stats().connects).toBe(1);
  } finally {
    await exec.close();
  }
});
