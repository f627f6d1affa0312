// The file programs' emitters (src/facts/extract/emit-files.ts): dd's if= and of=, disk tools that
// write or only list, deleters, mv and cp with and without -t, remote copies (scp, rsync, rclone),
// tee, chmod and kin, tar, unzip, 7z and zip. Each expectation is the program's manual (dd(1),
// fdisk(8) -l, parted(8) print, mv(1) -t, scp(1) host:path, rsync(1) -e and host::module, tee(1)
// -a, chmod(1) --reference, tar(1) -x -c -C --remove-files --to-command, unzip(1) -d, 7z x -o),
// written by hand (issue 16: Stryker's survivors in this file).
import { resolveContext } from "../src/context.js";
import { extractFacts } from "../src/facts/extract.js";

// cwd /workspace, home /root
const ctx = resolveContext({});
const facts = (cmd: string) => extractFacts(cmd, ctx);
/** The paths of the first command running `program`, as `role path`. */
function pathsOf(cmd: string, program: string): string[] {
  const c = facts(cmd).commands.find((x) => x.program === program);
  if (c === undefined) throw new Error(`no ${program} in ${cmd}`);
  return c.paths.map((p) => `${p.role} ${p.path}${p.remote === true ? " (remote)" : ""}`);
}
const tagsOf = (cmd: string, program: string): string[] =>
  facts(cmd).commands.find((x) => x.program === program)?.tags ?? [];
/** The commands run from inside the line, as `program: paths | via`. */
const nested = (cmd: string): string[] =>
  facts(cmd)
    .commands.filter((c) => c.via.length > 0)
    .map((c) => `${c.program}: ${c.paths.map((p) => `${p.role} ${p.path}`).join(", ")} | ${c.via}`);

const table = (program: string, rows: [string, string[]][]) =>
  it.each(rows)("%s", (cmd, want) => {
    expect(pathsOf(cmd, program)).toEqual(want);
  });

describe("dd", () => {
  table("dd", [
    ["dd if=/dev/zero of=/dev/sda bs=1M", ["read /dev/zero", "write /dev/sda"]],
    ["dd of=/tmp/o", ["write /tmp/o"]],
    ["dd bs=1M", []],
  ]);
  it("without if= it passes its stdin on", () => {
    expect(nested('echo "rm /tmp/d" | dd | sh')).toEqual(["rm: delete /tmp/d | sh stdin"]);
    expect(nested('echo "rm /tmp/d" | dd if=/tmp/x | sh')).toEqual([]);
  });
});

describe("disk tools", () => {
  table("mkfs.ext4", [["mkfs.ext4 /dev/sdb1", ["write /dev/sdb1"]]]);
  table("wipefs", [["wipefs -a /dev/sdc", ["write /dev/sdc"]]]);
  table("fdisk", [
    ["fdisk /dev/sda", ["write /dev/sda"]],
    ["fdisk -l /dev/sda", ["read /dev/sda"]],
    ["fdisk --list /dev/sda", ["read /dev/sda"]],
  ]);
  table("sfdisk", [
    ["sfdisk --dump /dev/sda", ["read /dev/sda"]],
    ["sfdisk -d /dev/sda", ["read /dev/sda"]],
    ["sfdisk /dev/sda", ["write /dev/sda"]],
  ]);
  table("parted", [
    ["parted /dev/sda print", ["read /dev/sda"]],
    ["parted /dev/sda p", ["read /dev/sda"]],
    ["parted /dev/sda print free", ["read /dev/sda"]],
    ["parted -l", []],
    ["parted /dev/sda", ["write /dev/sda"]],
    // parted(8)'s words after the device are commands (and a number a partition), not paths
    ["parted /dev/sda rm 1", ["write /dev/sda"]],
  ]);
});

