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
