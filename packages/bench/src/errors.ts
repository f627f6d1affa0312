import { TxboxError, type TxboxErrorOptions } from "@txbox/core";

/**
 * The benchmark could not run (`E_BENCH_SETUP`: the project set-up failed in the guest;
 * `E_BENCH_INPUT`: a corpus or scenario file is malformed; `E_BENCH_DIGEST`: the tree digest
 * could not be computed). A command that fails *inside* a
 * scenario is not an error: it is a result, counted against the rate.
 */
export class BenchError extends TxboxError {
  constructor(
    code: "E_BENCH_SETUP" | "E_BENCH_INPUT" | "E_BENCH_DIGEST",
    message: string,
    options: TxboxErrorOptions = {},
  ) {
    super(code, message, options);
  }
}
