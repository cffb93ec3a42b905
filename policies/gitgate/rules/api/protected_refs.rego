# Protected refs through the API: merging into a protected branch needs approval by
# data.gitgate.config.api.merge_approval_group; deleting a protected ref or force-updating it
# through the git refs API is denied, as it is for pushes.
package gitgate.rules.api.protected_refs

import rego.v1

import data.gitgate.lib.approvals as granted
import data.gitgate.lib.refs

config := data.gitgate.config.api

approvals contains {
	"group": config.merge_approval_group,
	"count": config.merge_approvals_required,
	"ref": target,
	"reason": sprintf("merge into the protected branch %s", [target]),
} if {
	is_merge
	target := merge_target
	refs.protected(target)
	granted.missing(config.merge_approval_group, target, config.merge_approvals_required)
}

# When the gateway could not tell which branch a merge goes into, it might be a protected one.
approvals contains {
	"group": config.merge_approval_group,
	"count": config.merge_approvals_required,
	"reason": "merge into a branch gitgate could not determine, which may be protected",
} if {
	is_merge
	not merge_target
	granted_anywhere < config.merge_approvals_required
}

deny contains {
	"code": "PROTECTED_REF_DELETE",
	"ref": target,
	"message": sprintf("%s is protected and cannot be deleted through gitgate. If it really must go, ask a repository administrator.", [target]),
} if {
	is_ref_call("DELETE")
	target := input.api.target_ref
	refs.protected(target)
}

deny contains {
	"code": "PROTECTED_REF_FORCE_PUSH",
	"ref": target,
	"message": sprintf("%s is protected and may not be force-updated through the API. Update it with a fast-forward instead.", [target]),
} if {
	is_ref_call("PATCH")
	object.get(input.api.body, "force", false) == true
	target := input.api.target_ref
	refs.protected(target)
}

is_merge if {
	some route in config.merge_routes
	route.method == input.api.method
	route.route == input.api.route
}

is_ref_call(method) if {
	input.api.method == method
	some route in config.ref_routes
	route.method == method
	route.route == input.api.route
}

# The target of a merge: what the gateway resolved, else the route's base field in the body.
merge_target := input.api.target_ref

merge_target := refs.branch_ref(base) if {
	not input.api.target_ref
	some route in config.merge_routes
	route.method == input.api.method
	route.route == input.api.route
	base := input.api.body[route.base_field]
	is_string(base)
}

granted_anywhere := count({approval.approver |
	some approval in input.granted_approvals
	approval.group == config.merge_approval_group
	approval.approver != input.identity.subject
})
