package gitgate.rules.api.content_writes_test

import rego.v1

import data.gitgate.api
import data.gitgate.testing as t

contents := "/repos/{owner}/{repo}/contents/{path}"

refs_route := "/repos/{owner}/{repo}/git/refs/{ref}"

write(method, path, ref) := t.api(t.agent, method, contents, {"params": {"owner": "acme", "repo": "payments", "path": path}, "target_ref": ref})

test_production_path_on_main_needs_review if {
	decision := api with input as write("PUT", "src/app.py", "refs/heads/main")
	decision.approvals == {{"group": "production-review", "count": 1, "ref": "refs/heads/main", "reason": "refs/heads/main is protected and this call changes the production path src/app.py"}}
}

test_deleting_a_production_file_on_main_needs_review if {
	decision := api with input as write("DELETE", "deploy/prod.yaml", "refs/heads/main")
	count(decision.approvals) == 1
}

test_production_path_on_a_feature_branch_is_allowed if {
	api.allow with input as write("PUT", "src/app.py", "refs/heads/feature/x")
}

test_other_paths_on_main_are_allowed if {
	api.allow with input as write("PUT", "README.md", "refs/heads/main")
}

test_review_granted_allows_the_write if {
	inp := object.union(write("PUT", "src/app.py", "refs/heads/main"), {"granted_approvals": [t.approval("production-review", "bob", "refs/heads/main")]})
	api.allow with input as inp
}

test_agent_changing_ci_needs_ci_review_on_any_branch if {
	decision := api with input as write("PUT", ".github/workflows/ci.yml", "refs/heads/feature/x")
	{a.group | some a in decision.approvals} == {"ci-review"}
}

test_human_changing_ci_on_a_feature_branch_is_allowed if {
	inp := object.union(write("PUT", ".github/workflows/ci.yml", "refs/heads/feature/x"), {"identity": t.human})
	api.allow with input as inp
}

test_fast_forward_of_a_protected_ref_needs_review if {
	decision := api with input as t.api(t.agent, "PATCH", refs_route, {"target_ref": "refs/heads/main", "body": {"sha": t.new_id, "force": false}})
	{a.reason | some a in decision.approvals} == {"update of the protected refs/heads/main through the git refs API"}
}

test_fast_forward_of_a_feature_ref_is_allowed if {
	api.allow with input as t.api(t.agent, "PATCH", refs_route, {"target_ref": "refs/heads/feature/x", "body": {"sha": t.new_id}})
}

test_renaming_a_protected_branch_is_denied if {
	t.codes(api) == {"PROTECTED_REF_RENAME"} with input as t.api(t.agent, "POST", "/repos/{owner}/{repo}/branches/{branch}/rename", {"target_ref": "refs/heads/main", "body": {"new_name": "old-main"}})
	api.allow with input as t.api(t.agent, "POST", "/repos/{owner}/{repo}/branches/{branch}/rename", {"target_ref": "refs/heads/topic", "body": {"new_name": "topic-2"}})
}

test_agent_tree_with_ci_definitions_needs_ci_review if {
	inp := t.api(t.agent, "POST", "/repos/{owner}/{repo}/git/trees", {"body": {"tree_paths": ["src/a.py", ".github/workflows/deploy.yml"]}})
	decision := api with input as inp
	{a.reason | some a in decision.approvals} == {"an agent is writing CI definitions through the git database API: .github/workflows/deploy.yml"}
	granted := object.union(inp, {"granted_approvals": [{"group": "ci-review", "approver": "bob", "granted_at": "2026-05-04T10:20:00Z"}]})
	api.allow with input as granted
}

test_agent_tree_without_ci_definitions_is_allowed if {
	api.allow with input as t.api(t.agent, "POST", "/repos/{owner}/{repo}/git/trees", {"body": {"tree_paths": ["src/a.py"]}})
}
