package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mixbox/mixbox/internal/testutil"
)

// Policies of the ABI conformance cases (docs/spec/policy.md).
const (
	abiPolicyGrants = `apiVersion: mixbox/v1
mixins:
  probe:
    exec:
      - command: echo
      - command: "false"
      - command: cat
`
	abiPolicyDenied = `apiVersion: mixbox/v1
mixins:
  probe:
    exec: [{command: echo}]
    env: [LD_PRELOAD]
`
	abiPolicyNotFound = `apiVersion: mixbox/v1
mixins:
  probe:
    exec: [{command: mixbox-abi-no-such-command}]
`
	abiPolicyNothing = `apiVersion: mixbox/v1
mixins:
  probe: {}
`
	abiPolicyQuota = `apiVersion: mixbox/v1
defaults:
  execCalls: 2
  outputs: 3
  outputBytes: 16
`
	abiPolicyMemory = `apiVersion: mixbox/v1
defaults:
  memory: 1Mi
`
	abiPolicyTimeout = `apiVersion: mixbox/v1
defaults:
  stepTimeout: 1s
`
	abiPolicyReactorTimeout = `apiVersion: mixbox/v1
defaults:
  stepTimeout: 1s
mixins:
  probe:
    exec: [{command: echo}]
`
	abiPolicyLog = `apiVersion: mixbox/v1
defaults:
  logBytes: 64Ki
`
)

// abiCase is one conformance case of the mixbox_v1 ABI: a guest of
// testdata/abi installed as the wasm mixin "probe" of a one-step bundle and
// run with `mixbox run --action install`.
type abiCase struct {
	name   string
	guest  string                         // a module under testdata/abi
	module func(t *testing.T) []byte      // or bytes made by the test
	policy string                         // --policy content; "" runs the default policy
	args   []string                       // more flags for mixbox run
	setup  func(t *testing.T, app string) // more layout in the bundle directory
	// steps, when set, makes the bundle run the probe once per entry, each
	// step's YAML carrying "mode: ENTRY" (see testdata/abi/reactor.wat).
	steps []string

	wantCode int
	// want is every "abi: NAME=VALUE" line the guest prints: an exact
	// decimal value, "!0" for any non-zero value or ">0" for a positive one.
	want map[string]string
	// wantSeq is, for a multi-step run, every value each name was reported
	// with, in order (exact decimal values).
	wantSeq map[string][]string
	// wantOutputs are bundle outputs and their exact values; noOutputs are
	// declared bundle outputs that must not be written.
	wantOutputs map[string]string
	noOutputs   []string
	// checkOutputs checks outputs by content; its keys are declared too.
	checkOutputs map[string]func(t *testing.T, value []byte)
	// wantLog must appear in stdout or stderr, notLog must not.
	wantLog []string
	notLog  []string
	// maxLog, if set, bounds the bytes of stdout plus stderr.
	maxLog int
	// wantStderr must appear in stderr (the step error).
	wantStderr []string
	// check runs last, with the bundle directory.
	check func(t *testing.T, app string)
	// checkLog runs last too, with mixbox's stdout.
	checkLog func(t *testing.T, stdout string)
}

// abiResult is what one run of mixbox gave.
type abiResult struct {
	code           int
	stdout, stderr string
	took           time.Duration
}

func (r abiResult) String() string {
	return fmt.Sprintf("exit code %d after %s\n--- stdout:\n%s\n--- stderr:\n%s", r.code, r.took, r.stdout, r.stderr)
}

// abiReport matches the lines the WAT guests print with $report.
var abiReport = regexp.MustCompile(`(?m)^abi: ([A-Za-z0-9_]+)=(-?[0-9]+)$`)

