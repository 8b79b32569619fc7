package policy

import "time"

// APIVersion is the apiVersion of a policy file.
const APIVersion = "mixbox/v1"

// Native says whether native (unsandboxed) mixins may run.
type Native string

// Values of Native.
const (
	NativeAllow Native = "allow"
	NativeDeny  Native = "deny"
)

// Limits are the per-step limits of a mixin (policy `defaults`, overridable
// per mixin). A zero field is unset: Policy.For fills it from the policy's
// defaults, then from Builtin.
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

// Builtin returns the limits used where neither a policy's defaults nor a
// mixin's overrides set one (the example of docs/spec/policy.md).
func Builtin() Limits {
	return Limits{
		Memory:       256 << 20,
		StepTimeout:  30 * time.Minute,
		ExecTimeout:  15 * time.Minute,
		ExecCalls:    1000,
		CaptureBytes: 64 << 20,
		LogBytes:     64 << 20,
		OutputBytes:  16 << 20,
		Outputs:      256,
	}
}

// Or returns l with each zero field taken from base.
func (l Limits) Or(base Limits) Limits {
	if l.Memory == 0 {
		l.Memory = base.Memory
	}
	if l.StepTimeout == 0 {
		l.StepTimeout = base.StepTimeout
	}
	if l.ExecTimeout == 0 {
		l.ExecTimeout = base.ExecTimeout
	}
	if l.ExecCalls == 0 {
		l.ExecCalls = base.ExecCalls
	}
	if l.CaptureBytes == 0 {
		l.CaptureBytes = base.CaptureBytes
	}
	if l.LogBytes == 0 {
		l.LogBytes = base.LogBytes
	}
	if l.OutputBytes == 0 {
		l.OutputBytes = base.OutputBytes
	}
	if l.Outputs == 0 {
		l.Outputs = base.Outputs
	}
	return l
}

// ExecGrant allows one command.
type ExecGrant struct {
	// Command is the name the guest asks for, matched exactly; "*" grants
	// any command. Empty with Path set: the grant matches by path alone.
	Command string
	// Path, if set, pins the resolved absolute path: the host path a bare
	// name is found at on the PATH, or the cleaned /cnab/app path of a
	// command containing a slash.
	Path string
	// Args are regexes for the leading args, in order, each anchored at
	// both ends. A request with fewer args is refused; args past the list
	// are not constrained.
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

// Policy is a parsed, effective policy. The zero Policy grants nothing and
// uses the Builtin limits.
type Policy struct {
	// Native says whether native mixins may run; "" means allow.
	Native Native
	// Defaults are the limits of a mixin that does not override them.
	Defaults Limits
	// Mixins holds the policy of each listed mixin, its Limits merged with
	// Defaults.
	Mixins map[string]Mixin
	// Default marks the default policy (no policy file): a wasm mixin it
	// does not list gets what Declared grants of its mixbox.mixin section
	// (see ForModule). It is not part of the file format.
	Default bool
	// SecretEnv maps the env keys that carry the run's secrets (the env
	// destinations of credentials and sensitive parameters) to what each
	// is ("credential token"): the default policy grants none of them from
	// a mixin's declaration. Not part of the file format.
	SecretEnv map[string]string
}
