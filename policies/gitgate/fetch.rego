# The entry point gitgate/fetch: the decision for every fetch request.
#
# Each package under data.gitgate.rules.fetch contributes to it through its own deny, approvals
# and warnings sets, so adding a rule is adding a package there: nothing here needs to change.
package gitgate.fetch

import rego.v1

deny contains reason if {
	some reason in data.gitgate.rules.fetch[_].deny
}

approvals contains requirement if {
	some requirement in data.gitgate.rules.fetch[_].approvals
}

warnings contains warning if {
	some warning in data.gitgate.rules.fetch[_].warnings
}

# allow: nothing denies the request and no approval is still needed.
default allow := false

allow if {
	count(deny) == 0
	count(approvals) == 0
}
