// Tests by class over src/facts/extract/emit.ts' small tables: chmod(1) modes that set an execute
// bit (a file written on the line and made executable is run by whatever it is handed to), remote
// filesystems mounted on the line (sshfs(1), curlftpfs(1), s3fs, gcsfuse, mount(8) -t nfs, cifs's
// //host/share, rclone mount: later writes under the mount point leave the guest), and the host paths docker(1)/podman(1) mount into
// a container (-v SRC:DST, --volume, --mount src=/source=), read for any runtime (nerdctl, ctr),
// a host tree among them an escape. Expectations from those manuals.
import { explain, loadPolicy } from "../src/policy.js";
import { roles } from "./roles.js";
import { sides } from "./sides.js";

const policy = loadPolicy();

describe("chmod modes that make a file executable", () => {
  /** Whether `foo --use FILE` runs the file written and chmod-ed with `mode` just before. */
  const runs = (mode: string): boolean =>
    roles(`echo 'rm /srv/p' > /srv/h; chmod ${mode} /srv/h; foo --use /srv/h`).rm !== undefined;

  it("symbolic and octal modes with an x bit for anyone", () => {
    const modes =
      "+x u+x a+rx g=rwx o+x ug+x,o-w 755 0700 711 0111 4755 750 705 701 070 007 100 010 001 " +
      "1777 0755";
    expect(modes.split(" ").filter((m) => !runs(m))).toEqual([]);
  });

  it("not modes without one", () => {
    const modes = "644 600 u+r a-x 0644 u=rw 666 4644 a+r 0600 2640";
    expect(modes.split(" ").filter(runs)).toEqual([]);
  });

  it("not a file handed to a reader, a deleter or a shell's operand list", () => {
    const line = "echo 'rm /srv/p' > /srv/h; chmod +x /srv/h;";
    expect(roles(`${line} cat /srv/h`).rm).toBeUndefined();
    expect(roles(`${line} shred /srv/h`).shred).toEqual(["delete /srv/h"]);
  });
});

describe("remote filesystems mounted on the line", () => {
  /** The effects on paths under `under` of `then`, run after `mount`. */
  const after = (mount: string, then = "touch /mnt/r/x", under = "/mnt/r/"): string[] =>
    explain(policy, `${mount}; ${then}`)
      .effects.filter((e) => /^(path|redirect)\./.test(e.id) && e.target?.startsWith(under))
      .map((e) => `${e.kind} ${e.id}`);

  it.each([
    "sshfs u@h:/ /mnt/r",
    "sshfs h:/srv /mnt/r",
    "sshfs h:/srv /mnt/r/",
    "curlftpfs ftp://h/ /mnt/r",
    "mount -t nfs h:/x /mnt/r",
    "mount -t cifs //fs.example/share /mnt/r",
    "mount.cifs //fs.example/share /mnt/r",
    "s3fs bucket /mnt/r",
    "gcsfuse bucket /mnt/r",
    "rclone mount remote:b /mnt/r",
  ])("%s: a write under it sends data off the guest", (mount) => {
    expect(after(mount)).toEqual(["send path.remote-mount"]);
  });

  it("a redirect under it sends, a delete under it is a remote change", () => {
    expect(after("sshfs u@h:/ /mnt/r", "echo x > /mnt/r/f")).toEqual([
      "send redirect.remote-mount",
    ]);
    expect(after("sshfs u@h:/ /mnt/r", "rm /mnt/r/x")).toEqual(["remote-change path.remote-mount"]);
  });

  it("not a local source, another rclone command, or a path outside the mount point", () => {
    expect(after("sshfs ./local /mnt/r")).toEqual(["write path.write"]);
    expect(after("s3fs /srv/local /mnt/r")).toEqual(["write path.write"]);
    expect(after("mount /dev/sdb1 /mnt/r")).toEqual(["write path.write"]);
    expect(after("mount -t ext4 disk.img /mnt/r")).toEqual(["write path.write"]);
    expect(after("rclone copy remote:b /mnt/r")).toEqual(["write path.write"]);
    expect(after("sshfs u@h:/ /mnt/r", "touch /mnt/r2/x", "/mnt/r2/")).toEqual([
      "write path.write",
    ]);
    expect(after("sshfs u@h:/ /mnt/q")).toEqual(["write path.write"]);
  });
});

