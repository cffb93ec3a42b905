# Files that must not land: private keys, .env and credential files (data.gitgate.config.files.forbidden,
# minus forbidden_exceptions), files over files.max_size bytes, and binaries in source paths
# (files.binary_forbidden_paths, minus files.binary_allowed). Deleting such a file is always fine.
package gitgate.rules.push.forbidden_files

import rego.v1

import data.gitgate.lib.paths

config := data.gitgate.config.files

forbidden := paths.configured_glob_set(["files", "forbidden"])

exceptions := paths.configured_glob_set(["files", "forbidden_exceptions"])

source_paths := paths.configured_glob_set(["files", "binary_forbidden_paths"])

allowed_binaries := paths.configured_glob_set(["files", "binary_allowed"])

# Every file the push adds or changes: one quick pass over all of them finds out whether any file
# needs a closer look, which is rare.
present_paths := [file.path |
	some update in input.updates
	some file in update.files
	file.status != "deleted"
]

deny contains {
	"code": "FORBIDDEN_FILE",
	"ref": update.ref,
	"message": sprintf(
		"%s may not be committed: it matches %s (private keys, .env and credential files belong in a secret manager). Remove it from the commits (git rm --cached %s, then amend or rebase) and push again.",
		[file.path, concat(", ", patterns), file.path],
	),
} if {
	paths.may_match_any(forbidden, present_paths)
	some update in input.updates
	some file in update.files
	paths.in_glob_set(forbidden, file.path)
	file.status != "deleted"
	not paths.in_glob_set(exceptions, file.path)
	patterns := paths.matching(config.forbidden, file.path)
}

deny contains {
	"code": "FILE_TOO_LARGE",
	"ref": update.ref,
	"message": sprintf(
		"%s is %d bytes, over the limit of %d bytes. Keep large files out of the repository (Git LFS, an artifact store) and push again.",
		[file.path, file.size, config.max_size],
	),
} if {
	some update in input.updates
	some file in update.files
	file.status != "deleted"
	file.size > config.max_size
}

deny contains {
	"code": "BINARY_IN_SOURCE",
	"ref": update.ref,
	"message": sprintf(
		"%s is a binary file in a source directory. Commit the source it is built from instead, or ask the policy owners to allow it (data.gitgate.config.files.binary_allowed).",
		[file.path],
	),
} if {
	some update in input.updates
	some file in update.files
	file.status != "deleted"
	file.binary
	paths.in_glob_set(source_paths, file.path)
	not paths.in_glob_set(allowed_binaries, file.path)
}
