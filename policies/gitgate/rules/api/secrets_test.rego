package gitgate.rules.api.secrets_test

import rego.v1

import data.gitgate.api
import data.gitgate.testing as t

contents_route := "/repos/{owner}/{repo}/contents/{path}"

api_finding(rule, path) := {"rule": rule, "path": path, "line": 2, "preview": "ghp_… (40 chars)", "fingerprint": concat(":", [rule, path])}

test_a_contents_write_with_a_secret_is_denied if {
	inp := t.api(t.agent, "PUT", contents_route, {"path": "/repos/acme/payments/contents/config.py", "secret_findings": [api_finding("github-pat", "config.py")]})
	decision := api with input as inp
	t.codes(decision) == {"SECRET_DETECTED"}
	some reason in decision.deny
	contains(reason.message, "github-pat in config.py:2: ghp_… (40 chars)")
	contains(reason.message, "PUT /repos/acme/payments/contents/config.py")
}

test_a_contents_write_without_secrets_is_allowed if {
	api.allow with input as t.api(t.agent, "PUT", contents_route, {"secret_findings": []})
}

test_allowlisted_findings_are_warnings if {
	inp := t.api(t.agent, "POST", "/repos/{owner}/{repo}/git/blobs", {"secret_findings": [api_finding("github-pat", "(blob)")]})
	decision := api with input as inp with data.gitgate.config.secrets.allowed_rules as ["github-pat"]
	decision.allow
	{w.code | some w in decision.warnings} == {"SECRET_ALLOWLISTED"}
}

test_findings_allowlisted_by_path_and_fingerprint if {
	inp := t.api(t.agent, "POST", "/repos/{owner}/{repo}/git/trees", {"secret_findings": [api_finding("aws-access-key-id", "test/fixtures/a.txt"), api_finding("github-pat", "b.txt")]})
	api.allow with input as inp
		with data.gitgate.config.secrets.allowed_paths as ["test/**"]
		with data.gitgate.config.secrets.allowed_fingerprints as ["github-pat:b.txt"]
}

test_many_findings_are_cut_at_max_listed if {
	findings := [api_finding("github-pat", sprintf("f%d.txt", [i])) | some i in numbers.range(1, 7)]
	decision := api with input as t.api(t.agent, "POST", "/repos/{owner}/{repo}/git/trees", {"secret_findings": findings})
	some reason in decision.deny
	contains(reason.message, "... and 2 more")
}
