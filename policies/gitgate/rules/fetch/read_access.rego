# Who may read which repositories. Each entry of data.gitgate.config.fetch.restricted names
# repositories (globs over owner/name) and who may read them: groups, subjects and/or identity
# kinds. A repository that matches no entry is readable by every authenticated identity; one that
# matches entries is readable only by identities that one of those entries lets in.
package gitgate.rules.fetch.read_access

import rego.v1

import data.gitgate.lib.paths

deny contains {
	"code": "READ_NOT_ALLOWED",
	"message": sprintf(
		"%s may not read %s: it is restricted to %s. Ask its owners for access to one of those groups.",
		[input.identity.subject, input.repository.name, concat(", ", readers)],
	),
} if {
	count(restrictions) > 0
	not some_restriction_admits
}

restrictions := [restriction |
	some restriction in data.gitgate.config.fetch.restricted
	paths.matches_any(restriction.repositories, input.repository.name)
]

some_restriction_admits if {
	some restriction in restrictions
	admits(restriction)
}

admits(restriction) if {
	some group in input.identity.groups
	group in object.get(restriction, "groups", [])
}

admits(restriction) if input.identity.subject in object.get(restriction, "subjects", [])

admits(restriction) if input.identity.kind in object.get(restriction, "kinds", [])

# readers names who would be let in, for the message.
readers := sort({reader |
	some restriction in restrictions
	some reader in array.concat(
		[sprintf("group %s", [group]) | some group in object.get(restriction, "groups", [])],
		array.concat(
			[sprintf("subject %s", [subject]) | some subject in object.get(restriction, "subjects", [])],
			[sprintf("%ss", [kind]) | some kind in object.get(restriction, "kinds", [])],
		),
	)
})
