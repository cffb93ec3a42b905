# The entry point gitgate/api: the decision for every api request.
#
# Each package under data.gitgate.rules.api contributes to it through its own deny, approvals
# and warnings sets, so adding a rule is adding a package there: nothing here needs to change.
package gitgate.api

import rego.v1

deny contains reason if {
	some reason in data.gitgate.rules.api[_].deny
}

approvals contains requirement if {
	some requirement in data.gitgate.rules.api[_].approvals
}

warnings contains warning if {
	some warning in data.gitgate.rules.api[_].warnings
}

# allow: nothing denies the request and no approval is still needed.
default allow := false

allow if {
	count(deny) == 0
	count(approvals) == 0
}