// TestABI is the conformance suite of docs/spec/abi-v1.md, driven through
// the real CLI. The guests and what each pins are in testdata/abi; rebuild
// them with `make -C testdata` after changing one.
func TestABI(t *testing.T) {
	t.Parallel()
	mixbox := builds.Binary(t, "./cmd/mixbox", "mixbox")
	abiDir := filepath.Join(testutil.ModuleRoot(t), "testdata", "abi")

	wasmOf := func(guest string) func(t *testing.T) []byte {
		return func(t *testing.T) []byte { return readGuest(t, abiDir, guest) }
	}
	execResult := func(wantStdout string, wantExit int) func(t *testing.T, value []byte) {
		return func(t *testing.T, value []byte) {
			var got struct {
				ExitCode *int   `json:"exit_code"`
				Stdout   string `json:"stdout"`
			}
			require.NoError(t, json.Unmarshal(value, &got), "the response is not an ExecResult: %q", value)
			require.NotNil(t, got.ExitCode, "ExecResult without exit_code: %s", value)
			assert.Equal(t, wantExit, *got.ExitCode, "exit_code of %s", value)
			assert.Equal(t, wantStdout, got.Stdout, "stdout of %s", value)
		}
	}
	execFields := func(want map[string]any) func(t *testing.T, value []byte) {
		return func(t *testing.T, value []byte) {
			var got map[string]any
			require.NoError(t, json.Unmarshal(value, &got), "the response is not an ExecResult: %q", value)
			for k, v := range want {
				assert.Equal(t, v, got[k], "%s of %s", k, value)
			}
			if _, ok := want["stderr_len"]; !ok {
				assert.NotContains(t, got, "stderr_len", "no stderr came: %s", value)
			}
		}
	}
	contains := func(subs ...string) func(t *testing.T, value []byte) {
		return func(t *testing.T, value []byte) {
			for _, s := range subs {
				assert.Contains(t, string(value), s)
			}
		}
	}
	cGuest := map[string]func(t *testing.T, value []byte){
		"stdin": contains("install:", "probe:", "message: hello from c"),
		"argv":  contains("probe install"),
		"env": func(t *testing.T, value []byte) {
			env := strings.Split(strings.TrimSpace(string(value)), "\n")
			assert.Contains(t, env, "CNAB_ACTION=install")
			for _, v := range env {
				assert.False(t, strings.HasPrefix(v, "PATH=") || strings.HasPrefix(v, "HOME=") || strings.HasPrefix(v, "ABI_HOST_ONLY="),
					"the guest sees %s: only CNAB_ACTION and the keys of abi-v1 §2 may reach it", v)
			}
		},
		"echo": execResult("hello from c\n", 0),
		"reads": func(t *testing.T, value []byte) {
			n, err := strconv.Atoi(string(value))
			require.NoError(t, err)
			assert.Greater(t, n, 1, "the 16-byte buffer should have been E_TOOSMALL at least once")
		},
		"read_after": contains("-8"),
	}
	unchanged := func(t *testing.T, app string) {
		got, err := os.ReadFile(filepath.Join(app, "porter.yaml"))
		require.NoError(t, err, "the guest removed or renamed porter.yaml through the read-only mount")
		assert.Contains(t, string(got), "schemaVersion", "porter.yaml changed through the read-only mount")
		for _, name := range []string{"created.txt", "newdir", "moved.yaml", "newlink"} {
			_, err := os.Lstat(filepath.Join(app, name))
			assert.True(t, errors.Is(err, os.ErrNotExist), "%s was created through the read-only mount", name)
		}
		_, err = os.Stat(filepath.Join(app, "mixins"))
		assert.NoError(t, err, "mixins/ was removed through the read-only mount")
	}

	tests := []abiCase{
		{
			name: "E_FAULT out of memory and 32-bit wraparound", guest: "fault.wasm",
			want: map[string]string{
				"exec_past": "-2", "exec_wrap": "-2", "exec_ptr_past": "-2",
				"read_noresponse_first": "-8",
				"out_name_past":         "-2", "out_value_wrap": "-2", "out_fault_before_inval": "-2",
				"log_past": "-2", "log_edge": "0", "log_fault_before_inval": "-2",
				"mask_wrap": "-2", "mask_past": "-2", "out_edge": "0",
			},
		},
		{
			name: "E_TOOBIG judged on the length alone", guest: "toobig.wasm",
			want: map[string]string{
				"exec_over_1mib": "-5", "exec_over_1mib_wrap": "-5", "exec_1mib": "-2",
				"out_value_over_cap": "-5", "out_value_at_cap": "-2", "out_bad_name_over_cap": "-5",
			},
		},
		{
			name: "E_INVAL bad JSON, UTF-8, output names and log levels", guest: "inval.wasm",
			want: map[string]string{
				"exec_bad_json": "-1", "exec_bad_utf8": "-1", "exec_no_command": "-1", "exec_trailing_data": "-1",
				"out_name_bad_utf8": "-1", "out_name_slash": "-1", "out_name_dotdot": "-1",
				"out_name_underscore_first": "-1", "out_name_space": "-1", "out_name_empty": "-1",
				"out_name_65": "-1", "out_name_64": "0", "out_value_bytes": "0",
				"log_level_4": "-1", "log_level_minus_1": "-1", "log_bytes": "0", "mask_bytes": "0",
			},
			wantOutputs: map[string]string{"bin": "\xff\xfe\x00\x01"},
			notLog:      []string{"denied"},
		},
		{
			name: "E_DENIED without a grant", guest: "denied.wasm",
			wantCode: 1,
			want: map[string]string{
				"exec_abs_path": "-3", "read_after_denied": "-8", "exec_relative_escape": "-3",
				"exec_env_ld_preload": "-3", "exec_dir_outside": "-3", "exec_echo": "-3",
			},
			wantLog:    []string{"denied", "/bin/echo", "probe"},
			wantStderr: []string{"denied by the policy"},
		},
		{
			name: "E_DENIED for paths, LD_PRELOAD and dirs even with echo granted", guest: "denied.wasm",
			policy: abiPolicyDenied,
			want: map[string]string{
				"exec_abs_path": "-3", "read_after_denied": "-8", "exec_relative_escape": "-3",
				"exec_env_ld_preload": "-3", "exec_dir_outside": "-3", "exec_echo": ">0",
			},
			wantLog: []string{"denied", "/bin/echo", "LD_PRELOAD", "/tmp"},
		},
		{
			name: "E_NOTFOUND when granted but absent", guest: "notfound.wasm",
			policy: abiPolicyNotFound,
			want:   map[string]string{"exec_missing": "-4", "read_after": "-8"},
		},
		{
			name: "E_DENIED before E_NOTFOUND when not granted", guest: "notfound.wasm",
			want:    map[string]string{"exec_missing": "-3", "read_after": "-8"},
			wantLog: []string{"mixbox-abi-no-such-command"},
		},
		{
			name: "response slot: E_NORESPONSE, E_TOOSMALL keeps it, E_FAULT keeps it", guest: "response.wasm",
			policy: abiPolicyGrants,
			want: map[string]string{
				"read_none": "-8", "read_none_bad_ptr": "-8", "exec_echo_staged": "1",
				"read_too_small": "-6", "read_too_small_bad_ptr": "-6",
				"read_fault": "-2", "read_fault_wrap": "-2", "read_ok_is_len": "1", "read_after_ok": "-8",
				"out_echo_result": "0", "read_last": "1", "read_false": "1", "read_cat": "1",
				"exec_streamed": "1", "exec_quiet": "1",
			},
			checkOutputs: map[string]func(t *testing.T, value []byte){
				"echo_result":  execResult("hello\n", 0),
				"last_result":  execResult("second\n", 0),
				"false_result": execResult("", 1),
				"cat_result":   execResult("fed through stdin", 0),
			},
			wantLog: []string{"streamed-line"},
			notLog:  []string{"quiet-line", "hello"},
		},
		{
			name: "E_LIMIT and E_TOOBIG for execCalls, outputs and outputBytes", guest: "quota.wasm",
			policy: abiPolicyQuota,
			want: map[string]string{
				"out_a_8": "0", "out_b_17_over_cap": "-5", "out_b_9_over_sum": "-7",
				"out_a_replaced_by_1": "0", "out_b_9": "0", "out_c_1": "0", "out_d_over_count": "-7",
				"out_c_6_reset": "0", "out_c_7_over_sum": "-7",
				"exec_bad_json": "-1", "exec_1": "-3", "exec_2": "-3", "exec_3_over_calls": "-7",
				"exec_bad_json_after": "-1", "exec_too_big_after": "-5", "exec_fault_after": "-2",
			},
			wantOutputs: map[string]string{"a": "1", "b": "123456789", "c": "yyyyyy"},
			noOutputs:   []string{"d"},
		},
		{
			name: "an output survives a trap", guest: "trap.wasm",
			wantCode:    1,
			wantOutputs: map[string]string{"before": "replaced"},
		},
		{
			name: "an output survives a non-zero proc_exit", guest: "exit.wasm",
			wantCode:    1,
			wantOutputs: map[string]string{"code": "seven"},
			wantStderr:  []string{"7"},
		},
		{
			name: "proc_exit(0) is a success", guest: "exit0.wasm",
			wantOutputs: map[string]string{"code": "zero"},
		},
		{
			name: "stepTimeout stops an infinite loop and keeps outputs", guest: "loop.wasm",
			policy:      abiPolicyTimeout,
			wantCode:    1,
			wantOutputs: map[string]string{"before": "set"},
			wantStderr:  []string{"timeout"},
		},
		{
			name: "past logBytes output is dropped with one notice and the step goes on", guest: "flood.wasm",
			policy:      abiPolicyLog,
			wantOutputs: map[string]string{"done": "yes"},
			wantLog:     []string{"xxxxxxxxxx", "the step's log reached its cap (64 KiB, policy logBytes)"},
			maxLog:      80 << 10,
		},
		{
			name: "a masked value never reaches the console", guest: "mask.wasm",
			want:    map[string]string{"mask": "0", "mask_empty": "0", "log": "0", "log_error": "0"},
			wantLog: []string{"token=", "stderr=", "log=", "error-log=", "split="},
			notLog:  []string{"s3cr"},
		},
		{
			name: "log levels without --debug", guest: "log.wasm",
			want: map[string]string{
				"log_debug": "0", "log_info": "0", "log_warn": "0", "log_error": "0", "log_newline": "0", "log_empty": "0",
			},
			wantLog: []string{"lvl-info-line", "lvl-warn-line", "lvl-error-line", "lvl-newline-line"},
			notLog:  []string{"lvl-debug-line"},
		},
		{
			name: "log levels with --debug", guest: "log.wasm",
			args: []string{"--debug"},
			want: map[string]string{
				"log_debug": "0", "log_info": "0", "log_warn": "0", "log_error": "0", "log_newline": "0", "log_empty": "0",
			},
			wantLog: []string{"lvl-debug-line", "lvl-info-line", "lvl-warn-line", "lvl-error-line"},
		},
		{
			name: "memory.grow past the cap returns -1 and the guest goes on", guest: "memgrow.wasm",
			policy: abiPolicyMemory,
			want: map[string]string{
				"grow_past_cap": "-1", "grow_to_cap": "1", "grow_one_more": "-1", "pages": "16", "last_byte": "42",
			},
		},
		{
			name: "an initial memory over the policy cap fails the step", guest: "memstart.wasm",
			policy:     abiPolicyMemory,
			wantCode:   1,
			noOutputs:  []string{"ran"},
			wantStderr: []string{"memory", "1 MiB"},
		},
		{
			name: "an initial memory over the default cap fails the step", guest: "memhuge.wasm",
			wantCode:   1,
			noOutputs:  []string{"ran"},
			wantStderr: []string{"memory"},
		},
		{
			name: "the bundle mount is read-only", guest: "readonly.wasm",
			want: map[string]string{
				"open_read": "0", "read": "0", "write_read_fd": "!0", "truncate_read_fd": "!0",
				"open_write": "!0", "open_append": "!0", "open_trunc": "!0", "open_creat": "!0", "open_creat_excl": "!0",
				"unlink": "!0", "mkdir": "!0", "rmdir": "!0", "rename": "!0", "symlink": "!0",
			},
			check: unchanged,
		},
		{
			name: "output nobody reads: raw_output keeps it on the host until read, discard drops it", guest: "output.wasm",
			policy: abiPolicyGrants,
			want: map[string]string{
				"raw_exec": "1", "raw_read_json": "1", "raw_too_small": "-6", "raw_read_stdout": "6", "raw_then_empty": "-8",
				"discard_read": "1", "next_read": "1", "next_then_empty": "-8", "discard_bad_stream": "-1",
			},
			wantOutputs: map[string]string{"raw_stdout": "hello\n"},
			checkOutputs: map[string]func(t *testing.T, value []byte){
				"raw_result":     execFields(map[string]any{"exit_code": 0.0, "stdout": "", "stderr": "", "stdout_len": 6.0}),
				"discard_result": execFields(map[string]any{"exit_code": 0.0, "stdout": "", "stdout_truncated": true}),
				"next_result":    execResult("", 1),
			},
		},
		{
			name: "a FIFO in the bundle never blocks the step: stat and open work, reads fail", guest: "fifo.wasm",
			policy: abiPolicyTimeout,
			setup: func(t *testing.T, app string) {
				require.NoError(t, syscall.Mkfifo(filepath.Join(app, "fifo"), 0o644))
			},
			want: map[string]string{"stat_fifo": "0", "open_fifo": "0", "read_fifo": "!0", "open_regular": "0", "read_regular": "0"},
		},
		{
			name: "symlinks cannot leave the bundle directory", guest: "symlink.wasm",
			setup: func(t *testing.T, app string) {
				outside := filepath.Join(filepath.Dir(filepath.Dir(app)), "outside")
				require.NoError(t, os.MkdirAll(outside, 0o755))
				secret := filepath.Join(outside, "secret.txt")
				require.NoError(t, os.WriteFile(secret, []byte("outside-secret-marker\n"), 0o644))
				require.NoError(t, os.Symlink(secret, filepath.Join(app, "link-outside")))
				require.NoError(t, os.Symlink("/etc/passwd", filepath.Join(app, "link-etc")))
				require.NoError(t, os.Symlink(outside, filepath.Join(app, "dir-outside")))
				require.NoError(t, os.Symlink("porter.yaml", filepath.Join(app, "link-inside")))
			},
			want: map[string]string{
				"open_link_outside": "!0", "open_link_etc": "!0", "open_dir_link": "!0", "open_dotdot": "!0",
				"open_link_inside": "0",
			},
			wantLog: []string{"abi-read: schemaVersion"},
			notLog:  []string{"outside-secret-marker", "root:"},
		},
		{
			name: "C guest with the capabilities it declares", guest: "c/echo.wasm",
			checkOutputs: cGuest,
			wantLog:      []string{"c guest done"},
			notLog:       []string{"hello from c\n"},
		},
		{
			name: "C guest with an operator policy granting echo", guest: "c/echo.wasm",
			policy:       abiPolicyGrants,
			checkOutputs: cGuest,
		},
		{
			name: "C guest with an operator policy granting nothing", guest: "c/echo.wasm",
			policy:      abiPolicyNothing,
			wantCode:    1,
			wantOutputs: map[string]string{"exec_rc": "-3"},
			wantStderr:  []string{"denied by the policy", "echo"},
		},

		// Reactors (abi-v1 §1a): several steps of testdata/abi/reactor.wat in
		// one run. A failing step ends a run, so what follows a trap or a
		// timeout is pinned by host/internal/wasm's Runner tests; here a
		// proc_exit(0) shows the next step starting from a new instance.
		{
			name: "reactor: every step starts from the post-initialization state", guest: "reactor.wasm",
			policy: abiPolicyGrants, steps: []string{"o", "o", "o"},
			wantSeq:     reactorSeen(3, 1),
			wantOutputs: map[string]string{"initialized": "yes", "last_mode": "o"},
			checkLog:    reactorStdin(3),
		},
		{
			name: "reactor: mixbox_step's result is the step's exit code", guest: "reactor.wasm",
			policy: abiPolicyGrants, steps: []string{"o", "f", "o"},
			wantCode:    1,
			wantSeq:     reactorSeen(2, 1),
			wantOutputs: map[string]string{"last_mode": "f"},
			wantStderr:  []string{"step 2", "exited with code 3"},
		},
		{
			name: "reactor: proc_exit(0) ends the step with success and the next step runs on a new instance", guest: "reactor.wasm",
			policy: abiPolicyGrants, steps: []string{"z", "o"},
			wantSeq:     reactorSeen(2, 2),
			wantOutputs: map[string]string{"initialized": "yes", "last_mode": "o"},
		},
		{
			name: "reactor: proc_exit(4) fails the step with its code", guest: "reactor.wasm",
			policy: abiPolicyGrants, steps: []string{"o", "x", "o"},
			wantCode:    1,
			wantSeq:     reactorSeen(2, 1),
			wantOutputs: map[string]string{"last_mode": "x"},
			wantStderr:  []string{"step 2", "exited with code 4"},
		},
		{
			name: "reactor: a trap fails the step and keeps its outputs", guest: "reactor.wasm",
			policy: abiPolicyGrants, steps: []string{"o", "t", "o"},
			wantCode:    1,
			wantSeq:     reactorSeen(2, 1),
			wantOutputs: map[string]string{"initialized": "yes", "last_mode": "t"},
			wantStderr:  []string{"step 2", "trapped", "unreachable"},
		},
		{
			name: "reactor: the step timeout stops a loop", guest: "reactor.wasm",
			policy: abiPolicyReactorTimeout, steps: []string{"o", "l", "o"},
			wantCode:    1,
			wantSeq:     reactorSeen(2, 1),
			wantOutputs: map[string]string{"last_mode": "l"},
			wantStderr:  []string{"step 2", "step timeout of 1s"},
		},
		{
			name: "reactor: a descriptor left open is not seen by the next step", guest: "reactor.wasm",
			policy: abiPolicyGrants, steps: []string{"d", "d", "o"},
			wantSeq:     withSeq(reactorSeen(3, 3), "fd", "4", "4"),
			wantOutputs: map[string]string{"initialized": "yes", "last_mode": "o"},
		},
		{
			name: "a command module in a multi-step bundle: a fresh instance per step", guest: "command.wasm",
			steps:   []string{"o", "o", "o"},
			wantSeq: map[string][]string{"start": {"1", "1", "1"}, "global": {"0", "0", "0"}, "cell": {"0", "0", "0"}, "pages": {"1", "1", "1"}},
		},

		// Refused modules: exit 3 before anything runs (abi-v1 §1, §7, §8.10).
		{
			name: "refused: not a wasm file", wantCode: 3,
			module: func(*testing.T) []byte { return []byte("#!/bin/sh\necho not a module\n") },
		},
		{
			name: "refused: a truncated module", wantCode: 3,
			module: func(t *testing.T) []byte {
				bin := readGuest(t, abiDir, "fault.wasm")
				return bin[:len(bin)/2]
			},
		},
		{
			name: "refused: a component", wantCode: 3,
			module: func(*testing.T) []byte {
				return []byte("\x00asm\x0d\x00\x01\x00\x07\x10\x01\x00\x61\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00")
			},
			wantStderr: []string{"component"},
		},
		{
			name: "refused: no _start", guest: "refuse/no-start.wasm", wantCode: 3,
			wantStderr: []string{"_start"},
		},
		{
			name: "refused: _initialize but neither _start nor mixbox_step", guest: "refuse/no-step.wasm", wantCode: 3,
			wantStderr: []string{"neither _start nor mixbox_step", "-buildmode=c-shared -tags mixbox_reactor"},
		},
		{
			name: "refused: mixbox_step with the wrong signature", guest: "refuse/step-signature.wasm", wantCode: 3,
			wantStderr: []string{"mixbox_step", "() -> i32"},
		},
		{
			name: "refused: no memory export", guest: "refuse/no-memory.wasm", wantCode: 3,
			wantStderr: []string{"memory"},
		},
		{
			name: "refused: an import from env", guest: "refuse/import-env.wasm", wantCode: 3,
			wantStderr: []string{"env", "abort"},
		},
		{
			name: "refused: an unknown mixbox_v1 function", guest: "refuse/import-nope.wasm", wantCode: 3,
			wantStderr: []string{"needs mixbox_v1.nope", "upgrade mixbox"},
		},
		{
			name: "refused: mixbox_v1.exec with the wrong signature", guest: "refuse/exec-signature.wasm", wantCode: 3,
			wantStderr: []string{"mixbox_v1", "exec"},
		},
		{
			name: "refused: a later step's module stops the run before the first step", guest: "exit0.wasm", wantCode: 3,
			setup: func(t *testing.T, app string) {
				writeMixin(t, app, "bad", readGuest(t, abiDir, "refuse/import-env.wasm"))
				manifest := abiManifest([]string{"probe", "bad"}, []string{"code"})
				require.NoError(t, os.WriteFile(filepath.Join(app, "porter.yaml"), []byte(manifest), 0o644))
			},
			noOutputs:  []string{"code"},
			wantStderr: []string{"env", "abort"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			module := tc.module
			if module == nil {
				module = wasmOf(tc.guest)
			}
			app := layoutABIBundle(t, module(t), tc.declared(), tc.steps)
			if tc.setup != nil {
				tc.setup(t, app)
			}
			args := []string{"run", "--action", "install", "--cnab-root", filepath.Dir(filepath.Dir(app))}
			if tc.policy != "" {
				p := filepath.Join(t.TempDir(), "policy.yaml")
				require.NoError(t, os.WriteFile(p, []byte(tc.policy), 0o644))
				args = append(args, "--policy", p)
			}
			got := runABI(t, mixbox, app, append(args, tc.args...)...)
			tc.verify(t, app, got)
		})
	}
}

