# Changes that need a human's approval before they land:
#  - a push to a protected branch that touches production paths (data.gitgate.config.production.paths)
#    needs data.gitgate.config.production.approval_group;
#  - any change by an agent to CI definitions (production.ci_paths), on any branch, needs
#    production.ci_approval_group, because CI runs with the repository's secrets.
# An approval already granted by enough other people (input.granted_approvals) satisfies it.
package gitgate.rules.push.production_changes

import rego.v1

import data.gitgate.lib.approvals as granted
import data.gitgate.lib.paths
import data.gitgate.lib.refs

config := data.gitgate.config.production

production_paths := paths.configured_glob_set(["production", "paths"])

ci_paths := paths.configured_glob_set(["production", "ci_paths"])

approvals contains {
	"group": config.approval_group,
	"count": config.approvals_required,
	"ref": update.ref,
	"reason": concat("", [update.ref, " is protected and this push changes production paths: ", summary(touched)]),
} if {
	some update in input.updates
	update.operation != "delete"
	update.ref_type == "branch"
	update.ref in refs.pushed_protected
	touched := changed_paths(update, production_paths)
	count(touched) > 0
	granted.missing(config.approval_group, update.ref, config.approvals_required)
}

approvals contains {
	"group": config.ci_approval_group,
	"count": config.ci_approvals_required,
	"ref": update.ref,
	"reason": concat("", ["an agent is changing CI definitions on ", update.ref, ": ", summary(touched)]),
} if {
	input.identity.kind == "agent"
	some update in input.updates
	update.operation != "delete"
	touched := changed_paths(update, ci_paths)
	count(touched) > 0
	granted.missing(config.ci_approval_group, update.ref, config.ci_approvals_required)
}

changed_paths(update, compiled) := [file.path |
	some file in update.files
	paths.in_glob_set(compiled, file.path)
]

# summary names up to three paths and counts the rest. Messages use concat, not sprintf (see secrets.rego).
summary(names) := concat(", ", array.slice(names, 0, 3)) if count(names) <= 3

summary(names) := concat("", [concat(", ", array.slice(names, 0, 3)), " and ", format_int(count(names) - 3, 10), " more"]) if count(names) > 3
