# Commit metadata of the commits a push adds (data.gitgate.config.commits):
#  - allowed_email_domains: when not empty, every author e-mail must be in one of them;
#  - message_patterns: when not empty, every subject line must match one of these regular
#    expressions (merge commits are exempt);
#  - require_signoff: every commit needs a "Signed-off-by: Name <email>" trailer.
package gitgate.rules.push.commit_metadata

import rego.v1

import data.gitgate.lib.refs

config := data.gitgate.config.commits

deny contains {
	"code": "COMMIT_AUTHOR_DOMAIN",
	"ref": ref,
	"message": sprintf(
		"commit %s is authored by %s, whose domain is not allowed (allowed: %s). Set your git user.email (git config user.email), amend or rebase the commit, and push again.",
		[refs.short(commit.id), commit.author.email, concat(", ", config.allowed_email_domains)],
	),
} if {
	count(config.allowed_email_domains) > 0
	some [ref, commit] in pushed_commits
	not lower(email_domain(commit.author.email)) in {lower(domain) | some domain in config.allowed_email_domains}
}

deny contains {
	"code": "COMMIT_MESSAGE_FORMAT",
	"ref": ref,
	"message": sprintf(
		"commit %s has the subject %s, which does not match the required format (%s). Reword it (git rebase -i, reword) and push again.",
		[refs.short(commit.id), json.marshal(subject(commit.message)), concat(" or ", config.message_patterns)],
	),
} if {
	count(config.message_patterns) > 0
	some [ref, commit] in pushed_commits
	count(commit.parents) < 2
	not subject_matches(subject(commit.message))
}

deny contains {
	"code": "COMMIT_SIGNOFF_MISSING",
	"ref": ref,
	"message": sprintf(
		"commit %s has no Signed-off-by trailer. Add one (git commit --amend -s, or git rebase --signoff) and push again.",
		[refs.short(commit.id)],
	),
} if {
	config.require_signoff
	some [ref, commit] in pushed_commits
	not regex.match(`(?m)^Signed-off-by: .+ <[^>]+>\s*$`, commit.message)
}

# pushed_commits holds a [ref, commit] pair for every commit a push adds to a ref.
pushed_commits contains [update.ref, commit] if {
	some update in input.updates
	some commit in update.commits
}

email_domain(email) := parts[count(parts) - 1] if {
	parts := split(email, "@")
	count(parts) > 1
}

email_domain(email) := "" if not contains(email, "@")

subject(message) := split(message, "\n")[0]

subject_matches(line) if {
	some pattern in config.message_patterns
	regex.match(pattern, line)
}
