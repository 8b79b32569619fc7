package wasmabi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"
)

// Version is the major version of the ABI this package describes.
const Version = 1

// Module is the import module name of ABI version 1.
const Module = "mixbox_v1"

// WASIModule is the import module name of WASI preview 1, the only other
// module a mixin may import from.
const WASIModule = "wasi_snapshot_preview1"

// SectionName is the name of the custom section that carries a mixin's
// metadata (Metadata, as YAML or JSON).
const SectionName = "mixbox.mixin"

// Exports a mixin module provides (abi-v1 §1, §1a). A command exports
// ExportStart; a reactor exports ExportStep and optionally ExportInitialize.
// Both export ExportMemory.
const (
	ExportStart      = "_start"
	ExportInitialize = "_initialize"
	ExportStep       = "mixbox_step"
	ExportMemory     = "memory"
	// ExportEnvPerStep, a function () -> () a reactor may export and the
	// host never calls, declares that the reactor reads argv and env again
	// at the start of every step, so that the state _initialize leaves does
	// not depend on them: the host may then keep that state across runs
	// (abi-v1 §1a, "Initialization images").
	ExportEnvPerStep = "mixbox_env_per_step"
)

// Kinds of mixin module (abi-v1 §1a), as `mixbox mixin inspect` reports them.
const (
	KindCommand = "command"
	KindReactor = "reactor"
)

// Names of the host functions of module "mixbox_v1".
const (
	FuncExec         = "exec"
	FuncResponseRead = "response_read"
	FuncOutputSet    = "output_set"
	FuncLog          = "log"
	FuncMask         = "mask"
)

// Funcs maps each host function of ABI v1 to its number of i32 parameters.
// Every function returns one i32.
func Funcs() map[string]int {
	return map[string]int{
		FuncExec:         2,
		FuncResponseRead: 2,
		FuncOutputSet:    4,
		FuncLog:          3,
		FuncMask:         2,
	}
}

// Caps of ABI v1 that do not depend on the policy.
const (
	// MaxRequestBytes is the largest ExecRequest a guest may pass to exec.
	MaxRequestBytes = 1 << 20
	// MaxOutputNameBytes is the longest output name.
	MaxOutputNameBytes = 64
)

// Status is the result of a host function: >= 0 is success (a length or 0),
// < 0 one of the error codes below. A negative Status is an error.
type Status int32

// Error codes of ABI v1 (abi-v1.md §4).
const (
	EInval      Status = -1
	EFault      Status = -2
	EDenied     Status = -3
	ENotFound   Status = -4
	ETooBig     Status = -5
	ETooSmall   Status = -6
	ELimit      Status = -7
	ENoResponse Status = -8
	EInternal   Status = -9
)

// Name returns the spec name of s, such as "E_DENIED", or "OK" for s >= 0.
func (s Status) Name() string {
	name, _ := s.describe()
	return name
}

// Error implements error, so a negative Status can be returned and matched
// with errors.Is.
func (s Status) Error() string {
	name, text := s.describe()
	if text == "" {
		return name
	}
	return name + ": " + text
}

func (s Status) describe() (name, text string) {
	switch {
	case s >= 0:
		return "OK", ""
	case s == EInval:
		return "E_INVAL", "invalid argument"
	case s == EFault:
		return "E_FAULT", "address outside guest memory"
	case s == EDenied:
		return "E_DENIED", "denied by policy"
	case s == ENotFound:
		return "E_NOTFOUND", "command not found"
	case s == ETooBig:
		return "E_TOOBIG", "too big"
	case s == ETooSmall:
		return "E_TOOSMALL", "buffer too small"
	case s == ELimit:
		return "E_LIMIT", "quota spent"
	case s == ENoResponse:
		return "E_NORESPONSE", "no response staged"
	case s == EInternal:
		return "E_INTERNAL", "host failure"
	}
	return fmt.Sprintf("E_UNKNOWN(%d)", int32(s)), ""
}

// LogLevel is the level argument of the log host function.
type LogLevel int32

// Log levels of the log host function.
const (
	LevelDebug LogLevel = 0
	LevelInfo  LogLevel = 1
	LevelWarn  LogLevel = 2
	LevelError LogLevel = 3
)

// Valid reports whether l is one of the four levels.
func (l LogLevel) Valid() bool { return l >= LevelDebug && l <= LevelError }

// String returns the level's lower-case name.
func (l LogLevel) String() string {
	switch l {
	case LevelDebug:
		return "debug"
	case LevelInfo:
		return "info"
	case LevelWarn:
		return "warn"
	case LevelError:
		return "error"
	}
	return fmt.Sprintf("level(%d)", int32(l))
}

// ValidOutputName reports whether name is a valid output name: it matches
// ^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$, so it is always a plain file name.
func ValidOutputName(name string) bool {
	if len(name) == 0 || len(name) > MaxOutputNameBytes {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if !alnum && (i == 0 || c != '_' && c != '.' && c != '-') {
			return false
		}
	}
	return true
}

