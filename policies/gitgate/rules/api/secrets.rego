# Secrets in content written through the API (contents PUT, git blobs, trees and commits:
# input.api.secret_findings, found by the gateway as in the added lines of a push) block the call.
# Findings allowlisted by rule id, path glob or fingerprint (data.gitgate.config.secrets) become
# warnings, as for pushes.
package gitgate.rules.api.secrets

import rego.v1

import data.gitgate.lib.paths

config := data.gitgate.config.secrets

deny contains {"code": "SECRET_DETECTED", "message": message(findings)} if {
	findings := [finding | some finding in object.get(input.api, "secret_findings", []); not allowlisted(finding)]
	count(findings) > 0
}

warnings contains {
	"code": "SECRET_ALLOWLISTED",
	"message": sprintf("%d secret finding(s) in %s %s were allowlisted by policy and not blocked", [count(allowed), input.api.method, input.api.path]),
} if {
	allowed := [finding | some finding in object.get(input.api, "secret_findings", []); allowlisted(finding)]
	count(allowed) > 0
}

allowlisted(finding) if finding.rule in config.allowed_rules

allowlisted(finding) if paths.matches_any(config.allowed_paths, finding.path)

allowlisted(finding) if finding.fingerprint in config.allowed_fingerprints

message(findings) := concat("\n", array.concat(
	[concat("", [
		"write blocked: ", format_int(count(findings), 10), " secret(s) found in the content of ",
		input.api.method, " ", input.api.path, ":",
	])],
	array.concat(listed(findings), [
		"Remove them from the content and send the call again; rotate any real credential.",
		"If a finding is a false positive, ask the policy owners to allowlist its rule, path or fingerprint (data.gitgate.config.secrets).",
	]),
))

listed(findings) := array.concat(
	[concat("", ["  - ", f.rule, " in ", f.path, ":", format_int(f.line, 10), ": ", f.preview]) | some f in array.slice(findings, 0, config.max_listed)],
	more(findings),
)

more(findings) := [concat("", ["  ... and ", format_int(count(findings) - config.max_listed, 10), " more"])] if {
	count(findings) > config.max_listed
}

more(findings) := [] if count(findings) <= config.max_listed
