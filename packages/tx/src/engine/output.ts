/**
 * A command's output as the record carries it: the exact bytes the executor kept (text when they
 * are UTF-8, else base64), with the full size, digest, truncation and spill file of each stream.
 * Pure.
 */
import { createHash } from "node:crypto";
import { encodeStream, type CommandRecord, type StreamInfo } from "@txbox/core";
import type { ExecResult } from "../ports.js";

type Which = "stdout" | "stderr";

/** The kept bytes of a stream: the executor's exact bytes, else the UTF-8 of its text. */
function bytesOf(r: ExecResult, which: Which): Buffer {
  return r[`${which}Data`] ?? Buffer.from(r[which], "utf8");
}

/** SHA-256 of every byte of a stream: the executor's digest, else the digest of the kept bytes. */
export function digestOf(r: ExecResult, which: Which): string {
  return r[`${which}Sha256`] ?? createHash("sha256").update(bytesOf(r, which)).digest("hex");
}

function streamOf(r: ExecResult, which: Which): { text: string; info: StreamInfo } {
  const data = bytesOf(r, which);
  const { text, encoding } = encodeStream(data);
  const truncated = r[`${which}Truncated`] === true;
  const file = r[`${which}File`];
  const info: StreamInfo = {
    encoding,
    bytes: r[`${which}Bytes`] ?? data.length,
    sha256: digestOf(r, which),
    truncated,
    ...(file === undefined ? {} : { file }),
    ...(truncated && file === undefined && r.spillError !== undefined
      ? { fileError: r.spillError }
      : {}),
  };
  return { text, info };
}

/** The record's `stdout`, `stderr` and `streams` for an execution (empty when nothing ran). */
export function outputOf(
  r: ExecResult | undefined,
): Pick<CommandRecord, "stdout" | "stderr" | "streams"> {
  if (r === undefined) return { stdout: "", stderr: "" };
  const out = streamOf(r, "stdout");
  const err = streamOf(r, "stderr");
  return { stdout: out.text, stderr: err.text, streams: { stdout: out.info, stderr: err.info } };
}