// reactorSeen is what testdata/abi/reactor.wat reports when each of its
// steps starts from the post-initialization state: the values of steps
// steps, after inits instantiations.
func reactorSeen(steps, inits int) map[string][]string {
	n := func(v string, k int) []string { return slices.Repeat([]string{v}, k) }
	return map[string][]string{
		"init": n("1", inits), "slot": n("-8", steps), "eof": n("0", steps),
		"global": n("7", steps), "cell": n("42", steps), "pages": n("2", steps), "newpage": n("0", steps),
	}
}

// withSeq adds name and its values to seq.
func withSeq(seq map[string][]string, name string, values ...string) map[string][]string {
	seq[name] = values
	return seq
}

// reactorStdin checks that each of n steps of testdata/abi/reactor.wat
// printed its own input, and only its own.
func reactorStdin(n int) func(t *testing.T, stdout string) {
	return func(t *testing.T, stdout string) {
		blocks := regexp.MustCompile(`(?s)abi-stdin<<(.*?)>>`).FindAllStringSubmatch(stdout, -1)
		require.Len(t, blocks, n, "one stdin per step: %s", stdout)
		for i, b := range blocks {
			for j := 1; j <= n; j++ {
				step := fmt.Sprintf("abi probe step %d\n", j)
				if j == i+1 {
					assert.Contains(t, b[1], step, "step %d reads its own input", i+1)
				} else {
					assert.NotContains(t, b[1], step, "step %d reads another step's input", i+1)
				}
			}
		}
	}
}

