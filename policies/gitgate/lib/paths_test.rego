package gitgate.lib.paths_test

import rego.v1

import data.gitgate.lib.paths

patterns := [
	"README.md", "docs/guide.md", "**/.env", "**/id_rsa", "**/*.pem", "**/*.tfstate.backup", "src/**",
	"deploy/k8s/**", "**/.env.*", "refs/heads/release/*", "*.md", "**/a/**/b", "**/*", "**", "src/*.ts", "a/**/*.tf",
	"**/[ab].txt", "{src,lib}/**", "file?.txt", "a.b+c", "src/**/*.ts", "**/**",
]

subjects := [
	"README.md", "docs/README.md", "docs/guide.md", ".env", "app/.env", "app/.env.local", "x.env", "id_rsa",
	"home/u/.ssh/id_rsa", "id_rsa.pub", "server.pem", "certs/server.pem", ".pem", "a.tfstate.backup",
	"src", "src/a.ts", "src/lib/b.ts", "srcx/a.ts", "deploy/k8s/app.yaml", "deploy/k8sx",
	"refs/heads/release/1.0", "refs/heads/release/1/x", "x/a/y/b", "a/b", "a/x/main.tf", "main.tf",
	"d/a.txt", "lib/x", "file1.txt", "file12.txt", "a.b+c", "aXb+c", "src/\nx", "src/a.ts", "src/b/c.ts",
]

test_compiled_patterns_match_exactly_like_globs if {
	every pattern in patterns {
		every subject in subjects {
			compiled_agrees(pattern, subject)
		}
	}
}

compiled_agrees(pattern, subject) if {
	paths.matches(pattern, subject)
	paths.compiled_match(paths.compile([pattern]), subject)
}

compiled_agrees(pattern, subject) if {
	not paths.matches(pattern, subject)
	not paths.compiled_match(paths.compile([pattern]), subject)
}

test_compile_translates_globs_to_one_regex if {
	compiled := paths.compile(["src/**", "**/*.pem", "a+b(c)|d^$.txt", "x?y", "c/[ab]", "{x,y}"])
	compiled.regex == `(?s)^(?:src/.*|(?:.*/)?[^/]*\.pem|a\+b\(c\)\|d\^\$\.txt|x[^/]y)$`
	compiled.globs == ["c/[ab]", "{x,y}"]
	paths.compiled_match(compiled, "a+b(c)|d^$.txt")
	paths.compiled_match(compiled, "c/a")
	paths.compiled_match(compiled, "y")
	not paths.compiled_match(compiled, "c/c")
}

test_line_prefilter if {
	compiled := paths.compile(["**/*.pem"])
	paths.may_match_some_line(compiled, "README.md\ncerts/a.pem\nsrc/x.ts")
	not paths.may_match_some_line(compiled, "README.md\nsrc/x.ts")
	not paths.may_match_some_line(paths.compile([]), "a")
	paths.may_match_some_line(paths.compile(["{a,b}"]), "c")
}

test_leading_double_star_also_matches_at_the_top if {
	paths.matches("**/.env", ".env")
	paths.matches("**/.env", "a/b/.env")
	not paths.matches("**/.env", "a/.envrc")
}

test_glob_sets_match_exactly_like_globs if {
	every pattern in array.concat(patterns, more_patterns) {
		set := paths.glob_set([pattern])
		every subject in array.concat(subjects, more_subjects) {
			glob_set_agrees([pattern], set, subject)
		}
	}
}

more_patterns := [
	"**/.aws/credentials", "**/*", "**/", "/**", "**/*.d/conf", "ab", "**/ab", "**/*.c", "x*", "?", "**/*.tf?",
	"src/**/", "ünï/**", "**/*.çé", "refs/tags/v*", "*", "ünï*",
]

more_subjects := [
	"", "a", "ab", "c", "x.c", ".aws/credentials", "home/.aws/credentials", "x.aws/credentials", "/", "/a",
	"a/", "etc/x.d/conf", "ünï/a", "ünïx", "dir/ü.çé", "ü.çé", "main.tfx", "src/", "xyz",
	"refs/tags/v", "refs/tags/v1.2", "refs/tags/v1/x", "refs/tags/x1", "refs/heads/release/", "x/y*",
]

glob_set_agrees(patterns, set, subject) if {
	paths.matches_any(patterns, subject)
	paths.in_glob_set(set, subject)
}

glob_set_agrees(patterns, set, subject) if {
	not paths.matches_any(patterns, subject)
	not paths.in_glob_set(set, subject)
}

test_glob_set_of_many_patterns if {
	all_patterns := array.concat(patterns, more_patterns)
	all_set := paths.glob_set(all_patterns)
	usual := ["src/**", "**/*.pem", "**/.env", "docs/guide.md", "**/.env.*"]
	usual_set := paths.glob_set(usual)
	every subject in array.concat(subjects, more_subjects) {
		glob_set_agrees(all_patterns, all_set, subject)
		glob_set_agrees(usual, usual_set, subject)
	}
}

test_glob_set_turns_usual_shapes_into_string_tests if {
	set := paths.glob_set(["README.md", "src/**", "**/.env", "**/*.pem", "**/.env.*", "**", "**/*.c", "{a,b}"])
	set.exact == {"README.md": true, ".env": true}
	set.suffixes == ["/.env", ".pem", ".c"]
	set.prefixes == ["src/", ""]
	set.globs == [{"pattern": "**/.env.*", "literal": ".env."}, {"pattern": "{a,b}", "literal": ""}]
	set.ends == ["README.md", ".env", "/.env", ".pem", ".c"]
	paths.glob_set(["refs/tags/v*", "refs/heads/*/x*", "*"]).segment_prefixes == ["refs/tags/v", ""]
}

test_quick_pass_over_many_paths if {
	set := paths.glob_set(["docs/guide.md", "**/*.pem", "src/**", "**/.env.*"])
	paths.may_match_any(set, ["a", "docs/guide.md"])
	paths.may_match_any(set, ["a", "certs/x.pem"])
	paths.may_match_any(set, ["src/a.ts", "b"])
	paths.may_match_any(set, ["app/.env.local"])
	not paths.may_match_any(set, ["a", "docs/other.md", "lib/src/x", "x.pem.txt"])
	not paths.may_match_any(paths.glob_set([]), ["a"])
	paths.may_match_any(paths.glob_set(["refs/tags/v*"]), ["refs/heads/main", "refs/tags/v1"])
	not paths.may_match_any(paths.glob_set(["refs/tags/v*"]), ["refs/heads/main", "refs/tags/x"])
}
