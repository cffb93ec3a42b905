package gitgate.rules.push.forbidden_files_test

import rego.v1

import data.gitgate.push
import data.gitgate.testing as t

with_files(files) := t.push(t.human, [t.update("refs/heads/feature/x", {"files": files})])

test_private_keys_and_env_files_are_denied if {
	every path in [".env", "app/.env", ".env.production", "certs/server.pem", "home/.ssh/id_rsa", "id_ed25519", ".aws/credentials", "gcp/credentials.json", "infra/terraform.tfstate"] {
		t.codes(push) == {"FORBIDDEN_FILE"} with input as with_files([t.file(path)])
	}
}

test_every_forbidden_path_is_denied if {
	paths := [".env", "app/.env", ".env.production", "certs/server.pem", "home/.ssh/id_rsa", "id_ed25519", ".aws/credentials", "gcp/credentials.json", "infra/terraform.tfstate", "keys/a.p12", ".netrc"]
	decision := push with input as with_files([t.file(path) | some path in paths])
	count(decision.deny) == count(paths)
}

test_message_names_the_file_and_what_to_do if {
	decision := push with input as with_files([t.file("certs/server.pem")])
	some reason in decision.deny
	contains(reason.message, "certs/server.pem may not be committed")
	contains(reason.message, "git rm --cached certs/server.pem")
}

test_env_example_is_allowed if {
	push.allow with input as with_files([t.file(".env.example"), t.file("app/.env.sample")])
}

test_deleting_a_forbidden_file_is_allowed if {
	push.allow with input as with_files([object.union(t.file("certs/server.pem"), {"status": "deleted"})])
}

test_large_file_is_denied if {
	decision := push with input as with_files([object.union(t.file("data/dump.sql"), {"size": 20000000})])
	t.codes(decision) == {"FILE_TOO_LARGE"}
	some reason in decision.deny
	contains(reason.message, "20000000 bytes, over the limit of 10485760 bytes")
}

test_file_at_the_size_limit_is_allowed if {
	push.allow with input as with_files([object.union(t.file("data/dump.sql"), {"size": 10485760})])
}

test_binary_in_source_path_is_denied if {
	t.codes(push) == {"BINARY_IN_SOURCE"} with input as with_files([object.union(t.file("src/tool.so"), {"binary": true})])
}

test_image_in_source_path_is_allowed if {
	push.allow with input as with_files([object.union(t.file("src/assets/logo.png"), {"binary": true})])
}

test_binary_outside_source_paths_is_allowed if {
	push.allow with input as with_files([object.union(t.file("docs/diagram.pdf"), {"binary": true})])
}
