package gitgate.rules.fetch.read_access_test

import rego.v1

import data.gitgate.fetch
import data.gitgate.testing as t

restricted := [{"repositories": ["acme/secret-*"], "groups": ["security"], "subjects": ["carol"]}]

test_unrestricted_repository_is_readable if {
	fetch.allow with input as t.fetch(t.agent, "acme/payments")
		with data.gitgate.config.fetch.restricted as restricted
}

test_restricted_repository_denies_outsiders if {
	decision := fetch with input as t.fetch(t.agent, "acme/secret-keys")
		with data.gitgate.config.fetch.restricted as restricted
	not decision.allow
	some reason in decision.deny
	reason.code == "READ_NOT_ALLOWED"
	contains(reason.message, "agent:code-bot may not read acme/secret-keys")
	contains(reason.message, "group security, subject carol")
}

test_restricted_repository_admits_group_members if {
	fetch.allow with input as t.fetch(object.union(t.human, {"groups": ["security"]}), "acme/secret-keys")
		with data.gitgate.config.fetch.restricted as restricted
}

test_restricted_repository_admits_named_subjects if {
	fetch.allow with input as t.fetch(object.union(t.human, {"subject": "carol"}), "acme/secret-keys")
		with data.gitgate.config.fetch.restricted as restricted
}

test_restricted_repository_can_admit_a_kind if {
	fetch.allow with input as t.fetch(t.human, "acme/secret-keys")
		with data.gitgate.config.fetch.restricted as [{"repositories": ["acme/*"], "kinds": ["human"]}]
	not fetch.allow with input as t.fetch(t.agent, "acme/secret-keys")
		with data.gitgate.config.fetch.restricted as [{"repositories": ["acme/*"], "kinds": ["human"]}]
}

test_default_data_restricts_nothing if {
	fetch.allow with input as t.fetch(t.agent, "acme/secret-keys")
}
