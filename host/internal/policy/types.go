package policy

import "time"

// Native says whether native (unsandboxed) mixins may run.
type Native string

// Values of Native.
const (
	NativeAllow Native = "allow"
	NativeDeny  Native = "deny"
)

// Limits are the per-step limits of a mixin (policy `defaults`, overridable
// per mixin).
type Limits struct {
	Memory       int64         // linear memory cap per instance, bytes
	StepTimeout  time.Duration // wall time of one step
	ExecTimeout  time.Duration // default per exec call
	ExecCalls    int           // exec calls per step
	CaptureBytes int64         // per exec call, stdout and stderr each
	LogBytes     int64         // guest stdout+stderr+log per step
	OutputBytes  int64         // sum of output values per step
	Outputs      int           // output count per step
}

// ExecGrant allows one command.
type ExecGrant struct {
	// Command is the name the guest asks for, "*" for any command.
	Command string
	// Path, if set, pins the resolved binary.
	Path string
	// Args are anchored regexes for the leading args, in order.
	Args []string
}

// Mixin is the policy of one mixin.
type Mixin struct {
	Exec       []ExecGrant
	Env        []string // host vars passed through; request env keys allowed
	Mount      bool     // read-only /cnab/app inside the guest
	InheritEnv bool     // commands get mixbox's whole environment
	Mounts     []string // more read-only host paths, same path inside
	Dirs       []string // more working directories an exec request may use
	Limits     Limits   // effective limits (defaults merged with overrides)
}

// Policy is a parsed, effective policy.
type Policy struct {
	Native   Native
	Defaults Limits
	Mixins   map[string]Mixin
}
