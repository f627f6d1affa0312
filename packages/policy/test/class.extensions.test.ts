// Tests by class over extensions a program dispatches to as separate executables
// (knowledge/extensions.yaml, src/knowledge/extensions.ts): `git foo` runs `git-foo` (git(1)),
// and the git-extras commands that push a deletion or send files off the guest are denied by
// their own entries, with the pack rule naming git's subcommands turned off too (as for a git
// nobody wrote those subcommands into). The git-extras commands that change only the local
// repository stay `transact`, like any program the gate does not know.
import { sidesWithout, verdict } from "./sides.js";

describe("git-extras commands that act on the remote", () => {
  sidesWithout(
    ["k.remote.git-extras"],
    [
      // git-delete-branch(1), git-delete-tag(1): local and remote
      "git delete-branch old-feature",
      "git delete-branch a b",
      "git -C /srv/app delete-tag v1.0.0",
      // git-rename-tag(1), git-rename-branch(1): push the new name, delete the old on the remote
      "git rename-tag v1 v1.0.0",
      "git rename-branch old new",
      // git-scp(1) copies working-tree files to the remote's; git-paste(1) sends patches out
      "git scp origin HEAD",
      "git scp staging path/to/file1 path/to/file2",
      "git paste @^",
      // git-magic(1) -f -p: commit and force-push
      "git magic -fp",
    ],
    [
      "git delete-merged-branches",
      "git delete-squashed-branches main",
      "git delete-submodule path/to/submodule",
      "git obliterate secret.txt",
      "git sync",
      "git force-clone https://example.com/r.git /srv/r",
      "git magic -p",
      "git create-branch feature",
      "git undo 3",
    ],
  );
  it.each(["git delete-merged-branches", "git obliterate secret.txt", "git sync"])(
    "%s changes only the local repository: transact",
    (cmd) => expect(verdict(cmd)).toBe("transact"),
  );
});

describe("the extension's name is the dispatching program's and the word's", () => {
  it.each(["gitx delete-branch old", "git delete branch", "git branch -d delete-branch"])(
    "%s runs no git-extras command",
    (cmd) => expect(verdict(cmd)).not.toBe("deny"),
  );
});
