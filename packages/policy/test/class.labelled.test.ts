// Tests by class over the labelled sets' reader (src/eval/labelled.ts): each kind of bad input
// (a missing file, a line that is not JSON, a line that breaks the schema) is refused with the
// error code, the file and line in the message and in the details, and the hint or the cause.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EvalDataError, readLabelled } from "../src/eval/index.js";

const good = '{"cmd":"ls","label":"allow","program":"ls","reason":"reads","source":"t"}';

/** The error readLabelled throws for a file holding `text` (or for no file). */
function refusal(text: string | undefined): EvalDataError {
  const dir = mkdtempSync(join(tmpdir(), "txbox-labelled-"));
  const file = join(dir, "set.jsonl");
  if (text !== undefined) writeFileSync(file, text);
  try {
    readLabelled(file);
  } catch (e) {
    if (e instanceof EvalDataError) return e;
    throw e;
  }
  throw new Error("readLabelled accepted the file");
}

describe("the labelled sets' reader refuses bad data by class", () => {
  it("a line that breaks the schema: the file, the line and the field", () => {
    const e = refusal(`${good}\n\n${good.replace('"allow"', '"maybe"')}\n`);
    expect(e.code).toBe("E_POLICY_EVAL_DATA");
    expect(e.message).toMatch(/set\.jsonl:3: label /);
    expect(e.details).toEqual({ file: expect.stringMatching(/set\.jsonl$/), line: 3 });
  });

  it("a line that is not JSON: the line, and the parser's error as the cause", () => {
    const e = refusal(`${good}\n{"cmd": \n`);
    expect(e.message).toMatch(/set\.jsonl:2: not JSON$/);
    expect(e.details).toEqual({ file: expect.stringMatching(/set\.jsonl$/), line: 2 });
    expect(e.cause).toBeInstanceOf(SyntaxError);
  });

  it("a missing file: its name and where the sets live", () => {
    const e = refusal(undefined);
    expect(e.message).toMatch(/^not found: .*set\.jsonl$/);
    expect(e.details).toEqual({ file: expect.stringMatching(/set\.jsonl$/) });
    expect(e.hint).toMatch(/packages\/policy\/eval/);
  });

  it("reads good lines, skipping blank ones, and keeps tactics only where given", () => {
    const dir = mkdtempSync(join(tmpdir(), "txbox-labelled-"));
    const file = join(dir, "ok.jsonl");
    const art = good.replace("}", ',"tactics":["discovery"]}');
    writeFileSync(file, `${good}\n   \n${art}\n`);
    const rows = readLabelled(file);
    expect(rows).toHaveLength(2);
    expect("tactics" in rows[0]!).toBe(false);
    expect(rows[1]!.tactics).toEqual(["discovery"]);
  });
});
