package gitgate.rules.push.incomplete_inspection_test

import rego.v1

import data.gitgate.push
import data.gitgate.testing as t

truncated_feature := t.update("refs/heads/feature/x", {"truncated": true, "files": [t.file("docs/a.md")]})

test_truncated_update_needs_review_on_any_branch if {
	decision := push with input as t.push(t.agent, [truncated_feature])
	not decision.allow
	count(decision.deny) == 0
	decision.approvals == {{
		"group": "production-review",
		"count": 1,
		"ref": "refs/heads/feature/x",
		"reason": "refs/heads/feature/x changes more than gitgate lists for policy checks (1 commits and 1 files listed), so the rules could not see all of it; a reviewer must look, or push it in smaller parts",
	}}
}

test_complete_update_needs_nothing if {
	push.allow with input as t.push(t.agent, [t.update("refs/heads/feature/x", {"files": [t.file("docs/a.md")]})])
}

test_truncated_deletion_needs_nothing if {
	upd := t.update("refs/heads/feature/x", {"operation": "delete", "new": t.zero, "fast_forward": null, "truncated": true})
	push.allow with input as t.push(t.agent, [upd])
}

test_granted_review_satisfies_it if {
	inp := object.union(t.push(t.agent, [truncated_feature]), {"granted_approvals": [t.approval("production-review", "bob", "refs/heads/feature/x")]})
	push.allow with input as inp
}
