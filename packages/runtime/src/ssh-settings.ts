/**
 * The effectful half of SSH resolution: reading the operator's ssh_config, finding the agent, and
 * where a key's passphrase comes from (a terminal prompt, else an environment variable or a file).
 */
import { existsSync, readFileSync } from "node:fs";
import { homedir, userInfo } from "node:os";
import { resolve } from "node:path";
import { ConfigError, type LoadedConfig } from "@txbox/core";
import {
  parseSshConfig,
  SshConfigSyntaxError,
  type PassphraseSource,
  type SshConfig,
} from "@txbox/exec";
import type { RuntimeEnv } from "./environment.js";
import type { RouteContext } from "./ssh-route.js";

export interface SshSettings {
  ctx: RouteContext;
  agent?: string;
}

function homeOf(env: NodeJS.ProcessEnv): string {
  return env.HOME ?? homedir();
}

function expandHome(path: string, home: string, baseDir: string): string {
  return resolve(baseDir, path === "~" ? home : path.replace(/^~\//, `${home}/`));
}

/** Read the ssh config txbox.yaml names (default ~/.ssh/config, which may be absent). */
function readSshConfig(loaded: LoadedConfig, home: string): SshConfig | undefined {
  const setting = loaded.config.ssh.config;
  if (setting === "none") return undefined;
  const file = expandHome(setting, home, loaded.baseDir);
  const isDefault = setting === "~/.ssh/config";
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    if (isDefault && (err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new ConfigError(`ssh.config: cannot read ${file}: ${(err as Error).message}`, {
      details: { key: "ssh.config", file },
      hint: "point ssh.config at an OpenSSH client config, or set it to none",
    });
  }
  try {
    return parseSshConfig(text, file);
  } catch (err) {
    if (!(err instanceof SshConfigSyntaxError)) throw err;
    throw new ConfigError(err.message, { details: { key: "ssh.config", file, line: err.line } });
  }
}

/** The ssh settings of a session, read once on first use. */
export function sshSettings(io: Pick<RuntimeEnv, "env">, loaded: LoadedConfig): () => SshSettings {
  let cached: SshSettings | undefined;
  return () => {
    if (cached !== undefined) return cached;
    const home = homeOf(io.env);
    const config = readSshConfig(loaded, home);
    const known = loaded.config.ssh.knownHosts;
    const sock = io.env.SSH_AUTH_SOCK;
    cached = {
      ctx: {
        ...(config === undefined ? {} : { config }),
        home,
        localUser: io.env.USER ?? userInfo().username,
        ...(known === undefined
          ? {}
          : { knownHosts: known.map((f) => expandHome(f, home, loaded.baseDir)) }),
        exists: existsSync,
      },
      ...(loaded.config.ssh.agent && sock !== undefined && sock !== "" ? { agent: sock } : {}),
    };
    return cached;
  };
}

/** Ask on the terminal without echo; undefined when stdin is not a terminal. */
function promptTty(question: string): Promise<string | undefined> {
  const stdin = process.stdin;
  if (!stdin.isTTY) return Promise.resolve(undefined);
  return new Promise((resolvePrompt) => {
    process.stderr.write(question);
    let answer = "";
    stdin.setRawMode(true);
    stdin.resume();
    const done = (value: string | undefined): void => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.removeListener("data", onData);
      process.stderr.write("\n");
      resolvePrompt(value);
    };
    const onData = (chunk: Buffer): void => {
      for (const ch of chunk.toString("utf8")) {
        if (ch === "\r" || ch === "\n") return done(answer);
        if (ch === "\u0003" || ch === "\u0004") return done(undefined);
        if (ch === "\u007f") answer = answer.slice(0, -1);
        else answer += ch;
      }
    };
    stdin.on("data", onData);
  });
}

/**
 * Passphrases of encrypted keys: the terminal when there is one, else `ssh.passphraseEnv`, else
 * `ssh.passphraseFile` (its first line). Asked once per key file per process; never logged.
 */
export function passphraseSource(
  io: Pick<RuntimeEnv, "env">,
  loaded: LoadedConfig,
): PassphraseSource {
  const asked = new Map<string, Promise<string | undefined>>();
  const { passphraseEnv, passphraseFile } = loaded.config.ssh;
  const fromConfig = (): string | undefined => {
    const env = io.env[passphraseEnv];
    if (env !== undefined && env !== "") return env;
    if (passphraseFile === undefined) return undefined;
    const file = expandHome(passphraseFile, homeOf(io.env), loaded.baseDir);
    try {
      return readFileSync(file, "utf8").split(/\r?\n/)[0];
    } catch (err) {
      throw new ConfigError(`ssh.passphraseFile: cannot read ${file}: ${(err as Error).message}`, {
        details: { key: "ssh.passphraseFile", file },
      });
    }
  };
  return (keyFile) => {
    let p = asked.get(keyFile);
    if (p === undefined) {
      const configured = fromConfig();
      p =
        configured !== undefined
          ? Promise.resolve(configured)
          : promptTty(`Enter passphrase for key '${keyFile}': `);
      asked.set(keyFile, p);
    }
    return p;
  };
}
