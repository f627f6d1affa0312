import { dirname, resolve } from "node:path";
import { createLogger, type LoadedConfig, type Logger } from "@txbox/core";
import type { RuntimeEnv } from "./environment.js";

/**
 * The `log:` section of txbox.yaml as a winston logger on stderr (stdout stays for results and
 * --json), plus a JSON file when `log.file` is set (relative to txbox.yaml); `TXBOX_DEBUG` turns
 * the level to debug. Secrets are redacted by the logger itself.
 */
export function loggerFor(io: RuntimeEnv, loaded: LoadedConfig): Logger {
  const { level, format, file } = loaded.config.log;
  const debug = io.env.TXBOX_DEBUG !== undefined && io.env.TXBOX_DEBUG !== "";
  const base = loaded.file === undefined ? io.cwd : dirname(loaded.file);
  return createLogger({
    level: debug ? "debug" : level,
    format,
    stream: io.stderr,
    ...(file === undefined ? {} : { file: resolve(base, file) }),
  });
}
