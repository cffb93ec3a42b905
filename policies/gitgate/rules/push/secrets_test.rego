package gitgate.rules.push.secrets_test

import rego.v1

import data.gitgate.push
import data.gitgate.testing as t

with_findings(findings) := t.push(t.agent, [t.update("refs/heads/feature/x", {"secret_findings": findings})])

test_no_findings_is_allowed if {
	push.allow with input as with_findings([])
}

test_a_finding_denies_with_its_redacted_preview if {
	decision := push with input as with_findings([t.finding("aws-access-key-id", "config/settings.py")])
	not decision.allow
	some reason in decision.deny
	reason.code == "SECRET_DETECTED"
	reason.ref == "refs/heads/feature/x"
	contains(reason.message, "1 secret(s)")
	contains(reason.message, "aws-access-key-id in config/settings.py:3 (commit 222222222222): AKIA************MPLE")
	contains(reason.message, "rotate any real credential")
}

test_at_most_five_findings_are_listed if {
	findings := [t.finding("generic-api-key", sprintf("src/f%d.ts", [i])) | some i in numbers.range(1, 7)]
	decision := push with input as with_findings(findings)
	some reason in decision.deny
	contains(reason.message, "7 secret(s)")
	contains(reason.message, "src/f5.ts")
	not contains(reason.message, "src/f6.ts")
	contains(reason.message, "... and 2 more")
}

test_exactly_five_findings_have_no_more_line if {
	findings := [t.finding("generic-api-key", sprintf("src/f%d.ts", [i])) | some i in numbers.range(1, 5)]
	decision := push with input as with_findings(findings)
	some reason in decision.deny
	not contains(reason.message, "more")
}

test_allowlisted_rule_is_a_warning_not_a_denial if {
	decision := push with input as with_findings([t.finding("test-key", "src/a.ts")])
		with data.gitgate.config.secrets.allowed_rules as ["test-key"]
	decision.allow
	some warning in decision.warnings
	warning.code == "SECRET_ALLOWLISTED"
}

test_allowlisted_path_glob if {
	push.allow with input as with_findings([t.finding("aws-access-key-id", "testdata/keys/fake.txt")])
		with data.gitgate.config.secrets.allowed_paths as ["testdata/**"]
}

test_allowlisted_fingerprint if {
	push.allow with input as with_findings([t.finding("aws-access-key-id", "src/a.ts")])
		with data.gitgate.config.secrets.allowed_fingerprints as ["aws-access-key-id:src/a.ts"]
}

test_only_unlisted_findings_count if {
	decision := push with input as with_findings([t.finding("test-key", "src/a.ts"), t.finding("aws-access-key-id", "src/b.ts")])
		with data.gitgate.config.secrets.allowed_rules as ["test-key"]
	some reason in decision.deny
	contains(reason.message, "1 secret(s)")
	not contains(reason.message, "src/a.ts")
}
