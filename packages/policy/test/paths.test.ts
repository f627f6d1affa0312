import { absolutize, classifyPath, normalizePath, type PathScope } from "../src/facts/paths.js";

const scope: PathScope = {
  cwd: "/workspace",
  home: "/root",
  projectPaths: ["/workspace", "/root/project", "/home/agent"],
  protectedPaths: ["/srv/keep"],
};

describe("normalizePath", () => {
  it.each([
    ["/usr/../etc", "/etc"],
    ["//etc//", "/etc"],
    ["/./etc/.", "/etc"],
    ["/tmp/../../..", "/"],
    ["/a/b/../../c", "/c"],
  ])("%s → %s", (input, out) => {
    expect(normalizePath(input)).toBe(out);
  });
});

describe("absolutize", () => {
  it.each([
    ["~", "/root"],
    ["~/x", "/root/x"],
    ["~bob/x", "/home/bob/x"],
    ["~root", "/root"],
    ["build", "/workspace/build"],
    ["../other", "/other"],
    ["../../../../../../", "/"],
    ["/var/tmp/../etc", "/var/etc"],
  ])("%s → %s", (input, out) => {
    expect(absolutize(input, scope)).toBe(out);
  });

  it("is undefined for a relative path when the cwd is unknown", () => {
    expect(absolutize("build", { ...scope, cwd: undefined })).toBeUndefined();
  });
});

describe("classifyPath", () => {
  it.each<[string, boolean, string[]]>([
    ["/", false, ["root", "protected"]],
    ["/*", true, ["root", "project-root", "protected"]],
    ["/?sr", true, ["root", "project-root", "protected"]],
    ["/etc", false, ["system"]],
    ["/var/log/syslog", false, ["system", "log"]],
    ["/dev/sda", false, ["device"]],
    ["/dev/null", false, ["devnull"]],
    ["/dev/tcp/1.2.3.4/80", false, ["network"]],
    ["/tmp", false, ["temp-root"]],
    ["/tmp/*", true, ["temp"]],
    ["/tmp/build", false, ["temp"]],
    ["/workspace", false, ["project-root"]],
    ["/workspace/*", true, ["project-root"]],
    ["/workspace/*.o", true, ["project"]],
    ["/workspace/build", false, ["project"]],
    ["/workspace/.git", false, ["vcs", "vcs-exec", "project"]],
    ["/workspace/.git/HEAD", false, ["vcs", "project"]],
    ["/workspace/.git/refs/heads/main", false, ["vcs", "project"]],
    ["/workspace/.git/hooks/pre-commit", false, ["vcs", "vcs-exec", "project"]],
    ["/workspace/.git/config", false, ["vcs", "vcs-exec", "project"]],
    ["/workspace/.git/worktrees/w/config", false, ["vcs", "vcs-exec", "project"]],
    ["/workspace/.git/modules/lib/HEAD", false, ["vcs", "vcs-exec", "project"]],
    ["/root", false, ["project-root", "home"]],
    ["/root/.ssh/id_rsa", false, ["home", "credential"]],
    ["/root/.ssh/id_rsa.pub", false, ["home"]],
    ["/root/.bashrc", false, ["home", "shell-rc"]],
    ["/home/user", false, ["home"]],
    ["/etc/shadow", false, ["system", "credential"]],
    ["/etc/ssh/sshd_config", false, ["system", "ssh-config"]],
    ["/etc/cron.d/job", false, ["system", "cron"]],
    ["/etc/ld.so.preload", false, ["system", "ld-preload"]],
    ["/some/path", false, ["outside"]],
    ["/srv/keep/data", false, ["protected", "system"]],
    ["/workspace/private.key", false, ["project", "credential"]],
  ])("%s (glob %s) → %j", (path, glob, classes) => {
    expect(classifyPath(path, scope, glob).sort()).toEqual([...classes].sort());
  });
});
