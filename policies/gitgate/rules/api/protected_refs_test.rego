package gitgate.rules.api.protected_refs_test

import rego.v1

import data.gitgate.api
import data.gitgate.testing as t

merge_route := "/repos/{owner}/{repo}/pulls/{pull_number}/merge"

test_merge_into_protected_branch_needs_review if {
	decision := api with input as t.api(t.agent, "PUT", merge_route, {"target_ref": "refs/heads/main"})
	not decision.allow
	decision.approvals == {{"group": "production-review", "count": 1, "ref": "refs/heads/main", "reason": "merge into the protected branch refs/heads/main"}}
}

test_merge_into_feature_branch_is_allowed if {
	api.allow with input as t.api(t.agent, "PUT", merge_route, {"target_ref": "refs/heads/feature/x"})
}

test_merge_with_granted_review_is_allowed if {
	inp := object.union(
		t.api(t.agent, "PUT", merge_route, {"target_ref": "refs/heads/main"}),
		{"granted_approvals": [t.approval("production-review", "bob", "refs/heads/main")]},
	)
	api.allow with input as inp
}

test_merge_with_unknown_target_needs_review if {
	decision := api with input as t.api(t.agent, "PUT", merge_route, {})
	some approval in decision.approvals
	contains(approval.reason, "could not determine")
}

test_merge_with_unknown_target_and_granted_review_is_allowed if {
	inp := object.union(t.api(t.agent, "PUT", merge_route, {}), {"granted_approvals": [t.approval("production-review", "bob", "refs/heads/main")]})
	api.allow with input as inp
}

test_merges_api_uses_the_base_field if {
	decision := api with input as t.api(t.agent, "POST", "/repos/{owner}/{repo}/merges", {"body": {"base": "main", "head": "feature/x"}})
	{approval.ref | some approval in decision.approvals} == {"refs/heads/main"}
}

test_merges_api_into_feature_branch_is_allowed if {
	api.allow with input as t.api(t.agent, "POST", "/repos/{owner}/{repo}/merges", {"body": {"base": "refs/heads/topic"}})
}

test_deleting_a_protected_ref_through_the_api_is_denied if {
	t.codes(api) == {"PROTECTED_REF_DELETE"} with input as t.api(t.agent, "DELETE", "/repos/{owner}/{repo}/git/refs/{ref}", {"target_ref": "refs/heads/main"})
}

test_deleting_a_feature_ref_through_the_api_is_allowed if {
	api.allow with input as t.api(t.agent, "DELETE", "/repos/{owner}/{repo}/git/refs/{ref}", {"target_ref": "refs/heads/topic"})
}

test_force_updating_a_protected_ref_through_the_api_is_denied if {
	t.codes(api) == {"PROTECTED_REF_FORCE_PUSH"} with input as t.api(t.agent, "PATCH", "/repos/{owner}/{repo}/git/refs/{ref}", {"target_ref": "refs/tags/v1.0", "body": {"force": true}})
}

test_fast_forward_update_of_a_protected_ref_through_the_api_is_not_denied if {
	# It needs production-review (rules/api/content_writes), but nothing denies it.
	t.codes(api) == set() with input as t.api(t.agent, "PATCH", "/repos/{owner}/{repo}/git/refs/{ref}", {"target_ref": "refs/heads/main", "body": {"force": false}})
}
