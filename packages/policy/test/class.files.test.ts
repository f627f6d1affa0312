// Tests by class over the file tools' readings (src/facts/extract/emit-files.ts): copiers, movers,
// dd, archivers and the disk tools, each row's roles written by hand from the program's manual
// page (cp(1): sources read, the last operand or -t DIR written; mv(1): sources removed; tar(1):
// -x writes the -C directory, -c writes the archive and reads the members; fdisk(8) -l only
// lists…), not read from the code under test.
import { resolveContext } from "../src/context.js";
import { extractFacts } from "../src/facts/extract.js";
import { roles } from "./roles.js";

const ctx = resolveContext({});
const tagsOf = (cmd: string): string[] => extractFacts(cmd, ctx).commands.flatMap((c) => c.tags);

/** The roles of the paths of `cmd`'s own program (its first word). */
function read(cmd: string, program = cmd.split(" ")[0]!): string[] {
  return roles(cmd)[program] ?? [];
}

describe("copiers read their sources and write the target", () => {
  it.each([
    ["cp /srv/a /srv/b", ["read /srv/a", "write /srv/b"]],
    ["cp /srv/a /srv/b /srv/d", ["read /srv/a", "read /srv/b", "write /srv/d"]],
    ["cp -t /srv/d /srv/a", ["write /srv/d", "read /srv/a"]],
    ["cp --target-directory=/srv/d /srv/a", ["write /srv/d", "read /srv/a"]],
    ["install -m 644 /srv/a /srv/b", ["read /srv/a", "write /srv/b"]],
    ["install -t /srv/d /srv/a", ["write /srv/d", "read /srv/a"]],
    ["ln -s /srv/a /srv/b", ["read /srv/a", "write /srv/b"]],
    ["rsync -a /srv/a /srv/b", ["read /srv/a", "write /srv/b"]],
    ["scp /srv/a /srv/b", ["read /srv/a", "write /srv/b"]],
    ["rclone copy /srv/a /srv/b", ["read /srv/a", "write /srv/b"]],
  ])("%s", (cmd, expected) => {
    expect(read(cmd)).toEqual(expected);
  });

  it("reads HOST:PATH as the other host's path: copying to it uploads", () => {
    const up = (cmd: string) => tagsOf(cmd).includes("upload");
    expect(read("scp /srv/a h:/x")).toEqual(["read /srv/a", "write /x"]);
    expect(up("scp /srv/a h:/x")).toBe(true);
    expect(up("scp /srv/a u@h:x")).toBe(true);
    expect(up("rsync -a /srv/a h::module/x")).toBe(true);
    expect(up("rsync -a /srv/a rsync://h/module")).toBe(true);
    expect(up("rclone copy /srv/a remote:x")).toBe(true);
    // a download writes here, and a URL's `//` is not HOST:PATH
    expect(read("scp h:/x /srv/a")).toEqual(["read /x", "write /srv/a"]);
    expect(up("scp h:/x /srv/a")).toBe(false);
    // a copier that is not a remote copier: `h:x` is a local file name
    expect(read("cp /srv/a h:x")).toEqual(["read /srv/a", "write /workspace/h:x"]);
  });

  it("runs rsync's remote shell (-e / --rsh) as a command", () => {
    expect(roles("rsync -e 'rm /srv/p' /srv/a h:/b").rm).toEqual(["delete /srv/p"]);
    expect(roles("rsync --rsh='rm /srv/p' /srv/a h:/b").rm).toEqual(["delete /srv/p"]);
  });
});

describe("movers and dd", () => {
  it.each([
    ["mv /srv/a /srv/b", ["delete /srv/a", "write /srv/b"]],
    ["mv /srv/a /srv/b /srv/d", ["delete /srv/a", "delete /srv/b", "write /srv/d"]],
    ["mv -t /srv/d /srv/a /srv/b", ["write /srv/d", "delete /srv/a", "delete /srv/b"]],
    ["mv --target-directory=/srv/d /srv/a", ["write /srv/d", "delete /srv/a"]],
    ["dd if=/srv/a of=/srv/b", ["read /srv/a", "write /srv/b"]],
    ["dd of=/dev/sdz", ["write /dev/sdz"]],
  ])("%s", (cmd, expected) => {
    expect(read(cmd)).toEqual(expected);
  });

  it("passes its input on when dd has no if= (dd(1): standard input by default)", () => {
    expect(roles("echo 'rm /srv/x' | dd | sh").rm).toEqual(["delete /srv/x"]);
    expect(roles("echo 'rm /srv/x' | dd if=/srv/in | sh").rm).toBeUndefined();
  });
});