// declared returns the bundle outputs the case's manifest declares.
func (tc abiCase) declared() []string {
	var names []string
	for n := range tc.wantOutputs {
		names = append(names, n)
	}
	for n := range tc.checkOutputs {
		names = append(names, n)
	}
	names = append(names, tc.noOutputs...)
	slices.Sort(names)
	return names
}

func (tc abiCase) verify(t *testing.T, app string, got abiResult) {
	t.Helper()
	require.Equal(t, tc.wantCode, got.code, "mixbox run: %s", got)
	all := got.stdout + got.stderr

	reports := map[string]string{}
	seq := map[string][]string{}
	for _, m := range abiReport.FindAllStringSubmatch(got.stdout, -1) {
		reports[m[1]] = m[2]
		seq[m[1]] = append(seq[m[1]], m[2])
	}
	for name, want := range tc.wantSeq {
		assert.Equal(t, want, seq[name], "the values %s was reported with, step by step: %s", name, got)
	}
	for name, want := range tc.want {
		v, ok := reports[name]
		if !assert.True(t, ok, "the guest did not report %s: %s", name, got) {
			continue
		}
		n, err := strconv.Atoi(v)
		require.NoError(t, err)
		switch want {
		case "!0":
			assert.NotZero(t, n, "%s", name)
		case ">0":
			assert.Positive(t, n, "%s", name)
		default:
			assert.Equal(t, want, v, "%s (see abi-v1 §4 for the codes)", name)
		}
	}
	for name := range reports {
		_, ok := tc.want[name]
		_, okSeq := tc.wantSeq[name]
		assert.True(t, ok || okSeq, "the guest reported %s, which the case does not check", name)
	}
	if tc.wantCode == 3 {
		assert.Empty(t, reports, "a refused module ran")
	} else {
		assert.Contains(t, got.stdout, "probe (wasm, installed)", "the run log names the mixin and its form (abi-v1 §8.12)")
	}

	outputs := filepath.Join(app, "outputs")
	for name, want := range tc.wantOutputs {
		v, err := os.ReadFile(filepath.Join(outputs, name))
		if assert.NoError(t, err, "output %s not written: %s", name, got) {
			assert.Equal(t, want, string(v), "output %s", name)
		}
	}
	for name, check := range tc.checkOutputs {
		v, err := os.ReadFile(filepath.Join(outputs, name))
		if assert.NoError(t, err, "output %s not written: %s", name, got) {
			t.Run("output "+name, func(t *testing.T) { check(t, v) })
		}
	}
	for _, name := range tc.noOutputs {
		_, err := os.Stat(filepath.Join(outputs, name))
		assert.True(t, errors.Is(err, os.ErrNotExist), "output %s was written", name)
	}
	for _, s := range tc.wantLog {
		assert.Contains(t, all, s, "%s", got)
	}
	for _, s := range tc.notLog {
		assert.NotContains(t, all, s, "%s", got)
	}
	if tc.maxLog > 0 {
		assert.LessOrEqual(t, len(all), tc.maxLog, "the log cap must bound what is printed")
	}
	for _, s := range tc.wantStderr {
		assert.Contains(t, got.stderr, s, "%s", got)
	}
	if tc.check != nil {
		tc.check(t, app)
	}
	if tc.checkLog != nil {
		tc.checkLog(t, got.stdout)
	}
}

