# The entry points collect deny, approvals and warnings from every package under data.gitgate.rules.<kind>.
package gitgate.decision_test

import rego.v1

import data.gitgate.testing as t

extra_warning := {"code": "EXTRA", "message": "from another rule package"}

extra_approval := {"group": "g", "count": 1, "reason": "r"}

test_push_collects_from_any_rule_package if {
	decision := data.gitgate.push with input as t.push(t.human, [t.update("refs/heads/x", {})])
		with data.gitgate.rules.push.extra.warnings as [extra_warning]
	decision.allow
	decision.warnings == {extra_warning}
}

test_fetch_collects_from_any_rule_package if {
	decision := data.gitgate.fetch with input as t.fetch(t.human, "acme/x")
		with data.gitgate.rules.fetch.extra as {"warnings": [extra_warning], "approvals": [extra_approval]}
	not decision.allow
	decision.warnings == {extra_warning}
	decision.approvals == {extra_approval}
}

test_api_collects_from_any_rule_package if {
	decision := data.gitgate.api with input as t.api(t.human, "GET", "/repos/{owner}/{repo}", {})
		with data.gitgate.rules.api.extra.warnings as [extra_warning]
	decision.allow
	decision.warnings == {extra_warning}
}
