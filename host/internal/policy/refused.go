package policy

import (
	"strconv"
	"strings"
)

// RefusedEnv returns the request env keys refused whatever a policy lists
// (abi-v1.md §3): a name ending in "*" is a prefix. They make the dynamic
// loader, a shell or an interpreter load or run code of the caller's
// choosing before or instead of the command; RATIONALE.md ("Which request
// env keys are always refused?") says why each is here. Keys are compared
// case-insensitively.
func RefusedEnv() []string {
	return []string{
		// the dynamic loader (glibc, musl, macOS) and what glibc loads itself
		"LD_*", "DYLD_*", "GCONV_PATH", "GLIBC_TUNABLES",
		// where bare names are looked up
		"PATH",
		// shell start-up files, exported functions and options
		"BASH_ENV", "ENV", "BASH_FUNC_*", "SHELLOPTS", "BASHOPTS", "PS4", "ZDOTDIR",
		// interpreter start-up hooks and module paths
		"PYTHONSTARTUP", "PYTHONPATH", "PYTHONHOME", "PYTHONWARNINGS", "PYTHONBREAKPOINT", "PYTHONINSPECT",
		"PERL5OPT", "PERL5LIB", "PERLLIB", "PERL5DB",
		"RUBYOPT", "RUBYLIB",
		"NODE_OPTIONS", "NODE_PATH",
		"JAVA_TOOL_OPTIONS", "_JAVA_OPTIONS", "JDK_JAVA_OPTIONS",
	}
}

// envRefused says why the request env key k is refused whatever the policy
// lists, or "": one of RefusedEnv in any letter case, or not a variable
// name at all (empty, or holding "=" or NUL, which would set another
// variable or cut the entry short).
func envRefused(k string) string {
	if k == "" || strings.ContainsAny(k, "=\x00") {
		return "is not a variable name"
	}
	for _, r := range RefusedEnv() {
		prefix, isPrefix := strings.CutSuffix(r, "*")
		if isPrefix && len(k) >= len(prefix) && strings.EqualFold(k[:len(prefix)], prefix) || strings.EqualFold(k, r) {
			return "is always refused"
		}
	}
	return ""
}

// printable is k as is when it prints as itself and is a name, else quoted.
func printable(k string) string {
	if q := strconv.Quote(k); q[1:len(q)-1] != k || k == "" || strings.Contains(k, "=") {
		return q
	}
	return k
}