describe("archivers", () => {
  it.each([
    ["tar -xf /srv/a.tar -C /srv/d", ["write /srv/d", "read /srv/a.tar"]],
    ["tar -xf /srv/a.tar --directory=/srv/d", ["write /srv/d", "read /srv/a.tar"]],
    ["tar xf /srv/a.tar", ["write /workspace", "read /srv/a.tar"]],
    ["tar --extract -f /srv/a.tar", ["write /workspace", "read /srv/a.tar"]],
    ["tar --get -f /srv/a.tar", ["write /workspace", "read /srv/a.tar"]],
    ["tar --file=/srv/a.tar -x", ["write /workspace", "read /srv/a.tar"]],
    ["tar -czf /srv/a.tgz /srv/s", ["write /srv/a.tgz", "read /srv/s"]],
    ["tar czf /srv/a.tgz /srv/s", ["write /srv/a.tgz", "read /srv/s"]],
    ["tar --create -f /srv/a.tar /srv/s", ["write /srv/a.tar", "read /srv/s"]],
    ["tar -rf /srv/a.tar /srv/s", ["write /srv/a.tar", "read /srv/s"]],
    ["tar -uf /srv/a.tar /srv/s", ["write /srv/a.tar", "read /srv/s"]],
    ["tar -cf /srv/a.tar --remove-files /srv/s", ["write /srv/a.tar", "delete /srv/s"]],
    ["tar -tf /srv/a.tar", ["read /srv/a.tar"]],
    ["unzip /srv/a.zip -d /srv/d", ["write /srv/d", "read /srv/a.zip"]],
    ["unzip /srv/a.zip", ["write /workspace", "read /srv/a.zip"]],
    ["7z x /srv/a.7z -o/srv/d", ["write /srv/d"]],
    ["7z e /srv/a.7z", ["write /workspace"]],
    ["zip /srv/a.zip /srv/s /srv/t", ["write /srv/a.zip", "read /srv/s", "read /srv/t"]],
  ])("%s", (cmd, expected) => {
    expect(read(cmd)).toEqual(expected);
  });

  it("uploads an archive written to HOST:FILE (tar(1) --file=[USER@]HOST:FILE)", () => {
    expect(tagsOf("tar -cf u@h:/x /srv/s")).toContain("upload");
    expect(read("tar -cf u@h:/x /srv/s")).toEqual(["read /srv/s"]);
  });

  it.each([
    "--checkpoint-action=exec='rm /srv/p'",
    "--to-command='rm /srv/p'",
    "--to-command 'rm /srv/p'",
    "--info-script='rm /srv/p'",
    "--new-volume-script='rm /srv/p'",
    "--rsh-command='rm /srv/p'",
    "-I 'rm /srv/p'",
    "--use-compress-program='rm /srv/p'",
    "-F 'rm /srv/p'",
  ])("runs tar's %s as a command", (option) => {
    expect(roles(`tar -cf /srv/a.tar ${option} /srv/s`).rm).toEqual(["delete /srv/p"]);
  });

  it("runs zip's unzip command (-TT / --unzip-command)", () => {
    expect(roles("zip -TT 'rm /srv/p' /srv/a.zip /srv/s").rm).toEqual(["delete /srv/p"]);
    expect(roles("zip --unzip-command='rm /srv/p' /srv/a.zip /srv/s").rm).toEqual([
      "delete /srv/p",
    ]);
  });
});

describe("disk tools write their device, unless they only list it", () => {
  // wipefs without -a and badblocks without -w/-n only read (their manuals): not in this list
  const writers =
    "mkfs mkfs.ext4 mkfs.xfs mke2fs mkswap fdisk sfdisk cfdisk gdisk sgdisk parted blkdiscard " +
    "mkntfs mkdosfs";
  it("writes /dev/sdz", () => {
    const wrong = writers
      .split(" ")
      .filter((p) => JSON.stringify(read(`${p} /dev/sdz`)) !== '["write /dev/sdz"]');
    expect(wrong).toEqual([]);
  });

  it.each([
    "fdisk -l /dev/sdz",
    "fdisk --list /dev/sdz",
    "sfdisk -d /dev/sdz",
    "sfdisk --dump /dev/sdz",
    "sfdisk -s /dev/sdz",
    "sfdisk --show-size /dev/sdz",
    "gdisk -l /dev/sdz",
    "sgdisk -p /dev/sdz",
    "sgdisk --print /dev/sdz",
    "parted /dev/sdz print",
    "parted /dev/sdz print free",
    "parted /dev/sdz p",
  ])("%s reads it", (cmd) => {
    expect(read(cmd)).toEqual(["read /dev/sdz"]);
  });

  it("skips partition numbers, and writes for any other parted command", () => {
    expect(read("parted /dev/sdz rm 2")).toContain("write /dev/sdz");
    expect(read("parted /dev/sdz rm 2").filter((r) => r.endsWith("/2"))).toEqual([]);
    expect(read("parted /dev/sdz print rm")).toContain("write /dev/sdz");
  });
});