// readGuest reads a built guest of testdata/abi.
func readGuest(t *testing.T, abiDir, guest string) []byte {
	t.Helper()
	bin, err := os.ReadFile(filepath.Join(abiDir, guest))
	require.NoError(t, err, "run `make -C testdata` to build the ABI guests")
	return bin
}

// abiManifest is a porter.yaml with one install step per mixin and the
// given bundle outputs.
func abiManifest(mixins, outputs []string) string {
	var b strings.Builder
	b.WriteString("schemaVersion: 1.0.1\nname: abi-probe\nversion: 0.1.0\nregistry: localhost:5000\nmixins:\n")
	for _, m := range mixins {
		fmt.Fprintf(&b, "  - %s\n", m)
	}
	if len(outputs) > 0 {
		b.WriteString("outputs:\n")
		for _, o := range outputs {
			fmt.Fprintf(&b, "  - name: %s\n    type: string\n", o)
		}
	}
	b.WriteString("install:\n")
	for _, m := range mixins {
		fmt.Fprintf(&b, "  - %s:\n      description: \"abi probe %s\"\n      message: hello from c\n", m, m)
	}
	return b.String()
}

// writeMixin installs module as the wasm mixin name of the bundle at app.
func writeMixin(t *testing.T, app, name string, module []byte) {
	t.Helper()
	dir := filepath.Join(app, "mixins", name, "runtimes")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, name+"-runtime.wasm"), module, 0o644))
}

