// Shared by the behaviour-class tests that judge whole commands with the shipped policy.
import { decide, loadPolicy } from "../src/policy.js";

const policy = loadPolicy();

/** The shipped policy's decision for `cmd`. */
export const verdict = (cmd: string): string => decide(policy, cmd).decision;

/** Each of `deny` is denied; none of `pass` is (one test per command). */
export function sides(deny: string[], pass: string[]): void {
  it.each(deny)("%s → deny", (cmd) => expect(verdict(cmd)).toBe("deny"));
  it.each(pass)("%s → not deny", (cmd) => expect(verdict(cmd)).not.toBe("deny"));
}

/**
 * {@link sides} with the shipped policy, then again with the rules `disable` names turned off:
 * the rules that name the programs, so that the program-independent reading alone decides, as
 * for a program nobody wrote knowledge for.
 */
export function sidesWithout(disable: string[], deny: string[], pass: string[] = []): void {
  sides(deny, pass);
  describe(`without ${disable.join(", ")}`, () => {
    const bare = loadPolicy({ disable });
    const judge = (cmd: string): string => decide(bare, cmd).decision;
    it.each(deny)("%s → deny", (cmd) => expect(judge(cmd)).toBe("deny"));
    if (pass.length > 0)
      it.each(pass)("%s → not deny", (cmd) => expect(judge(cmd)).not.toBe("deny"));
  });
}
