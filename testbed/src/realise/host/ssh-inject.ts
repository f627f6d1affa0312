import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { RealiseError, type SshInjection, type VolumeRef } from "../types.js";
import { run } from "./exec.js";
import { helperArgv } from "./sandbox.js";

/**
 * Write the operator's authorized_keys (and, when asked, fresh host keys) into a stopped guest's
 * root file system at `root`, through the sandboxed helper so that nothing follows a guest's
 * symlinks out of it; returns the host keys' fingerprints for pinning.
 */
export async function injectSsh(
  root: string,
  ref: VolumeRef,
  injection: SshInjection,
): Promise<{ hostKeyFingerprints: string[] }> {
  if (!existsSync(root))
    throw new RealiseError(`volume ${ref.storage}:${ref.volume} does not exist`);
  const lines = ["set -e", "umask 077"];
  const put = (path: string, content: string, mode: string): void => {
    const eof = `TXBOX_EOF_${Math.random().toString(36).slice(2)}`;
    lines.push(
      `rm -f ${path}`,
      `cat > ${path} <<'${eof}'`,
      content.trimEnd(),
      eof,
      `chmod ${mode} ${path}`,
    );
  };
  if (injection.regenerateHostKeys) {
    const tmp = await mkdtemp(join(tmpdir(), "txbox-hostkeys-"));
    try {
      lines.push("mkdir -p /etc/ssh", "rm -f /etc/ssh/ssh_host_*");
      for (const type of ["ed25519", "ecdsa"]) {
        const file = join(tmp, `ssh_host_${type}_key`);
        await run([
          "ssh-keygen",
          "-q",
          "-t",
          type,
          "-N",
          "",
          "-C",
          `root@txbox-${ref.volume}`,
          "-f",
          file,
        ]);
        put(`/etc/ssh/ssh_host_${type}_key`, await readFile(file, "utf8"), "600");
        put(`/etc/ssh/ssh_host_${type}_key.pub`, await readFile(`${file}.pub`, "utf8"), "644");
      }
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }
  lines.push("mkdir -p /root/.ssh", "chmod 700 /root/.ssh", "chown 0:0 /root/.ssh");
  put("/root/.ssh/authorized_keys", injection.authorizedKeys.join("\n"), "600");
  lines.push("cat /etc/ssh/ssh_host_*_key.pub 2>/dev/null || true");
  const out = await run(helperArgv(root), { input: `${lines.join("\n")}\n`, timeoutMs: 30_000 });
  return { hostKeyFingerprints: await fingerprints(out.stdout) };
}

/** `SHA256:…` fingerprints of the public keys in `text` (one per line), via ssh-keygen. */
async function fingerprints(text: string): Promise<string[]> {
  const keys = text.split("\n").filter((l) => /^(ssh-|ecdsa-)/.test(l));
  const result: string[] = [];
  for (const key of keys) {
    const out = await run(["ssh-keygen", "-l", "-E", "sha256", "-f", "-"], { input: `${key}\n` });
    const fp = /(SHA256:\S+)/.exec(out.stdout)?.[1];
    if (fp) result.push(fp);
  }
  return result;
}