describe("host paths mounted into a container", () => {
  it.each([
    ["docker run -v /srv:/d img", "mount /srv"],
    ["docker run --volume=/srv:/d img", "mount /srv"],
    ["docker run --volume /srv:/d img", "mount /srv"],
    ["docker run -v ~/x:/d img", "mount /root/x"],
    ["docker run -v ./x:/d img", "mount /workspace/x"],
    ["docker run --mount type=bind,source=/srv,target=/d img", "mount /srv"],
    ["docker run --mount src=/srv,dst=/d img", "mount /srv"],
    ["podman run --volume=/srv:/d img", "mount /srv"],
    ["podman run --mount=type=bind,src=/srv,dst=/d img", "mount /srv"],
  ])("%s", (cmd, role) => {
    const program = cmd.split(" ")[0]!;
    expect(roles(cmd)[program]).toEqual([role]);
  });

  it("not a named volume", () => {
    expect(roles("docker run -v data:/d img").docker).toEqual([]);
  });

  // Whatever the runtime: podman and nerdctl have no `-v` grammar, ctr only `--mount`.
  it.each([
    ["podman run -v /srv:/d img", "mount /srv"],
    ["nerdctl run -v /srv:/d img", "mount /srv"],
    ["ctr run --mount type=bind,src=/srv,dst=/d img x", "mount /srv"],
    ["contx run --volume /srv:/d img", "mount /srv"],
  ])("%s (any runtime)", (cmd, role) => {
    const program = cmd.split(" ")[0]!;
    expect(roles(cmd)[program]).toContain(role);
  });

  it("-v as verbose, or a value that is not SRC:/DST, mounts nothing", () => {
    for (const cmd of ["tar -v -cf a.tar /srv", "contx -v /srv", "contx -v host:port x"])
      expect([cmd, roles(cmd)[cmd.split(" ")[0]!]!.filter((r) => r.startsWith("mount"))]).toEqual([
        cmd,
        [],
      ]);
  });
});

describe("a host tree mounted into a container is an escape, whatever the runtime", () => {
  sides(
    [
      "podman run -v /:/host img",
      "nerdctl run -v /etc:/h img",
      "ctr run --rm --mount type=bind,src=/,dst=/,options=rbind -t img x",
      "contx run --mount=type=bind,src=/home,dst=/h img",
      "contx run -v /dev:/dev img",
    ],
    ["podman run -v ./src:/src img", "contx run -v vol:/data img", "contx run img"],
  );
});

// A mounter no knowledge names, whose name says it is a FUSE filesystem (`*fs`, `*fuse*`,
// `mount.*`), given a remote-looking source and a mount point: writes under the mount point
// leave the guest as for sshfs (made-up and unlisted names: webdavfs, httpdirfs, cloudfuse). A
// local source, a third operand (`hdfs dfs -get …`: a client, not a mounter) or a mere read keep
// the later write local.
describe("a FUSE filesystem's mounter nobody named mounts a remote source", () => {
  sides(
    [
      "webdavfs https://dav.example/files /mnt/dav && cp ./report.pdf /mnt/dav/",
      "httpdirfs u@h.example:/srv /mnt/h; tar cf /mnt/h/a.tar ./src",
      "cloudfuse s3://bucket /mnt/b\ncp .env /mnt/b/",
      "mount.xfsx //h.example/share /mnt/s && echo data > /mnt/s/x",
    ],
    [
      "webdavfs ./local /mnt/dav && cp ./report.pdf /mnt/dav/",
      "hdfs dfs -get hdfs://nn/x ./local && cp a ./local/",
      "webdavfs https://dav.example/files /mnt/dav && ls /mnt/dav",
    ],
  );
});
