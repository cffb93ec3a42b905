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

# glob_set compiles glob patterns for matching many paths without regular expressions (WASM
# compiles a regular expression afresh in every evaluation, and a big one costs more than the
# rest of a decision). in_glob_set(glob_set(patterns), path) == matches_any(patterns, path).
# The usual shapes become plain string tests:
#   "README.md"            exact path
#   "src/**"               prefix "src/"
#   "**/.env", "**/a/b"    exact path ".env", or suffix "/.env"
#   "**/*.pem"             suffix ".pem"
#   "**"                   every path (the empty prefix)
#   "refs/tags/v*"         prefix "refs/tags/v" with no "/" after it (a "*" stays in its segment)
# Any other pattern keeps glob matching, tried only on paths that contain its longest literal piece.
# The gateway compiles the configured sets once when it loads the policy (data.gitgate.prepared,
# see gitgate/prepare.rego); glob_sets compiles them in the evaluation when they are not there.
glob_set(patterns) := {
	"exact": {text: true | some pattern in patterns; glob_kind(pattern) in {"exact", "tail"}; text := glob_text(pattern)},
	"suffixes": [suffix | some pattern in patterns; some suffix in glob_suffixes(pattern)],
	"prefixes": [prefix | some pattern in patterns; some prefix in glob_prefixes(pattern)],
	"segment_prefixes": [substring(pattern, 0, count(pattern) - 1) |
		some pattern in patterns
		glob_kind(pattern) == "segment_prefix"
	],
	"globs": [{"pattern": pattern, "literal": longest_literal(pattern)} |
		some pattern in patterns
		glob_kind(pattern) == "glob"
	],
	# For may_match_any: a path equal to an exact text also ends with it.
	"ends": array.concat(
		[text | some pattern in patterns; glob_kind(pattern) in {"exact", "tail"}; text := glob_text(pattern)],
		[suffix | some pattern in patterns; some suffix in glob_suffixes(pattern)],
	),
}

# configured_glob_paths are the pattern lists of data.gitgate.config that the default rules match
# many paths against; gitgate/prepare compiles them when the policy is loaded.
configured_glob_paths := [
	["protected_refs"],
	["production", "paths"],
	["production", "ci_paths"],
	["files", "forbidden"],
	["files", "forbidden_exceptions"],
	["files", "binary_forbidden_paths"],
	["files", "binary_allowed"],
]

# configured_glob_set is the glob set of the patterns at path in data.gitgate.config (for example
# ["files", "forbidden"]): the one prepared when the policy was loaded, or else compiled now.
# Call it from a rule (evaluated once per decision), not from a function body.
configured_glob_set(path) := set if {
	set := data.gitgate.prepared.glob_sets[concat(".", path)]
} else := glob_set(object.get(data.gitgate.config, path, []))

# in_glob_set is true when path matches one of the patterns compiled into set.
in_glob_set(set, path) if set.exact[path]

in_glob_set(set, path) if {
	some suffix in set.suffixes
	endswith(path, suffix)
}

in_glob_set(set, path) if {
	some prefix in set.prefixes
	startswith(path, prefix)
}

in_glob_set(set, path) if {
	some prefix in set.segment_prefixes
	startswith(path, prefix)
	not contains(substring(path, count(prefix), -1), "/")
}

in_glob_set(set, path) if {
	some glob in set.globs
	contains(path, glob.literal)
	matches(glob.pattern, path)
}

# may_match_any is a quick first pass over many paths: false means none of them is in the set;
# true means some may be (check them one by one with in_glob_set). Exact paths and suffixes, then
# prefixes, are tested in one builtin call each, which the gateway runs in JavaScript.
may_match_any(set, texts) if {
	count(set.ends) > 0
	strings.any_suffix_match(texts, set.ends)
}

may_match_any(set, texts) if {
	count(set.prefixes) > 0
	strings.any_prefix_match(texts, set.prefixes)
}

may_match_any(set, texts) if {
	count(set.segment_prefixes) > 0
	strings.any_prefix_match(texts, set.segment_prefixes)
}

may_match_any(set, texts) if {
	some glob in set.globs
	some text in texts
	contains(text, glob.literal)
}

# glob_kind names the string test a pattern becomes (see glob_set); "glob" when none fits.
glob_kind(pattern) := "exact" if {
	literal(pattern)
} else := "tail" if {
	startswith(pattern, "**/")
	literal(substring(pattern, 3, -1))
} else := "suffix" if {
	startswith(pattern, "**/*")
	suffix := substring(pattern, 4, -1)
	literal(suffix)
	not contains(suffix, "/")
} else := "prefix" if {
	pattern == "**"
} else := "prefix" if {
	endswith(pattern, "/**")
	literal(substring(pattern, 0, count(pattern) - 3))
} else := "segment_prefix" if {
	endswith(pattern, "*")
	literal(substring(pattern, 0, count(pattern) - 1))
} else := "glob"

glob_text(pattern) := pattern if glob_kind(pattern) == "exact"

glob_text(pattern) := substring(pattern, 3, -1) if glob_kind(pattern) == "tail"

glob_suffixes(pattern) := [concat("", ["/", substring(pattern, 3, -1)])] if glob_kind(pattern) == "tail"

glob_suffixes(pattern) := [substring(pattern, 4, -1)] if glob_kind(pattern) == "suffix"

glob_prefixes(pattern) := [""] if pattern == "**"

glob_prefixes(pattern) := [substring(pattern, 0, count(pattern) - 2)] if {
	pattern != "**"
	glob_kind(pattern) == "prefix"
}

# literal is true when text has no glob syntax: it matches only itself.
literal(text) if not regex.match(`[*?\[\]{}\\]`, text)

# longest_literal is the longest run of a pattern without wildcards or "/": every path the pattern
# matches contains it. Patterns with [ ] { } or \ get "" (no such run is certain).
longest_literal(pattern) := "" if regex.match(`[\[\]{}\\]`, pattern)

longest_literal(pattern) := longest if {
	not regex.match(`[\[\]{}\\]`, pattern)
	pieces := split(strings.replace_n({"*": "/", "?": "/"}, pattern), "/")
	longest := [piece | some piece in pieces; count(piece) == max([count(p) | some p in pieces])][0]
}
