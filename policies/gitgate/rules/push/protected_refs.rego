# Protected refs (data.gitgate.config.protected_refs) may not be deleted or rewritten: an update
# must be a proven fast-forward, and a protected tag never moves once created.
package gitgate.rules.push.protected_refs

import rego.v1

import data.gitgate.lib.refs

deny contains {
	"code": "PROTECTED_REF_DELETE",
	"ref": update.ref,
	"message": sprintf("%s is protected and cannot be deleted through gitgate. If it really must go, ask a repository administrator.", [update.ref]),
} if {
	some update in input.updates
	update.operation == "delete"
	update.ref in refs.pushed_protected
}

deny contains {
	"code": "PROTECTED_REF_FORCE_PUSH",
	"ref": update.ref,
	"message": sprintf(
		"%s is protected and this push rewrites its history (%s is not an ancestor of %s). Fetch, rebase your work onto the current %s (git pull --rebase) and push again without --force.",
		[update.ref, refs.short(update.old), refs.short(update.new), update.ref],
	),
} if {
	some update in branch_updates
	update.fast_forward == false
}

deny contains {
	"code": "PROTECTED_REF_NOT_PROVEN",
	"ref": update.ref,
	"message": sprintf(
		"%s is protected and gitgate could not prove that this update is a fast-forward, so it is refused. Fetch, rebase onto the current %s and push again; if it persists, tell the gitgate operators.",
		[update.ref, update.ref],
	),
} if {
	some update in branch_updates
	update.fast_forward == null
}

deny contains {
	"code": "PROTECTED_TAG_MOVE",
	"ref": update.ref,
	"message": sprintf("%s is a protected tag and tags do not move: create a new tag instead.", [update.ref]),
} if {
	some update in input.updates
	update.operation == "update"
	update.ref_type == "tag"
	update.ref in refs.pushed_protected
}

# Updates of protected refs other than tags. (An array, not a set: a set would hash every update
# with all its files and commits.)
branch_updates := [update |
	some update in input.updates
	update.operation == "update"
	update.ref_type != "tag"
	update.ref in refs.pushed_protected
]
