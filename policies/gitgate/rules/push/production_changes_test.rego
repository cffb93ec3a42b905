package gitgate.rules.push.production_changes_test

import rego.v1

import data.gitgate.push
import data.gitgate.testing as t

main_with(files) := t.update("refs/heads/main", {"files": [t.file(path) | some path in files]})

test_production_paths_on_protected_branch_need_review if {
	decision := push with input as t.push(t.human, [main_with(["src/app.ts", "README.md"])])
	not decision.allow
	count(decision.deny) == 0
	decision.approvals == {{
		"group": "production-review",
		"count": 1,
		"ref": "refs/heads/main",
		"reason": "refs/heads/main is protected and this push changes production paths: src/app.ts",
	}}
}

test_terraform_anywhere_needs_review if {
	count(push.approvals) == 1 with input as t.push(t.human, [main_with(["infra/network/main.tf"])])
}

test_kubernetes_manifests_need_review if {
	count(push.approvals) == 1 with input as t.push(t.human, [main_with(["k8s/base/deployment.yaml"])])
}

test_many_paths_are_summarized if {
	decision := push with input as t.push(t.human, [main_with(["src/a", "src/b", "src/c", "src/d", "src/e"])])
	some approval in decision.approvals
	endswith(approval.reason, "src/a, src/b, src/c and 2 more")
}

test_docs_only_on_protected_branch_is_allowed if {
	push.allow with input as t.push(t.human, [main_with(["docs/guide.md"])])
}

test_production_paths_on_feature_branch_are_allowed if {
	push.allow with input as t.push(t.human, [t.update("refs/heads/feature/x", {"files": [t.file("src/app.ts")]})])
}

test_granted_review_satisfies_it if {
	inp := object.union(t.push(t.human, [main_with(["src/app.ts"])]), {"granted_approvals": [t.approval("production-review", "bob", "refs/heads/main")]})
	push.allow with input as inp
}

test_self_approval_does_not_count if {
	inp := object.union(t.push(t.human, [main_with(["src/app.ts"])]), {"granted_approvals": [t.approval("production-review", "alice", "refs/heads/main")]})
	count(push.approvals) == 1 with input as inp
}

test_approval_for_another_ref_does_not_count if {
	inp := object.union(t.push(t.human, [main_with(["src/app.ts"])]), {"granted_approvals": [t.approval("production-review", "bob", "refs/heads/master")]})
	count(push.approvals) == 1 with input as inp
}

test_agent_changing_workflows_needs_ci_review_on_any_branch if {
	upd := t.update("refs/heads/feature/x", {"files": [t.file(".github/workflows/ci.yml")]})
	decision := push with input as t.push(t.agent, [upd])
	{approval.group | some approval in decision.approvals} == {"ci-review"}
}

test_human_changing_workflows_on_a_feature_branch_is_allowed if {
	upd := t.update("refs/heads/feature/x", {"files": [t.file(".github/workflows/ci.yml")]})
	push.allow with input as t.push(t.human, [upd])
}

test_agent_deleting_a_branch_with_workflows_needs_nothing if {
	upd := t.update("refs/heads/feature/x", {"operation": "delete", "new": t.zero, "fast_forward": null, "files": [t.file(".github/workflows/ci.yml")]})
	push.allow with input as t.push(t.agent, [upd])
}
