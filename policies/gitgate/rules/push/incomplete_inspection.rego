# A ref update whose inspection is incomplete ("truncated": more commits, files or findings than
# the gateway lists, a commit whose parent it could not read, or a file whose secret scan stopped
# at its findings limit) cannot be checked by the other
# rules on everything it changes: a production path or a forbidden file may be among what is not
# listed. Failing closed, such an update needs a person to look at it
# (data.gitgate.config.inspection.approval_group) rather than passing on what was seen.
# Every pushed commit is still scanned for secrets; only the lists are cut.
package gitgate.rules.push.incomplete_inspection

import rego.v1

import data.gitgate.lib.approvals as granted

config := data.gitgate.config.inspection

approvals contains {
	"group": config.approval_group,
	"count": config.approvals_required,
	"ref": update.ref,
	"reason": concat("", [
		update.ref,
		" changes more than gitgate lists for policy checks (",
		format_int(count(update.commits), 10), " commits and ",
		format_int(count(update.files), 10),
		" files listed), so the rules could not see all of it; a reviewer must look, or push it in smaller parts",
	]),
} if {
	some update in input.updates
	update.operation != "delete"
	update.truncated
	granted.missing(config.approval_group, update.ref, config.approvals_required)
}
