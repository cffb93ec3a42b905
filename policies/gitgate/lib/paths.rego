# Path and name matching shared by the rules.
package gitgate.lib.paths

import rego.v1

# matches is true when path matches the glob pattern, with "/" as the separator: "*" stays within
# one path segment, "**" spans any number of them. As in .gitignore, a leading "**/" also
# matches at the top level, so "**/.env" matches both ".env" and "app/.env".
matches(pattern, path) if glob.match(pattern, ["/"], path)

matches(pattern, path) if {
	startswith(pattern, "**/")
	glob.match(substring(pattern, 3, -1), ["/"], path)
}

# matches_any is true when path matches at least one of the patterns.
matches_any(patterns, path) if {
	some pattern in patterns
	matches(pattern, path)
}

# matching returns the patterns that path matches, in their configured order.
matching(patterns, path) := [pattern | some pattern in patterns; matches(pattern, path)]
