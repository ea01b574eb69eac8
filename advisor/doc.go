// Package advisor owns the scenario a user describes (users, devices,
// connectivity, storage, policies...), the rules that score IMAP against
// POP3 for it, and the explained recommendation that comes out: scores,
// every contribution with its reason, vetoes, warnings, the secure
// endpoints to configure and the break-even value of each numeric input.
//
// Rules are data: an embedded YAML file whose conditions and point
// expressions are compiled once with github.com/expr-lang/expr against
// [Facts]. The package never prints, exits or reads globals; callers pass
// values and readers and get results and errors back.
package advisor