describe("deleters, movers and copiers", () => {
  table("rm", [["rm a /tmp/b", ["delete /workspace/a", "delete /tmp/b"]]]);
  table("mv", [
    ["mv a b c", ["delete /workspace/a", "delete /workspace/b", "write /workspace/c"]],
    ["mv a", ["delete /workspace/a"]],
    ["mv -t /d a b", ["write /d", "delete /workspace/a", "delete /workspace/b"]],
    ["mv --target-directory=/d a", ["write /d", "delete /workspace/a"]],
    ["mv --target-directory /d a", ["write /d", "delete /workspace/a"]],
  ]);
  table("cp", [
    ["cp a b", ["read /workspace/a", "write /workspace/b"]],
    ["cp a b c", ["read /workspace/a", "read /workspace/b", "write /workspace/c"]],
    ["cp a", ["read /workspace/a"]],
    ["cp -t /d a b", ["write /d", "read /workspace/a", "read /workspace/b"]],
    ["cp --target-directory=/d a", ["write /d", "read /workspace/a"]],
    // cp has no host:path: a colon is part of a file name
    ["cp a h:/x", ["read /workspace/a", "write /workspace/h:/x"]],
  ]);
  it("mv -t keeps the dynamic flag of its directory", () => {
    const mv = facts("mv -t $D a").commands[0]!;
    expect(mv.paths.map((p) => `${p.role} ${p.path} ${p.classes.join(",")}`)).toEqual([
      "write $D unknown",
      "delete /workspace/a project",
    ]);
  });
});

describe("remote copies", () => {
  table("scp", [
    ["scp a u@h:/x", ["read /workspace/a", "write /x (remote)"]],
    ["scp u@h:/x a", ["read /x (remote)", "write /workspace/a"]],
    ["scp a h:", ["read /workspace/a", "write /root (remote)"]],
    ["scp a h:rel", ["read /workspace/a", "write /root/rel (remote)"]],
    ["scp a b", ["read /workspace/a", "write /workspace/b"]],
  ]);
  table("rsync", [
    ["rsync a h::mod", ["read /workspace/a", "write / (remote)"]],
    ["rsync a rsync://h/m", ["read /workspace/a", "write / (remote)"]],
    ["rsync h::mod a", ["read / (remote)", "write /workspace/a"]],
  ]);
  table("rclone", [["rclone copy a r:x", ["read /workspace/a", "write /root/x (remote)"]]]);

  it("writing a remote path is an upload; reading one is not", () => {
    expect(tagsOf("scp a u@h:/x", "scp")).toContain("upload");
    expect(tagsOf("rclone copy a r:x", "rclone")).toContain("upload");
    expect(tagsOf("rsync a h::mod", "rsync")).toContain("upload");
    expect(tagsOf("scp u@h:/x a", "scp")).toEqual([]);
    expect(tagsOf("scp a b", "scp")).toEqual([]);
  });

  it("a remote path is judged on the remote host: home there, no project", () => {
    const c = facts("scp a h:workspace/x").commands[0]!;
    expect(c.paths[1]).toEqual({
      raw: "h:workspace/x",
      path: "/root/workspace/x",
      role: "write",
      classes: ["home"],
      remote: true,
    });
    expect(facts("scp a h:$X").commands[0]!.paths[1]!.classes).toEqual(["unknown"]);
  });

  it("rsync -e and --rsh run their command", () => {
    expect(nested('rsync -e "rm /tmp/r1" a h:/x')).toEqual(["rm: delete /tmp/r1 | rsync -e"]);
    expect(nested('rsync --rsh="rm /tmp/r2" a b')).toEqual(["rm: delete /tmp/r2 | rsync -e"]);
    expect(nested('scp -S "rm /tmp/r3" a b').filter((l) => l.includes("rsync"))).toEqual([]);
  });
});

describe("tee", () => {
  table("tee", [["echo hi | tee /tmp/t1 /tmp/t2", ["write /tmp/t1", "write /tmp/t2"]]]);
  it("remembers what it wrote (not when appending) and passes its stdin on", () => {
    expect(nested('echo "rm /tmp/z" | tee /tmp/t; sh /tmp/t')).toEqual([
      "rm: delete /tmp/z | script-file /tmp/t",
    ]);
    expect(nested('echo "rm /tmp/z" | tee -a /tmp/t; sh /tmp/t')).toEqual([]);
    expect(tagsOf("curl http://h | tee /tmp/t; sh /tmp/t", "sh")).toContain("exec-downloaded");
    expect(tagsOf("cat $F | tee /tmp/t; sh /tmp/t", "sh")).not.toContain("exec-downloaded");
    expect(nested('echo "rm /tmp/z" | tee /tmp/t | sh')).toEqual(["rm: delete /tmp/z | sh stdin"]);
  });
});

