# Writes through the API that change what a branch holds get the same approvals as pushes:
#  - a contents write (PUT/DELETE .../contents/{path}) to a protected branch touching production
#    paths needs data.gitgate.config.production.approval_group;
#  - an agent changing CI definitions (production.ci_paths) through the contents API, on any
#    branch, needs production.ci_approval_group;
#  - moving a protected branch through the git refs API (a fast-forward; a forced update is denied
#    in protected_refs) needs api.merge_approval_group, like a merge: otherwise a commit made with
#    the git database API could land on it unreviewed.
package gitgate.rules.api.content_writes

import rego.v1

import data.gitgate.lib.approvals as granted
import data.gitgate.lib.paths
import data.gitgate.lib.refs

production := data.gitgate.config.production

api_config := data.gitgate.config.api

contents_route := "/repos/{owner}/{repo}/contents/{path}"

approvals contains {
	"group": production.approval_group,
	"count": production.approvals_required,
	"ref": target,
	"reason": concat("", [target, " is protected and this call changes the production path ", input.api.params.path]),
} if {
	is_contents_write
	target := input.api.target_ref
	refs.protected(target)
	paths.matches_any(production.paths, input.api.params.path)
	granted.missing(production.approval_group, target, production.approvals_required)
}

approvals contains {
	"group": production.ci_approval_group,
	"count": production.ci_approvals_required,
	"ref": target,
	"reason": concat("", ["an agent is changing the CI definition ", input.api.params.path, " on ", target]),
} if {
	input.identity.kind == "agent"
	is_contents_write
	target := input.api.target_ref
	paths.matches_any(production.ci_paths, input.api.params.path)
	granted.missing(production.ci_approval_group, target, production.ci_approvals_required)
}

approvals contains {
	"group": api_config.merge_approval_group,
	"count": api_config.merge_approvals_required,
	"ref": target,
	"reason": concat("", ["update of the protected ", target, " through the git refs API"]),
} if {
	input.api.method == "PATCH"
	input.api.route == "/repos/{owner}/{repo}/git/refs/{ref}"
	object.get(input.api.body, "force", false) != true
	target := input.api.target_ref
	refs.protected(target)
	granted.missing(api_config.merge_approval_group, target, api_config.merge_approvals_required)
}

deny contains {
	"code": "PROTECTED_REF_RENAME",
	"ref": target,
	"message": concat("", [target, " is protected and cannot be renamed through gitgate; ask a repository administrator."]),
} if {
	input.api.method == "POST"
	input.api.route == "/repos/{owner}/{repo}/branches/{branch}/rename"
	target := input.api.target_ref
	refs.protected(target)
}

is_contents_write if {
	input.api.route == contents_route
	input.api.method in {"PUT", "DELETE"}
}

# A tree made through the git database API that holds CI definitions: the same review as a push
# of them, since a ref update can then put the tree on any branch.
approvals contains {
	"group": production.ci_approval_group,
	"count": production.ci_approvals_required,
	"reason": concat("", ["an agent is writing CI definitions through the git database API: ", concat(", ", array.slice(touched, 0, 3))]),
} if {
	input.identity.kind == "agent"
	input.api.method == "POST"
	input.api.route == "/repos/{owner}/{repo}/git/trees"
	touched := [path | some path in object.get(input.api.body, "tree_paths", []); paths.matches_any(production.ci_paths, path)]
	count(touched) > 0
	granted_anywhere(production.ci_approval_group) < production.ci_approvals_required
}

granted_anywhere(group) := count({approval.approver |
	some approval in input.granted_approvals
	approval.group == group
	approval.approver != input.identity.subject
})