// ExecRequest is the JSON payload of the exec host function.
type ExecRequest struct {
	// Command is a bare name looked up on the host's PATH, or a path inside
	// the bundle directory.
	Command string `json:"command"`
	// Args are passed as argv[1:], never through a shell.
	Args []string `json:"args,omitempty"`
	// Env holds extra variables for the command.
	Env map[string]string `json:"env,omitempty"`
	// Dir is the working directory (default /cnab/app).
	Dir string `json:"dir,omitempty"`
	// Stdin is fed to the command's standard input.
	Stdin string `json:"stdin,omitempty"`
	// TimeoutMS is the exec timeout in milliseconds; 0 means the policy's default.
	TimeoutMS int64 `json:"timeout_ms,omitempty"`
	// Stream, when nil or true, tees the command's output to the console.
	Stream *bool `json:"stream,omitempty"`
	// Discard names the streams ("stdout", "stderr") the host does not
	// capture: nobody reads them from the result, so their bytes are never
	// copied. A discarded stream is still teed to the console when Stream
	// says so; its result field is empty and its *_truncated flag says
	// whether the command wrote to it. An addition within v1.
	Discard []string `json:"discard,omitempty"`
	// RawOutput asks for the captured output outside the ExecResult: its
	// stdout and stderr are then empty, StdoutLen and StderrLen give the
	// lengths, and the bytes themselves, unescaped, are the next payloads
	// of the response slot (stdout's, then stderr's, each only when not
	// empty). The host keeps them until they are read. An addition within
	// v1.
	RawOutput bool `json:"raw_output,omitempty"`
}

// Names of the streams an ExecRequest may discard.
const (
	StreamStdout = "stdout"
	StreamStderr = "stderr"
)

// Streams reports whether the command's output is to be teed to the console
// (the default).
func (r ExecRequest) Streams() bool { return r.Stream == nil || *r.Stream }

// Captures reports whether the host keeps the stream ("stdout" or
// "stderr") of the command for the result: it is not in Discard.
func (r ExecRequest) Captures(stream string) bool {
	for _, d := range r.Discard {
		if d == stream {
			return false
		}
	}
	return true
}

// ExecResult is the JSON payload staged by a successful exec call.
type ExecResult struct {
	ExitCode        int    `json:"exit_code"`
	Stdout          string `json:"stdout"`
	Stderr          string `json:"stderr"`
	StdoutTruncated bool   `json:"stdout_truncated"`
	StderrTruncated bool   `json:"stderr_truncated"`
	TimedOut        bool   `json:"timed_out"`
	DurationMS      int64  `json:"duration_ms"`
	// Signal names the signal that killed the command as Go names it
	// ("killed", "terminated"); exit_code is then 128+N. Empty when the
	// command exited. An addition within v1.
	Signal string `json:"signal,omitempty"`
	// Path is where the host found a bare command name on its PATH (e.g.
	// "/usr/bin/bash"), empty for a command given as a path. An addition
	// within v1: guests that do not know it ignore it.
	Path string `json:"path,omitempty"`
	// StdoutLen and StderrLen are the lengths of the captured output that
	// an ExecRequest with RawOutput reads after the ExecResult. An addition
	// within v1.
	StdoutLen int64 `json:"stdout_len,omitempty"`
	StderrLen int64 `json:"stderr_len,omitempty"`
}

// Encode returns the compact JSON of v without HTML escaping.
func Encode(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encode %T: %w", v, err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// ErrMalformed is returned by the decoders for a payload that is not valid
// UTF-8, not a JSON object of the expected type, or misses a required field.
var ErrMalformed = errors.New("malformed payload")

// DecodeExecRequest decodes and validates an ExecRequest: b must be valid
// UTF-8 JSON, unknown fields are refused and command is required.
func DecodeExecRequest(b []byte) (ExecRequest, error) {
	var r ExecRequest
	if !utf8.Valid(b) {
		return r, fmt.Errorf("%w: exec request is not valid UTF-8", ErrMalformed)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return ExecRequest{}, fmt.Errorf("%w: exec request: %w", ErrMalformed, err)
	}
	if dec.More() {
		return ExecRequest{}, fmt.Errorf("%w: exec request: trailing data", ErrMalformed)
	}
	if r.Command == "" {
		return ExecRequest{}, fmt.Errorf("%w: exec request: command is required", ErrMalformed)
	}
	if r.TimeoutMS < 0 {
		return ExecRequest{}, fmt.Errorf("%w: exec request: timeout_ms is negative", ErrMalformed)
	}
	for i, d := range r.Discard {
		if d != StreamStdout && d != StreamStderr {
			return ExecRequest{}, fmt.Errorf("%w: exec request: discard[%d] is %q; a stream is %q or %q", ErrMalformed, i, d, StreamStdout, StreamStderr)
		}
	}
	if len(r.Args) == 0 {
		r.Args = nil // [] and absent mean the same
	}
	if len(r.Discard) == 0 {
		r.Discard = nil
	}
	if len(r.Env) == 0 {
		r.Env = nil
	}
	return r, nil
}

// DecodeExecResult decodes an ExecResult.
func DecodeExecResult(b []byte) (ExecResult, error) {
	var r ExecResult
	if err := json.Unmarshal(b, &r); err != nil {
		return ExecResult{}, fmt.Errorf("%w: exec result: %w", ErrMalformed, err)
	}
	return r, nil
}

// Metadata is the content of a mixin's "mixbox.mixin" custom section. The
// capabilities are a request: the policy decides what is granted.
type Metadata struct {
	Name         string       `json:"name" yaml:"name"`
	Version      string       `json:"version,omitempty" yaml:"version,omitempty"`
	ABI          string       `json:"abi,omitempty" yaml:"abi,omitempty"`
	Capabilities Capabilities `json:"capabilities" yaml:"capabilities"`
}

// Capabilities are what a mixin declares it needs.
type Capabilities struct {
	// Exec lists the commands the mixin runs; "*" means any command.
	Exec []string `json:"exec,omitempty" yaml:"exec,omitempty"`
	// Env lists host variables the mixin needs passed to its commands.
	Env []string `json:"env,omitempty" yaml:"env,omitempty"`
}
