// The edges of redaction that mutation testing found untested: depth through arrays and cause
// chains (a cycle must end, not overflow), an enumerable `stack`, no phantom `cause`, and the
// same depth for a log line's fields as for redact() itself.
import { Writable } from "node:stream";
import { createLogger, redact } from "../src/index.js";

/** `levels` nested arrays around "x". */
const nestedArray = (levels: number): unknown => (levels === 0 ? "x" : [nestedArray(levels - 1)]);
/** An Error with a chain of `n` causes, the last one "c<n>". */
function chain(n: number): Error {
  let e: Error | undefined;
  for (let i = n; i >= 1; i--) e = new Error(`c${i}`, e === undefined ? {} : { cause: e });
  return new Error("top", { cause: e });
}
function depthOf(v: unknown, key: "cause" | 0): number {
  let n = 0;
  let cur = v as Record<string | number, unknown>;
  while (cur !== null && typeof cur === "object" && cur[key] !== undefined) {
    cur = cur[key] as Record<string | number, unknown>;
    n++;
  }
  return n;
}

async function logged(fn: (log: ReturnType<typeof createLogger>) => void) {
  const chunks: string[] = [];
  const stream = new Writable({
    write(c, _e, cb) {
      chunks.push(String(c));
      cb();
    },
  });
  const log = createLogger({ format: "json", stream });
  fn(log);
  await new Promise((r) => setImmediate(r));
  return JSON.parse(chunks.join("").trim()) as Record<string, unknown>;
}

test("arrays count towards the depth limit", () => {
  expect(JSON.stringify(redact(nestedArray(8)))).toBe(JSON.stringify(nestedArray(8)));
  expect(JSON.stringify(redact(nestedArray(12)))).toContain('"[deep]"');
});

test("a cyclic cause chain ends in [deep] instead of overflowing the stack", () => {
  const e = new Error("loop");
  (e as { cause?: unknown }).cause = e;
  const out = redact(e);
  expect(JSON.stringify(out)).toContain('"cause":"[deep]"');
});

test("no cause key without a cause; an enumerable stack is still left out", () => {
  const plain = redact(new Error("x")) as Record<string, unknown>;
  expect(Object.keys(plain).sort()).toEqual(["message", "name"]);
  const e = new Error("y");
  Object.defineProperty(e, "stack", { value: "Error: y token=s3cr3t", enumerable: true });
  expect(Object.keys(redact(e) as object).sort()).toEqual(["message", "name"]);
});

test("a log line's fields and log.error(err) have redact()'s own depth", async () => {
  const direct = redact({ n: nestedArray(9) }) as Record<string, unknown>;
  const line = await logged((log) => log.info("m", { n: nestedArray(9) }));
  expect(line.n).toEqual(redact(nestedArray(9)));
  expect(depthOf(line.n, 0)).toBe(depthOf(redact(nestedArray(9)), 0));
  expect(depthOf(direct.n, 0)).toBeLessThan(depthOf(line.n, 0) + 1);
  // log.error(err): the Error is the line itself, so its causes are its fields: all 9 are kept.
  const viaLog = await logged((log) => log.error(chain(9)));
  expect(depthOf(viaLog, "cause")).toBe(9);
  let last = viaLog;
  for (let i = 0; i < 9; i++) last = last.cause as Record<string, unknown>;
  expect(last).toEqual({ name: "Error", message: "c9" });
});
