import { Writable } from "node:stream";
import { createLogger, redact, redactText, REDACTED } from "../src/index.js";

describe("redaction", () => {
  it("redacts secret keys at any depth", () => {
    expect(
      redact({ url: "https://x", tokenSecret: "abc", nested: { password: "p", ok: 1 } }),
    ).toEqual({
      url: "https://x",
      tokenSecret: REDACTED,
      nested: { password: REDACTED, ok: 1 },
    });
  });

  it("keeps keys that say where a secret is (…Env, …File, …Path), not the secret", () => {
    expect(
      redact({ apiKeyEnv: "OPENAI_API_KEY", secretFile: "/etc/pve.secret", secret: "s3" }),
    ).toEqual({ apiKeyEnv: "OPENAI_API_KEY", secretFile: "/etc/pve.secret", secret: REDACTED });
  });

  it("redacts PVE token headers, bearer tokens and tickets in text", () => {
    const text =
      "Authorization: PVEAPIToken=root@pam!txbox=0b9a2c3e-1111-2222-3333-444455556666 and Bearer sk-abc.def cookie PVEAuthCookie=PVE:root@pam:65F0A1B2::c2lnbmF0dXJl";
    const out = redactText(text);
    expect(out).not.toContain("0b9a2c3e");
    expect(out).not.toContain("sk-abc");
    expect(out).not.toContain("c2lnbmF0dXJl");
    expect(out).toContain("PVEAPIToken=root@pam!txbox=" + REDACTED);
  });

  it("never writes a secret to the log stream", async () => {
    const chunks: string[] = [];
    const stream = new Writable({
      write(chunk, _enc, cb) {
        chunks.push(String(chunk));
        cb();
      },
    });
    const log = createLogger({ format: "json", stream });
    log.info("connecting PVEAPIToken=a@b!c=d1e2", { secret: "s3cr3t", url: "https://h:8006" });
    await new Promise((r) => setImmediate(r));
    const line = chunks.join("");
    expect(line).toContain("https://h:8006");
    expect(line).not.toContain("s3cr3t");
    expect(line).not.toContain("d1e2");
    expect(JSON.parse(line.trim())).toMatchObject({ level: "info", secret: REDACTED });
  });
});
