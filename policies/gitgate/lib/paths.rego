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

# compile turns glob patterns into one regular expression (plus the few patterns it cannot
# translate: those with [ ] { } or \), so that a push with many files costs one regex match instead
# of a glob per pattern and file. compiled_match(compile(patterns), path) == matches_any(patterns, path).
# Compile in a rule, not in a function body: rules are evaluated once per decision.
compile(patterns) := {
	"has_regex": count(translated) > 0,
	"regex": concat("", ["(?s)^(?:", concat("|", translated), ")$"]),
	"lines_regex": concat("", ["(?ms)^(?:", concat("|", translated), ")$"]),
	"globs": [pattern | some pattern in patterns; not translatable(pattern)],
} if {
	translated := [to_regex(pattern) | some pattern in patterns; translatable(pattern)]
}

# compiled_match is true when path matches one of the compiled patterns.
compiled_match(compiled, path) if {
	compiled.has_regex
	regex.match(compiled.regex, path)
}

compiled_match(compiled, path) if {
	some pattern in compiled.globs
	matches(pattern, path)
}

# may_match_some_line is a quick first pass over many paths joined with newlines: false means no
# line matches; true means some may (check them one by one with compiled_match).
may_match_some_line(compiled, text) if {
	compiled.has_regex
	regex.match(compiled.lines_regex, text)
}

may_match_some_line(compiled, _) if count(compiled.globs) > 0

# A pattern translates when it has no [ ] { } or \ and its only ** are a leading "**/", a trailing
# "/**" or the whole pattern: the glob library treats a ** between separators in ways a regular
# expression does not mirror ("a/**/b" matches "a/b", "src/**/*.ts" does not match "src/a.ts").
translatable(pattern) if {
	not regex.match(`[\[\]{}\\]`, pattern)
	not contains(trim_suffix(trim_prefix(pattern, "**/"), "/**"), "**")
}

translatable("**")

to_regex(pattern) := concat("", ["(?:.*/)?", glob_body(substring(pattern, 3, -1))]) if startswith(pattern, "**/")

to_regex(pattern) := glob_body(pattern) if not startswith(pattern, "**/")

# glob_body escapes what regular expressions treat specially, then maps ** to .*, * to [^/]*
# and ? to [^/]. While * is replaced, "{" holds the place of **: translatable patterns have none.
# One replace at a time, in this order: strings.replace_n in WASM applies its pairs one after
# another, so a pair must not touch the output of another.
glob_body(text) := replace(replace(replace(replace(escaped, "**", "{"), "*", "[^/]*"), "?", "[^/]"), "{", ".*") if {
	escaped := strings.replace_n({".": "\\.", "+": "\\+", "(": "\\(", ")": "\\)", "|": "\\|", "^": "\\^", "$": "\\$"}, text)
}
