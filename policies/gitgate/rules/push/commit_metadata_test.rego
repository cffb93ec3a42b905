package gitgate.rules.push.commit_metadata_test

import rego.v1

import data.gitgate.push
import data.gitgate.testing as t

with_commits(commits) := t.push(t.human, [t.update("refs/heads/feature/x", {"commits": commits})])

authored_by(email) := object.union(t.commit("fix: x"), {"author": {"name": "A", "email": email, "time": "2026-05-04T10:00:00Z"}})

test_no_commit_rules_by_default if {
	push.allow with input as with_commits([authored_by("someone@elsewhere.test"), t.commit("whatever")])
}

test_author_domain_outside_the_list_is_denied if {
	decision := push with input as with_commits([authored_by("eve@elsewhere.test")])
		with data.gitgate.config.commits.allowed_email_domains as ["example.com"]
	t.codes(decision) == {"COMMIT_AUTHOR_DOMAIN"}
	some reason in decision.deny
	contains(reason.message, "eve@elsewhere.test")
	contains(reason.message, "allowed: example.com")
}

test_author_domain_match_ignores_case if {
	push.allow with input as with_commits([authored_by("Alice@Example.COM")])
		with data.gitgate.config.commits.allowed_email_domains as ["example.com"]
}

test_author_without_at_sign_is_denied if {
	t.codes(push) == {"COMMIT_AUTHOR_DOMAIN"} with input as with_commits([authored_by("root")])
		with data.gitgate.config.commits.allowed_email_domains as ["example.com"]
}

test_subject_must_match_a_pattern if {
	decision := push with input as with_commits([t.commit("did stuff\n\nlong body")])
		with data.gitgate.config.commits.message_patterns as [`^(feat|fix|docs|chore)(\(.+\))?: .+`]
	t.codes(decision) == {"COMMIT_MESSAGE_FORMAT"}
	some reason in decision.deny
	contains(reason.message, `"did stuff"`)
}

test_matching_subject_is_allowed if {
	push.allow with input as with_commits([t.commit("fix(api): handle nulls\n\nbody")])
		with data.gitgate.config.commits.message_patterns as [`^(feat|fix|docs|chore)(\(.+\))?: .+`]
}

test_merge_commits_are_exempt_from_the_format if {
	merge := object.union(t.commit("Merge branch 'main'"), {"parents": [t.old_id, t.new_id]})
	push.allow with input as with_commits([merge])
		with data.gitgate.config.commits.message_patterns as [`^(feat|fix)(\(.+\))?: .+`]
}

test_signoff_required if {
	t.codes(push) == {"COMMIT_SIGNOFF_MISSING"} with input as with_commits([t.commit("fix: x")])
		with data.gitgate.config.commits.require_signoff as true
}

test_signoff_present if {
	push.allow with input as with_commits([t.commit("fix: x\n\nSigned-off-by: Alice <alice@example.com>\n")])
		with data.gitgate.config.commits.require_signoff as true
}
