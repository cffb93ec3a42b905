# Ref helpers shared by the rules.
package gitgate.lib.refs

import rego.v1

import data.gitgate.lib.paths

# protected is true for refs matching data.gitgate.config.protected_refs.
protected(ref) if paths.matches_any(data.gitgate.config.protected_refs, ref)

# short returns the first 12 hex digits of an object id, as shown in messages.
short(id) := substring(id, 0, 12)

# branch_ref turns a branch name ("main") into its ref ("refs/heads/main"); refs pass through.
branch_ref(name) := name if startswith(name, "refs/")

branch_ref(name) := concat("", ["refs/heads/", name]) if not startswith(name, "refs/")

# pushed_protected holds the refs of this push's updates that are protected. Rules test membership
# here rather than calling protected() again: it is computed once per decision.
pushed_protected contains update.ref if {
	some update in input.updates
	paths.in_glob_set(protected_refs, update.ref)
}

protected_refs := paths.configured_glob_set(["protected_refs"])