// abiStepsManifest is a porter.yaml running the mixin probe once per mode,
// step N described as "abi probe step N" and carrying "mode: MODE".
func abiStepsManifest(modes, outputs []string) string {
	m := abiManifest([]string{"probe"}, outputs)
	m = m[:strings.Index(m, "install:\n")]
	var b strings.Builder
	b.WriteString(m + "install:\n")
	for i, mode := range modes {
		fmt.Fprintf(&b, "  - probe:\n      description: \"abi probe step %d\"\n      mode: %s\n", i+1, mode)
	}
	return b.String()
}

// layoutABIBundle lays out ROOT/cnab/app with a porter.yaml running the
// mixin probe once, or once per entry of steps, module as probe, and returns
// the bundle directory.
func layoutABIBundle(t *testing.T, module []byte, outputs, steps []string) string {
	t.Helper()
	app := filepath.Join(t.TempDir(), "cnab", "app")
	writeMixin(t, app, "probe", module)
	manifest := abiManifest([]string{"probe"}, outputs)
	if steps != nil {
		manifest = abiStepsManifest(steps, outputs)
	}
	require.NoError(t, os.WriteFile(filepath.Join(app, "porter.yaml"), []byte(manifest), 0o644))
	return app
}

// runABI runs mixbox in the bundle directory app with a small environment
// and a deadline, so that nothing hangs.
func runABI(t *testing.T, mixbox, app string, args ...string) abiResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(testCtx, 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, mixbox, args...)
	cmd.Dir = app
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + t.TempDir(),
		"ABI_HOST_ONLY=must-not-reach-the-guest",
	}
	cmd.WaitDelay = 2 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	r := abiResult{stdout: stdout.String(), stderr: stderr.String(), took: time.Since(start)}
	require.NoError(t, ctx.Err(), "mixbox run did not end within 30s: %s", r)
	var exitErr *exec.ExitError
	switch {
	case errors.As(err, &exitErr):
		r.code = exitErr.ExitCode()
	case err != nil:
		require.NoError(t, err, "start mixbox")
	}
	return r
}
