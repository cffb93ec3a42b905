# Builders of test inputs shared by the *_test.rego files (a _test file, so it stays out of bundles).
package gitgate.testing

import rego.v1

zero := "0000000000000000000000000000000000000000"

old_id := "1111111111111111111111111111111111111111"

new_id := "2222222222222222222222222222222222222222"

request := {"id": "req-1", "time": "2026-05-04T10:15:00Z", "remote_address": "192.0.2.10", "user_agent": "git/2.45.0"}

agent := {
	"subject": "agent:code-bot",
	"issuer": "https://issuer.example.test",
	"groups": ["agents"],
	"kind": "agent",
	"authentication": "oidc",
}

human := {
	"subject": "alice",
	"issuer": "https://issuer.example.test",
	"groups": ["developers"],
	"kind": "human",
	"authentication": "token",
}

repository := {"name": "acme/payments", "upstream": "https://github.com/acme/payments.git", "default_branch": "main"}

# push returns a push input with these updates, pushed by identity.
push(identity, updates) := {
	"version": 1,
	"kind": "push",
	"request": request,
	"identity": identity,
	"repository": repository,
	"updates": updates,
	"push_options": [],
	"pack": {"size": 1024, "objects": 3},
	"granted_approvals": [],
}

# update returns a fast-forward update of ref, with the given fields replacing the defaults.
update(ref, fields) := object.union(
	{
		"ref": ref,
		"ref_type": ref_type(ref),
		"old": old_id,
		"new": new_id,
		"operation": "update",
		"fast_forward": true,
		"commits": [commit("feat: add a thing")],
		"files": [file("README.md")],
		"secret_findings": [],
		"truncated": false,
	},
	fields,
)

ref_type(ref) := "tag" if startswith(ref, "refs/tags/")

ref_type(ref) := "branch" if startswith(ref, "refs/heads/")

commit(message) := {
	"id": new_id,
	"author": {"name": "Alice", "email": "alice@example.com", "time": "2026-05-04T10:00:00Z"},
	"committer": {"name": "Alice", "email": "alice@example.com", "time": "2026-05-04T10:00:00Z"},
	"message": message,
	"parents": [old_id],
	"signed": false,
}

file(path) := {
	"path": path,
	"status": "modified",
	"mode": "100644",
	"blob": "3333333333333333333333333333333333333333",
	"size": 120,
	"binary": false,
}

finding(rule, path) := {
	"rule": rule,
	"path": path,
	"line": 3,
	"commit": new_id,
	"preview": "AKIA************MPLE",
	"fingerprint": concat(":", [rule, path]),
}

approval(group, approver, ref) := {"group": group, "approver": approver, "granted_at": "2026-05-04T10:20:00Z", "ref": ref}

fetch(identity, repository_name) := {
	"version": 1,
	"kind": "fetch",
	"request": request,
	"identity": identity,
	"repository": object.union(repository, {"name": repository_name}),
	"fetch": {"phase": "upload", "protocol_version": 2},
}

api(identity, method, route, fields) := {
	"version": 1,
	"kind": "api",
	"request": request,
	"identity": identity,
	"repository": repository,
	"api": object.union(
		{"method": method, "route": route, "path": "/repos/acme/payments", "params": {}, "query": {}, "body": {}},
		fields,
	),
	"granted_approvals": [],
}

# codes returns the deny codes of a decision.
codes(decision) := {reason.code | some reason in decision.deny}
