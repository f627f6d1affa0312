// Redaction over every secret-bearing key (nested and at the top of a log line) and over Error
// objects: messages, own fields and the cause chain. What must stay readable stays readable.
import { Writable } from "node:stream";
import { createLogger, redact, redactText, REDACTED } from "../src/index.js";

const SECRET_KEYS = [
  "pass",
  "password",
  "passwd",
  "dbPassword",
  "secret",
  "tokenSecret",
  "clientSecret",
  "token",
  "apiToken",
  "ticket",
  "authorization",
  "Authorization",
  "cookie",
  "Cookie",
  "apiKey",
  "api_key",
  "api-key",
  "APIKEY",
  "privateKey",
  "private_key",
  "private-key",
  "csrf",
  "CSRFPreventionToken",
  "csrfToken",
  "sshPass",
  "PGPASSWORD",
  "MYSQL_PWD",
  "passphrase",
  "passwordHash",
  // A word that names a secret anywhere in the key, also in capitals before a word.
  "secretValue",
  "passwdEntry",
  "passphraseText",
  "SECRETValue",
  // Contains "file", but does not end with it: a token, not where one is.
  "profileToken",
];
/** Keys that merely contain a secret's letters: results and names, kept (`policy test --json`'s
 * `passTotal`, `bench --json`'s `passed`). */
const PLAIN_KEYS = [
  "passed",
  "passTotal",
  "passes",
  "bypass",
  "compass",
  "tokens",
  "tokenCount",
  "tokenId",
];
/** Keys naming where a secret lives, not the secret. */
const REFERENCE_KEYS = ["apiKeyEnv", "tokenFile", "passwordPath", "secretFile", "privateKeyPath"];

function capture() {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(String(chunk));
      cb();
    },
  });
  const log = createLogger({ format: "json", stream });
  const lines = async (): Promise<Record<string, unknown>[]> => {
    await new Promise((r) => setImmediate(r));
    return chunks
      .join("")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  };
  return { log, lines, raw: () => chunks.join("") };
}

describe("secret keys", () => {
  it.each(SECRET_KEYS)(
    "%s is redacted nested, in arrays and at the top of a log line",
    async (key) => {
      expect(redact({ a: { [key]: "v4lue" }, list: [{ [key]: 7 }] })).toEqual({
        a: { [key]: REDACTED },
        list: [{ [key]: REDACTED }],
      });
      const { log, lines, raw } = capture();
      log.info("m", { [key]: "v4lue" });
      expect((await lines())[0]).toMatchObject({ [key]: REDACTED });
      expect(raw()).not.toContain("v4lue");
    },
  );

  it.each(PLAIN_KEYS)("%s (not a secret's name) is kept", (key) => {
    expect(redact({ n: { [key]: 3 }, [key]: true })).toEqual({ n: { [key]: 3 }, [key]: true });
  });

  it.each(REFERENCE_KEYS)("%s (where a secret is) is kept, nested and at the top", async (key) => {
    expect(redact({ n: { [key]: "/etc/x" } })).toEqual({ n: { [key]: "/etc/x" } });
    const { log, lines } = capture();
    log.info("m", { [key]: "/etc/x" });
    expect((await lines())[0]).toMatchObject({ [key]: "/etc/x" });
  });

  it("writes [redacted] in place of a secret (the form --json and the logs document)", () => {
    expect(redact({ password: "p" })).toEqual({ password: "[redacted]" });
  });

  it("an empty secret says it is empty; other keys and values are untouched", () => {
    expect(redact({ token: "", password: null, secret: undefined, vmid: 101, ok: true })).toEqual({
      token: "",
      password: null,
      secret: undefined,
      vmid: 101,
      ok: true,
    });
    expect(redact([1, "two", null])).toEqual([1, "two", null]);
  });

  it("stops at depth 8 instead of walking a cycle forever", () => {
    const cyclic: Record<string, unknown> = { name: "loop" };
    cyclic.self = cyclic;
    let v = redact(cyclic) as Record<string, unknown>;
    for (let i = 0; i < 8; i++) v = v.self as Record<string, unknown>;
    expect(v.self).toBe("[deep]");
  });
});

