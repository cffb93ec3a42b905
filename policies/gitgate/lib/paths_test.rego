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
