package gitgate.rules.push.protected_refs_test

import rego.v1

import data.gitgate.push
import data.gitgate.testing as t

test_fast_forward_to_protected_branch_is_allowed if {
	push.allow with input as t.push(t.human, [t.update("refs/heads/main", {})])
}

test_force_push_to_protected_branch_is_denied if {
	decision := push with input as t.push(t.human, [t.update("refs/heads/main", {"fast_forward": false})])
	not decision.allow
	some reason in decision.deny
	reason.code == "PROTECTED_REF_FORCE_PUSH"
	reason.ref == "refs/heads/main"
	contains(reason.message, "git pull --rebase")
	contains(reason.message, "111111111111 is not an ancestor of 222222222222")
}

test_force_push_to_release_branch_pattern_is_denied if {
	t.codes(push) == {"PROTECTED_REF_FORCE_PUSH"} with input as t.push(t.agent, [t.update("refs/heads/release/2.1", {"fast_forward": false})])
}

test_force_push_to_unprotected_branch_is_allowed if {
	push.allow with input as t.push(t.agent, [t.update("refs/heads/feature/x", {"fast_forward": false})])
}

test_unproven_fast_forward_is_denied if {
	t.codes(push) == {"PROTECTED_REF_NOT_PROVEN"} with input as t.push(t.human, [t.update("refs/heads/main", {"fast_forward": null})])
}

test_delete_of_protected_branch_is_denied if {
	upd := t.update("refs/heads/main", {"operation": "delete", "new": t.zero, "fast_forward": null, "commits": [], "files": []})
	t.codes(push) == {"PROTECTED_REF_DELETE"} with input as t.push(t.human, [upd])
}

test_delete_of_unprotected_branch_is_allowed if {
	upd := t.update("refs/heads/topic", {"operation": "delete", "new": t.zero, "fast_forward": null, "commits": [], "files": []})
	push.allow with input as t.push(t.human, [upd])
}

test_moving_a_protected_tag_is_denied if {
	t.codes(push) == {"PROTECTED_TAG_MOVE"} with input as t.push(t.human, [t.update("refs/tags/v1.0.0", {"fast_forward": true})])
}

test_creating_a_protected_tag_is_allowed if {
	upd := t.update("refs/tags/v1.0.0", {"operation": "create", "old": t.zero, "fast_forward": null})
	push.allow with input as t.push(t.human, [upd])
}

test_only_the_offending_ref_is_named if {
	decision := push with input as t.push(t.human, [
		t.update("refs/heads/topic", {"fast_forward": false}),
		t.update("refs/heads/master", {"fast_forward": false}),
	])
	{reason.ref | some reason in decision.deny} == {"refs/heads/master"}
}

test_protected_refs_come_from_data if {
	t.codes(push) == {"PROTECTED_REF_FORCE_PUSH"} with input as t.push(t.human, [t.update("refs/heads/prod", {"fast_forward": false})])
		with data.gitgate.config.protected_refs as ["refs/heads/prod"]
}