describe("secrets in text", () => {
  it.each([
    ["PVEAPIToken=root@pam!txbox=0b9a-77", "PVEAPIToken=root@pam!txbox=" + REDACTED],
    ["Authorization: Bearer sk-abc.def==", "Authorization: Bearer " + REDACTED],
    ["Cookie: PVEAuthCookie=PVE:root@pam:65F0A1B2::c2ln", "Cookie: PVEAuthCookie=" + REDACTED],
    ["ticket PVE:root@pam:65F0A1B2::c2lnbmF0dXJl", "ticket PVE:root@pam:65F0A1B2::" + REDACTED],
    ["login failed: password=hunter2 user=x", `login failed: password=${REDACTED} user=x`],
    ["passwd: hunter2", `passwd: ${REDACTED}`],
    ['{"token":"abc","vmid":1}', `{"token":"${REDACTED}","vmid":1}`],
    ["secret=s3 api_key=k1&x=1", `secret=${REDACTED} api_key=${REDACTED}&x=1`],
    ["ticket: t1, node pve1", `ticket: ${REDACTED}, node pve1`],
    ["Authorization: Bearer  sk-two-spaces", "Authorization: Bearer  " + REDACTED],
    ["pass=hunter2 user=x", `pass=${REDACTED} user=x`],
    ["apikey=k1", `apikey=${REDACTED}`],
  ])("%s", (text, expected) => {
    expect(redactText(text)).toBe(expected);
  });

  it("leaves text without secrets alone (token ids, words that merely contain a key)", () => {
    for (const text of [
      "tokenid=root@pam!txbox on pve1",
      "snapshot txbox-1 created",
      "the password is wrong",
      "PVEAPIToken=root@pam!txbox",
    ]) {
      expect(redactText(text)).toBe(text);
    }
  });
});

describe("Error objects", () => {
  class TypedError extends Error {
    constructor(
      message: string,
      readonly code: string,
      readonly details: Record<string, unknown>,
      options?: { cause?: unknown },
    ) {
      super(message, options);
      this.name = "TypedError";
    }
  }
  const root = new Error("upstream said password=hunter2");
  const middle = new TypedError(
    "PVE login with ticket PVE:root@pam:65F0A1B2::c2lnbmF0dXJl refused",
    "E_AUTH",
    { vmid: 101, token: "tok-9" },
    { cause: root },
  );
  const top = new Error("call failed: Bearer sk-top", { cause: middle });

  it("keeps name, message, own fields and the cause chain, each redacted; no stack", () => {
    expect(redact(top)).toEqual({
      name: "Error",
      message: `call failed: Bearer ${REDACTED}`,
      cause: {
        name: "TypedError",
        message: `PVE login with ticket PVE:root@pam:65F0A1B2::${REDACTED} refused`,
        code: "E_AUTH",
        details: { vmid: 101, token: REDACTED },
        cause: { name: "Error", message: `upstream said password=${REDACTED}` },
      },
    });
  });

  it("a non-Error cause and secret-named fields of an Error are redacted too", () => {
    const e = Object.assign(new Error("x", { cause: { apiKey: "k", note: "token=t" } }), {
      ticket: "PVE:t",
    });
    expect(redact(e)).toEqual({
      name: "Error",
      message: "x",
      ticket: REDACTED,
      cause: { apiKey: REDACTED, note: `token=${REDACTED}` },
    });
  });

  const secrets = ["hunter2", "c2lnbmF0dXJl", "sk-top", "tok-9"];

  it("log.error(err) writes the message and causes, redacted", async () => {
    const { log, lines, raw } = capture();
    log.error(top);
    const [line] = await lines();
    expect(line).toMatchObject({
      level: "error",
      message: `call failed: Bearer ${REDACTED}`,
      cause: { code: "E_AUTH", cause: { message: `upstream said password=${REDACTED}` } },
    });
    for (const s of secrets) expect(raw()).not.toContain(s);
  });

  it("an Error as a field, or after a message, is written redacted", async () => {
    const { log, lines, raw } = capture();
    log.warn("retrying", { error: top });
    log.error("giving up", top);
    const [first, second] = await lines();
    expect(first).toMatchObject({
      message: "retrying",
      error: { message: `call failed: Bearer ${REDACTED}`, cause: { name: "TypedError" } },
    });
    expect(second).toMatchObject({ level: "error", cause: { code: "E_AUTH" } });
    expect(String(second!.message)).toContain("giving up");
    for (const s of secrets) expect(raw()).not.toContain(s);
  });
});
