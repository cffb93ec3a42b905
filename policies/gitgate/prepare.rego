# The entry point gitgate/prepare: what can be worked out from data alone, once. The gateway
# evaluates it (without input) when it loads the policy and its data, and stores the value at
# data.gitgate.prepared, so that decisions do not redo it. Under plain OPA (opa test, opa eval)
# data.gitgate.prepared is absent and the rules compute the same values in each evaluation.
package gitgate.prepare

import rego.v1

import data.gitgate.lib.paths

# glob_sets holds the compiled glob set (paths.glob_set) of each configured pattern list, by its
# dotted path under data.gitgate.config; rules take them with paths.configured_glob_set.
glob_sets := {concat(".", path): paths.glob_set(object.get(data.gitgate.config, path, [])) | some path in paths.configured_glob_paths}
