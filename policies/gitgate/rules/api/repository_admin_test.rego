package gitgate.rules.api.repository_admin_test

import rego.v1

import data.gitgate.api
import data.gitgate.testing as t

test_reading_is_allowed if {
	api.allow with input as t.api(t.agent, "GET", "/repos/{owner}/{repo}", {})
}

test_repository_deletion_is_denied if {
	t.codes(api) == {"API_REPOSITORY_DELETE"} with input as t.api(t.human, "DELETE", "/repos/{owner}/{repo}", {})
}

test_branch_protection_changes_are_denied if {
	t.codes(api) == {"API_BRANCH_PROTECTION_CHANGE"} with input as t.api(t.agent, "PUT", "/repos/{owner}/{repo}/branches/{branch}/protection", {})
	t.codes(api) == {"API_BRANCH_PROTECTION_CHANGE"} with input as t.api(t.agent, "DELETE", "/repos/{owner}/{repo}/branches/{branch}/protection/required_status_checks", {})
}

test_reading_branch_protection_is_allowed if {
	api.allow with input as t.api(t.agent, "GET", "/repos/{owner}/{repo}/branches/{branch}/protection", {})
}

test_ruleset_changes_are_denied if {
	t.codes(api) == {"API_RULESET_CHANGE"} with input as t.api(t.agent, "POST", "/repos/{owner}/{repo}/rulesets", {})
}

test_unknown_write_route_is_denied if {
	decision := api with input as t.api(t.agent, "POST", null, {"path": "/repos/acme/payments/something/new"})
	t.codes(decision) == {"API_UNKNOWN_ROUTE"}
	some reason in decision.deny
	contains(reason.message, "POST /repos/acme/payments/something/new")
}

test_unknown_read_route_is_allowed if {
	api.allow with input as t.api(t.agent, "GET", null, {"path": "/repos/acme/payments/something"})
}

test_unknown_write_routes_can_be_allowed_by_data if {
	api.allow with input as t.api(t.agent, "POST", null, {"path": "/x"})
		with data.gitgate.config.api.deny_unknown_write_routes as false
}

test_issue_comments_are_allowed if {
	api.allow with input as t.api(t.agent, "POST", "/repos/{owner}/{repo}/issues/{issue_number}/comments", {"body": {}})
}

test_unknown_read_route_is_denied_when_configured if {
	decision := api with input as t.api(t.agent, "GET", null, {"path": "/repos/acme/payments/something"})
		with data.gitgate.config.api.deny_unknown_read_routes as true
	t.codes(decision) == {"API_UNKNOWN_ROUTE"}
	some reason in decision.deny
	contains(reason.message, "deny_unknown_read_routes")
}

test_known_read_route_is_allowed_when_unknown_reads_are_denied if {
	api.allow with input as t.api(t.agent, "GET", "/repos/{owner}/{repo}/pulls", {})
		with data.gitgate.config.api.deny_unknown_read_routes as true
}

test_access_and_webhook_changes_are_denied if {
	t.codes(api) == {"API_ACCESS_CHANGE"} with input as t.api(t.agent, "PUT", "/repos/{owner}/{repo}/collaborators/{username}", {})
	t.codes(api) == {"API_ACCESS_CHANGE"} with input as t.api(t.agent, "POST", "/repos/{owner}/{repo}/keys", {})
	t.codes(api) == {"API_WEBHOOK_CHANGE"} with input as t.api(t.agent, "PATCH", "/repos/{owner}/{repo}/hooks/{hook_id}", {})
	t.codes(api) == {"API_ACTIONS_SECRET_CHANGE"} with input as t.api(t.agent, "PUT", "/repos/{owner}/{repo}/actions/secrets/{secret_name}", {})
}

test_reading_webhooks_is_allowed if {
	api.allow with input as t.api(t.agent, "GET", "/repos/{owner}/{repo}/hooks", {})
}

test_repository_settings_changes_are_denied if {
	t.codes(api) == {"API_REPOSITORY_SETTINGS_CHANGE"} with input as t.api(t.agent, "PATCH", "/repos/{owner}/{repo}", {"body": {"visibility": "public"}})
}