describe("writers", () => {
  table("chmod", [
    ["chmod 755 a b", ["write /workspace/a", "write /workspace/b"]],
    ["chmod --reference=r a", ["write /workspace/a"]],
  ]);
  table("chown", [["chown u a", ["write /workspace/a"]]]);
  table("chgrp", [["chgrp g a", ["write /workspace/a"]]]);
  table("setfacl", [["setfacl -m u:x:r a", ["write /workspace/a"]]]);
  table("touch", [["touch a b", ["write /workspace/a", "write /workspace/b"]]]);
});

describe("archives", () => {
  table("tar", [
    ["tar xf a.tar", ["write /workspace", "read /workspace/a.tar"]],
    ["tar -xf a.tar -C /opt", ["write /opt", "read /workspace/a.tar"]],
    ["tar --extract --file=a.tar", ["write /workspace", "read /workspace/a.tar"]],
    ["tar --get -f a.tar", ["write /workspace", "read /workspace/a.tar"]],
    [
      "tar czf out.tgz dir1 dir2",
      ["write /workspace/out.tgz", "read /workspace/dir1", "read /workspace/dir2"],
    ],
    ["tar -cf out.tar d", ["write /workspace/out.tar", "read /workspace/d"]],
    ["tar --create -f out.tar d", ["write /workspace/out.tar", "read /workspace/d"]],
    ["tar -rf out.tar d", ["write /workspace/out.tar", "read /workspace/d"]],
    ["tar -uf out.tar d", ["write /workspace/out.tar", "read /workspace/d"]],
    ["tar rf out.tar d", ["write /workspace/out.tar", "read /workspace/d"]],
    ["tar tf a.tar", ["read /workspace/a.tar"]],
    ["tar -tf a.tar x", ["read /workspace/a.tar", "operand /workspace/x"]],
    ["tar cf out.tar --remove-files d", ["write /workspace/out.tar", "delete /workspace/d"]],
    ["tar cf u@h:/x.tar d", ["read /workspace/d"]],
  ]);
  it("an archive on another host is an upload; tar's command options run", () => {
    expect(tagsOf("tar cf u@h:/x.tar d", "tar")).toEqual(["upload"]);
    expect(tagsOf("tar cf x.tar d", "tar")).toEqual([]);
    expect(nested('tar xf a.tar --to-command="rm /tmp/t1"')).toEqual([
      "rm: delete /tmp/t1 | tar --to-command",
    ]);
    expect(nested('tar cf x.tar d --checkpoint-action=exec="rm /tmp/t2"')).toEqual([
      "rm: delete /tmp/t2 | tar --checkpoint-action",
    ]);
    expect(nested('tar -I "rm /tmp/t3" -xf a')).toEqual(["rm: delete /tmp/t3 | tar -I"]);
    expect(nested('tar -F "rm /tmp/t4" -cf a d')).toEqual(["rm: delete /tmp/t4 | tar -F"]);
    expect(nested('tar --use-compress-program="rm /tmp/t5" -xf a')).toEqual([
      "rm: delete /tmp/t5 | tar --use-compress-program",
    ]);
  });

  table("unzip", [
    ["unzip a.zip", ["write /workspace", "read /workspace/a.zip"]],
    ["unzip a.zip -d /opt/o", ["write /opt/o", "read /workspace/a.zip"]],
  ]);
  table("7z", [
    ["7z x a.7z", ["write /workspace"]],
    ["7z x a.7z -o/opt/o", ["write /opt/o"]],
    ["7z e a.7z", ["write /workspace"]],
    ["7z a a.7z d", []],
    ["7z l a.7z", []],
  ]);
  table("zip", [
    ["zip out.zip a b", ["write /workspace/out.zip", "read /workspace/a", "read /workspace/b"]],
  ]);
  it("zip's -TT and --unzip-command run", () => {
    expect(nested('zip --unzip-command="rm /tmp/z2" -T out.zip a')).toEqual([
      "rm: delete /tmp/z2 | zip -TT",
    ]);
    expect(nested('zip -TT "rm /tmp/z1" out.zip a')).toEqual(["rm: delete /tmp/z1 | zip -TT"]);
  });
});
