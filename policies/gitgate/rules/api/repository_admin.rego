# API calls that are never allowed through gitgate (data.gitgate.config.api.denied_routes: each
# entry has methods, an exact route template or a route_prefix, a code and a message), and write
# calls to routes the gateway does not know (api.deny_unknown_write_routes), which it cannot judge;
# reads of unknown routes only when api.deny_unknown_read_routes is set.
package gitgate.rules.api.repository_admin

import rego.v1

config := data.gitgate.config.api

deny contains {"code": entry.code, "message": entry.message} if {
	some entry in config.denied_routes
	input.api.method in entry.methods
	route_matches(entry, input.api.route)
}

deny contains {
	"code": "API_UNKNOWN_ROUTE",
	"message": sprintf(
		"%s %s is not a GitHub API call gitgate knows, so it cannot be checked and is refused. Ask the gitgate operators to add its route if you need it.",
		[input.api.method, input.api.path],
	),
} if {
	config.deny_unknown_write_routes
	input.api.route == null
	not input.api.method in {"GET", "HEAD"}
}

deny contains {
	"code": "API_UNKNOWN_ROUTE",
	"message": sprintf(
		"%s %s is not a GitHub API call gitgate knows, and this gateway refuses unknown reads (api.deny_unknown_read_routes). Ask the gitgate operators to add its route if you need it.",
		[input.api.method, input.api.path],
	),
} if {
	config.deny_unknown_read_routes
	input.api.route == null
	input.api.method in {"GET", "HEAD"}
}

route_matches(entry, route) if route == entry.route

route_matches(entry, route) if {
	is_string(route)
	startswith(route, entry.route_prefix)
}
