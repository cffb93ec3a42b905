# Counting approvals already granted for the request (input.granted_approvals).
package gitgate.lib.approvals

import rego.v1

# granted_count is the number of distinct approvers of group who approved this request for ref
# (approvals without a ref count for any ref). The requester never counts, even if the gateway
# passed such an approval along.
granted_count(group, ref) := count({approval.approver |
	some approval in input.granted_approvals
	approval.group == group
	object.get(approval, "ref", ref) == ref
	approval.approver != input.identity.subject
})

# missing is true when fewer than required approvers of group approved ref.
missing(group, ref, required) if granted_count(group, ref) < required
