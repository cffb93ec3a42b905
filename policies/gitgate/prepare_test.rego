package gitgate.prepare_test

import rego.v1

import data.gitgate.lib.paths
import data.gitgate.prepare
import data.gitgate.push
import data.gitgate.testing as t

test_prepared_glob_sets_are_what_rules_compile_otherwise if {
	count(prepare.glob_sets) == count(paths.configured_glob_paths)
	every path in paths.configured_glob_paths {
		prepare.glob_sets[concat(".", path)] == paths.glob_set(object.get(data.gitgate.config, path, []))
	}
}

test_rules_use_the_prepared_glob_sets if {
	prepared := {"glob_sets": object.union(prepare.glob_sets, {"files.forbidden": paths.glob_set(["**/*.secret"])})}
	files := [t.file("a/b.secret"), t.file("certs/x.pem")]
	decision := push with input as t.push(t.human, [t.update("refs/heads/feature/x", {"files": files})])
		with data.gitgate.prepared as prepared
	t.codes(decision) == {"FORBIDDEN_FILE"}
	[reason.ref | some reason in decision.deny] == ["refs/heads/feature/x"]
}
