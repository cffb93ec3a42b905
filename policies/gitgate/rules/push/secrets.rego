# Secrets found in the added lines of a push (input.updates[_].secret_findings) block it, one
# denial per ref listing at most data.gitgate.config.secrets.max_listed redacted findings.
# Findings can be allowlisted by rule id, path glob or fingerprint; those become warnings.
package gitgate.rules.push.secrets

import rego.v1

import data.gitgate.lib.paths
import data.gitgate.lib.refs

config := data.gitgate.config.secrets

deny contains {"code": "SECRET_DETECTED", "ref": update.ref, "message": message(update.ref, findings)} if {
	some update in input.updates
	findings := [finding | some finding in update.secret_findings; not allowlisted(finding)]
	count(findings) > 0
}

warnings contains {
	"code": "SECRET_ALLOWLISTED",
	"ref": update.ref,
	"message": sprintf("%d secret finding(s) on %s were allowlisted by policy and not blocked", [count(allowed), update.ref]),
} if {
	some update in input.updates
	allowed := [finding | some finding in update.secret_findings; allowlisted(finding)]
	count(allowed) > 0
}

allowlisted(finding) if finding.rule in config.allowed_rules

allowlisted(finding) if paths.matches_any(config.allowed_paths, finding.path)

allowlisted(finding) if finding.fingerprint in config.allowed_fingerprints

message(ref, findings) := concat("\n", array.concat(
	[concat("", ["push blocked: ", format_int(count(findings), 10), " secret(s) found in the added lines of ", ref, ":"])],
	array.concat(listed(findings), [
		"Remove them from these commits (edit, then git commit --amend or git rebase -i), rotate any real credential, and push again.",
		"If a finding is a false positive, ask the policy owners to allowlist its rule, path or fingerprint (data.gitgate.config.secrets).",
	]),
))

listed(findings) := array.concat(
	[line(finding) | some finding in array.slice(findings, 0, config.max_listed)],
	more(findings),
)

# Messages are built with concat rather than sprintf: in WASM, sprintf is a call out to the host
# (its arguments go out and back as JSON), several times slower than the rest of a line.
line(finding) := concat("", [
	"  - ", finding.rule, " in ", finding.path, ":", format_int(finding.line, 10),
	" (commit ", refs.short(finding.commit), "): ", finding.preview,
])

more(findings) := [concat("", ["  ... and ", format_int(count(findings) - config.max_listed, 10), " more"])] if {
	count(findings) > config.max_listed
}

more(findings) := [] if count(findings) <= config.max_listed
