package exec

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/mixbox/mixbox/wasmabi"
	"github.com/mixbox/mixbox/wasmabi/guest"
)

type testCtxKey struct{}

// testCtx is a non-Background context, so code that drops it shows up.
var testCtx = context.WithValue(context.Background(), testCtxKey{}, "exec")

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err, "read testdata/%s", name)
	return b
}

func TestSplitCommand(t *testing.T) {
	t.Parallel()
	var cases []struct {
		Name string   `yaml:"name"`
		In   []string `yaml:"in"`
		Want []string `yaml:"want"`
	}
	require.NoError(t, yaml.Unmarshal(readTestdata(t, "split-command.yaml"), &cases))
	require.NotEmpty(t, cases)
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			t.Parallel()
			got := splitCommand(tc.In)
			want := tc.Want
			if want == nil {
				want = []string{}
			}
			require.Equal(t, want, got)
		})
	}
}

func TestFlags_ToSlice(t *testing.T) {
	t.Parallel()
	var in struct {
		Flags cmdFlags `yaml:"flags"`
		Want  []string `yaml:"want"`
	}
	require.NoError(t, yaml.Unmarshal(readTestdata(t, "flags-input.yaml"), &in))
	require.Equal(t, in.Want, in.Flags.ToSlice())

	tests := []struct {
		name    string
		yaml    string
		want    []string
		wantErr string
	}{
		{"one letter gets one dash", "c: echo hi", []string{"-c", "echo hi"}, ""},
		{"sorted by byte order", "zeta: z\na: 1\nB: b", []string{"-B", "b", "-a", "1", "--zeta", "z"}, ""},
		{"number and float", "n: 12345678901\nf: 1.5", []string{"-f", "1.5", "-n", "12345678901"}, ""},
		{"non-string key", "1: one\ntrue: yes", []string{"-1", "one", "--true", "yes"}, ""},
		{"list of non-strings", "l: [1, 2]", nil, "invalid yaml type for flag l: int"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var got cmdFlags
			err := yaml.Unmarshal([]byte(tc.yaml), &got)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got.ToSlice())
		})
	}
}

func TestInstruction_Argv(t *testing.T) {
	t.Parallel()
	// Porter's observed argv (reference §4.3).
	in := `install:
  - exec:
      command: printf
      arguments: ["[%s]\n", "first arg"]
      flags: {zeta: z, a: 1, bool: true, empty: , repeated: [FOO=BAR, STUFF=THINGS], quoted: '"two words" three'}
      suffix-arguments: [suffix1]
`
	steps, err := loadSteps([]byte(in))
	require.NoError(t, err)
	require.Len(t, steps, 1)
	want := []string{"[%s]\n", "first arg", "-a", "1", "--bool", "true", "--empty", "--quoted", "two words", "three",
		"--repeated", "FOO=BAR", "--repeated", "STUFF=THINGS", "--zeta", "z", "suffix1"}
	require.Equal(t, want, steps[0].Argv())
}

func TestJSONPathOutputs(t *testing.T) {
	t.Parallel()
	stdout := string(readTestdata(t, "install-output.json"))
	tests := []struct {
		name, jsonPath, want string
	}{
		{"array", "$[*].id", `["1085517466897181794"]`},
		{"object", "$[0].tags", `{"fingerprint":"42WmSpB8rSM="}`},
		{"integer", "$[0].index", `0`},
		{"big integer", "$[0]._id", `123123123`},
		{"exponential notation", "$[0]._bigId", `1.23123123e+08`},
		{"boolean", "$[0].deletionProtection", `false`},
		{"string", "$[0].cpuPlatform", `Intel Haswell`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newFake(nil)
			r := runner{h: h}
			err := r.jsonPathOutputs([]Output{{Name: "out", JSONPath: tc.jsonPath}}, stdout)
			require.NoError(t, err)
			require.Equal(t, tc.want, h.outputs["out"])
		})
	}
}

func TestRegexValue(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, expr, in, want string
	}{
		{"go test failures", `--- FAIL: (.*) \(.*\)`,
			"--- FAIL: TestMixin_Install (0.00s)\nstuff\n--- FAIL: TestMixin_Upgrade (0.00s)\nok\n",
			"TestMixin_Install\nTestMixin_Upgrade"},
		{"all groups of all matches", `"(\w+)": "(\w[^"]*)"`,
			`{"pwd": "/tmp", "env": "hello-env", "k": "v"}`, "env\nhello-env\nk\nv"},
		{"no match", `nope (.*)`, "hello", ""},
		{"no capture group", `hello`, "hello", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newFake(nil)
			r := runner{h: h}
			require.NoError(t, r.regexOutputs([]Output{{Name: "out", Regex: tc.expr}}, tc.in))
			require.Equal(t, tc.want, h.outputs["out"])
		})
	}
}

func ok(stdout string) reply { return reply{res: wasmabi.ExecResult{Stdout: stdout}} }

func fail(code int, stderr string) reply {
	return reply{res: wasmabi.ExecResult{ExitCode: code, Stderr: stderr}}
}

func TestExecute(t *testing.T) {
	t.Parallel()
	const dotRefused = `exec: "helper.sh": cannot run executable found relative to current directory`
	bashStep := func(extra string) string {
		return "install:\n  - exec:\n      command: bash\n      arguments: [-c, echo Hello World]\n" + extra
	}
	installOutput := string(readTestdata(t, "install-output.json"))
	tests := []struct {
		name       string
		input      string
		replies    map[string]reply
		files      fstest.MapFS
		paths      map[string]string // non-nil: the host resolves names (native)
		debug      bool
		wantCalls  []wasmabi.ExecRequest // only Command, Args, Dir, Env and Stream are compared
		wantOut    map[string]string
		wantStderr string
		wantErr    string
		wantErrIs  error
	}{
		{
			name:      "flags split and sorted",
			input:     "install:\n  - exec:\n      command: bash\n      flags:\n        c: echo Hello World\n",
			replies:   map[string]reply{"bash -c echo Hello World": ok("\n")},
			wantCalls: []wasmabi.ExecRequest{{Command: "bash", Args: []string{"-c", "echo", "Hello", "World"}}},
		},
		{
			name:      "suffix arguments after flags",
			input:     string(readTestdata(t, "suffix-args-input.yaml")),
			replies:   map[string]reply{"docker build --tag getporter/porter-hello:latest .": ok("")},
			wantCalls: []wasmabi.ExecRequest{{Command: "docker", Args: []string{"build", "--tag", "getporter/porter-hello:latest", "."}}},
		},
		{
			name:  "gcloud with envs and a jsonPath output",
			input: string(readTestdata(t, "install-input.yaml")),
			replies: map[string]reply{
				"gcloud compute instances create --machine-type f1-micro --project porterci --zone us-central1-a": ok(installOutput),
			},
			wantCalls: []wasmabi.ExecRequest{{
				Command: "gcloud",
				Args:    []string{"compute", "instances", "create", "--machine-type", "f1-micro", "--project", "porterci", "--zone", "us-central1-a"},
				Env:     map[string]string{"SECRET": "super-secret"},
			}},
			wantOut: map[string]string{"vms": `["1085517466897181794"]`},
		},
		{
			name:  "ignored error still processes outputs",
			input: string(readTestdata(t, "install-input.yaml")),
			replies: map[string]reply{
				"gcloud compute instances create --machine-type f1-micro --project porterci --zone us-central1-a": {res: wasmabi.ExecResult{ExitCode: 3, Stdout: `[{"id":"x"}]`, Stderr: "thing already exists"}},
			},
			wantOut: map[string]string{"vms": `["x"]`},
		},
		{
			name:    "legit error",
			input:   bashStep(""),
			replies: map[string]reply{"bash -c echo Hello World": fail(1, "thing already exists")},
			wantErr: "error running command /cnab/app bash -c echo Hello World: exit status 1",
		},
		{
			name:    "ignore all",
			input:   bashStep("      ignoreError:\n        all: true\n"),
			replies: map[string]reply{"bash -c echo Hello World": fail(1, "thing already exists")},
		},
		{
			name:    "ignore exit code",
			input:   bashStep("      ignoreError:\n        exitCodes: [2, 1]\n"),
			replies: map[string]reply{"bash -c echo Hello World": fail(1, "thing already exists")},
		},
		{
			name:    "exit code not listed",
			input:   bashStep("      ignoreError:\n        exitCodes: [2]\n"),
			replies: map[string]reply{"bash -c echo Hello World": fail(1, "thing already exists")},
			wantErr: "error running command /cnab/app bash -c echo Hello World: exit status 1",
		},
		{
			name:    "ignore stderr contains",
			input:   bashStep("      ignoreError:\n        output:\n          contains: [already exists]\n"),
			replies: map[string]reply{"bash -c echo Hello World": fail(1, "thing already exists")},
		},
		{
			name:    "contains looks at stderr only",
			input:   bashStep("      ignoreError:\n        output:\n          contains: [already exists]\n"),
			replies: map[string]reply{"bash -c echo Hello World": {res: wasmabi.ExecResult{ExitCode: 1, Stdout: "already exists"}}},
			wantErr: "error running command /cnab/app bash -c echo Hello World: exit status 1",
		},
		{
			name:    "ignore stderr regex",
			input:   bashStep("      ignoreError:\n        output:\n          regex: ['.* exists']\n"),
			replies: map[string]reply{"bash -c echo Hello World": fail(1, "thing already exists")},
		},
		{
			name:       "invalid ignore regex",
			input:      bashStep("      ignoreError:\n        output:\n          regex: ['(']\n"),
			replies:    map[string]reply{"bash -c echo Hello World": fail(1, "thing already exists")},
			wantStderr: "Could not ignore failed command because the Regex specified by the mixin step definition (\"(\") is invalid:error parsing regexp: missing closing ): `(`\n",
			wantErr:    "error running command /cnab/app bash -c echo Hello World: exit status 1",
		},
		{
			name:    "native prints the resolved path",
			input:   "install:\n  - exec:\n      command: bash\n      arguments: [-c, echo bye; exit 7]\n",
			paths:   map[string]string{"bash": "/usr/bin/bash"},
			replies: map[string]reply{"/usr/bin/bash -c echo bye; exit 7": fail(7, "")},
			wantErr: "error running command /cnab/app /usr/bin/bash -c echo bye; exit 7: exit status 7",
		},
		{
			name:      "command not found",
			input:     "install:\n  - exec:\n      command: fail\n      arguments: [open_door, Sup3rS3cretPw]\n",
			wantErr:   `couldn't run command /cnab/app fail open_door Sup3rS3cretPw: exec: "fail": executable file not found in $PATH`,
			wantErrIs: wasmabi.ENotFound,
		},
		{
			name:      "script not found",
			input:     "install:\n  - exec:\n      command: ./missing.sh\n",
			wantErr:   `couldn't run command /cnab/app ./missing.sh: fork/exec ./missing.sh: no such file or directory`,
			wantErrIs: wasmabi.ENotFound,
		},
		{
			name:      "denied by policy",
			input:     "install:\n  - exec:\n      command: curl\n",
			replies:   map[string]reply{"curl": {err: &guest.ExecError{Status: wasmabi.EDenied}}},
			wantErr:   `couldn't run command /cnab/app curl: E_DENIED: denied by policy`,
			wantErrIs: wasmabi.EDenied,
		},
		{
			name:    "found but cannot start",
			input:   "install:\n  - exec:\n      command: ./x.sh\n",
			replies: map[string]reply{"./x.sh": {res: wasmabi.ExecResult{ExitCode: -1, Stderr: "fork/exec ./x.sh: permission denied"}}},
			wantErr: `couldn't run command /cnab/app ./x.sh: fork/exec ./x.sh: permission denied`,
		},
		{
			name:      "local script fallback in wasm",
			input:     "install:\n  - exec:\n      command: helper.sh\n      arguments: [install]\n",
			files:     fstest.MapFS{"cnab/app/helper.sh": {Data: []byte("#!/bin/sh\n"), Mode: 0o755}},
			replies:   map[string]reply{"./helper.sh install": ok("hi\n")},
			wantCalls: []wasmabi.ExecRequest{{Command: "helper.sh", Args: []string{"install"}}, {Command: "./helper.sh", Args: []string{"install"}}},
		},
		{
			name:      "local script fallback natively",
			input:     "install:\n  - exec:\n      command: helper.sh\n      arguments: [install]\n",
			files:     fstest.MapFS{"cnab/app/helper.sh": {Data: []byte("#!/bin/sh\n"), Mode: 0o755}},
			paths:     map[string]string{},
			replies:   map[string]reply{"./helper.sh install": ok("hi\n")},
			wantCalls: []wasmabi.ExecRequest{{Command: "./helper.sh", Args: []string{"install"}}},
		},
		{
			name:      "a name found through a relative PATH entry does not run in wasm",
			input:     "install:\n  - exec:\n      command: helper.sh\n",
			files:     fstest.MapFS{"cnab/app/helper.sh": {Data: []byte("#!/bin/sh\n"), Mode: 0o755}},
			replies:   map[string]reply{"helper.sh": {res: wasmabi.ExecResult{ExitCode: -1, Stderr: dotRefused}}},
			wantCalls: []wasmabi.ExecRequest{{Command: "helper.sh"}},
			wantErr:   "couldn't run command /cnab/app helper.sh: " + dotRefused,
		},
		{
			name:      "a name found through a relative PATH entry does not run natively",
			input:     "install:\n  - exec:\n      command: helper.sh\n",
			files:     fstest.MapFS{"cnab/app/helper.sh": {Data: []byte("#!/bin/sh\n"), Mode: 0o755}},
			paths:     map[string]string{"helper.sh": "helper.sh"},
			replies:   map[string]reply{"helper.sh": {res: wasmabi.ExecResult{ExitCode: -1, Stderr: dotRefused}}},
			wantCalls: []wasmabi.ExecRequest{{Command: "helper.sh"}},
			wantErr:   "couldn't run command /cnab/app helper.sh: " + dotRefused,
		},
		{
			name:      "PATH wins over a local file natively",
			input:     "install:\n  - exec:\n      command: helper.sh\n",
			files:     fstest.MapFS{"cnab/app/helper.sh": {Data: []byte("#!/bin/sh\n"), Mode: 0o755}},
			paths:     map[string]string{"helper.sh": "/usr/bin/helper.sh"},
			replies:   map[string]reply{"/usr/bin/helper.sh": ok("")},
			wantCalls: []wasmabi.ExecRequest{{Command: "/usr/bin/helper.sh"}},
		},
		{
			name:      "relative dir",
			input:     "install:\n  - exec:\n      command: ./run.sh\n      dir: sub\n",
			replies:   map[string]reply{"./run.sh": fail(2, "")},
			wantCalls: []wasmabi.ExecRequest{{Command: "./run.sh", Dir: "/cnab/app/sub"}},
			wantErr:   "error running command sub ./run.sh: exit status 2",
		},
		{
			name:      "dot dir is the default",
			input:     "install:\n  - exec:\n      command: pwd\n      dir: .\n",
			replies:   map[string]reply{"pwd": ok("/cnab/app\n")},
			wantCalls: []wasmabi.ExecRequest{{Command: "pwd"}},
		},
		{
			name:      "suppress output",
			input:     "install:\n  - exec:\n      command: echo\n      suppress-output: true\n",
			replies:   map[string]reply{"echo": ok("\n")},
			wantCalls: []wasmabi.ExecRequest{{Command: "echo", Stream: boolPtr(false)}},
		},
		{
			name:    "no outputs after a failure",
			input:   "install:\n  - exec:\n      command: cat\n      outputs:\n        - name: r\n          regex: (.*)\n",
			replies: map[string]reply{"cat": {res: wasmabi.ExecResult{ExitCode: 1, Stdout: "x"}}},
			wantErr: "error running command /cnab/app cat: exit status 1",
			wantOut: map[string]string{},
		},
		{
			name: "outputs in order jsonPath regex path",
			input: `install:
  - exec:
      command: cat
      outputs:
        - {name: file, path: config.txt}
        - {name: abs, path: /cnab/app/config.txt}
        - {name: regex, regex: '"a": (\d+)'}
        - {name: json, jsonPath: $.a}
`,
			files:   fstest.MapFS{"cnab/app/config.txt": {Data: []byte("abc123")}},
			replies: map[string]reply{"cat": ok(`{"a": 1}`)},
			wantOut: map[string]string{"file": "abc123", "abs": "abc123", "regex": "1", "json": "1"},
		},
		{
			name:    "missing path output",
			input:   "install:\n  - exec:\n      command: cat\n      outputs:\n        - {name: f, path: missing.txt}\n",
			replies: map[string]reply{"cat": ok("")},
			wantErr: `error evaluating filepath "missing.txt" for output "f": open missing.txt: no such file or directory`,
		},
		{
			name:    "empty stdout gives an empty jsonPath output",
			input:   "install:\n  - exec:\n      command: cat\n      outputs:\n        - {name: j, jsonPath: '$.a'}\n",
			replies: map[string]reply{"cat": ok("")},
			wantOut: map[string]string{"j": ""},
		},
		{
			name:    "stdout is not JSON",
			input:   "install:\n  - exec:\n      command: cat\n      outputs:\n        - {name: j, jsonPath: '$.a'}\n",
			replies: map[string]reply{"cat": ok("hello")},
			wantErr: "error unmarshaling stdout as json hello: invalid character 'h' looking for beginning of value",
		},
		{
			name:       "debug prints the jsonPath document",
			input:      "install:\n  - exec:\n      command: cat\n      outputs:\n        - {name: ids, jsonPath: '$[*].id'}\n",
			replies:    map[string]reply{"cat": ok(`[{"id": "abc123"}]`)},
			debug:      true,
			wantStderr: "/cnab/app cat\nProcessing jsonpath output ids using query $[*].id against document\n[{\"id\": \"abc123\"}]\n",
			wantOut:    map[string]string{"ids": `["abc123"]`},
		},
		{
			name:      "unknown key is ignored",
			input:     string(readTestdata(t, "invalid-args-input.yaml")),
			replies:   map[string]reply{"bash": ok("")},
			wantCalls: []wasmabi.ExecRequest{{Command: "bash"}},
		},
		{
			name:    "string instead of a map",
			input:   string(readTestdata(t, "install-invalid-type-input.yaml")),
			wantErr: "could not unmarshal the step input: yaml: unmarshal errors:\n  line 1 (exec): cannot unmarshal a !!str into exec.Instruction",
		},
		{
			name:    "a value of the wrong type is not quoted",
			input:   "install:\n  - exec:\n      command: echo\n      suppress-output: P@ssw0rd-long\n      arguments: [a, {b: c}]\n",
			wantErr: "could not unmarshal the step input: yaml: unmarshal errors:\n  line 4 (exec.arguments[1]): cannot unmarshal a !!map into string\n  line 6 (exec.suppress-output): cannot unmarshal a !!str into bool",
		},
		{
			name:    "flags of the wrong type are not quoted",
			input:   "install:\n  - exec:\n      command: echo\n      flags: P@ssw0rd-long\n",
			wantErr: "could not unmarshal the step input: yaml: unmarshal errors:\n  line 3 (exec.flags): cannot unmarshal a !!str into map[interface {}]interface {}",
		},
		{
			name:      "two steps",
			input:     string(readTestdata(t, "two-steps-input.yaml")),
			wantErr:   "expected a single step, but got 2",
			wantErrIs: errSingleStep,
		},
		{
			name:      "no steps",
			input:     "install: []\n",
			wantErr:   "expected a single step, but got 0",
			wantErrIs: errSingleStep,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fake := newFake(tc.replies)
			if tc.files != nil {
				fake.files = tc.files
			}
			var h guest.Host = fake
			if tc.paths != nil {
				h = nativeFake{fakeHost: fake, paths: tc.paths}
			}
			var stderr bytes.Buffer
			err := execute(testCtx, h, guest.Invocation{
				Command: "install", Action: "install", Input: []byte(tc.input), Debug: tc.debug, Stderr: &stderr,
			})
			require.Equal(t, tc.wantStderr, stderr.String(), "stderr")
			if tc.wantOut != nil {
				require.Equal(t, tc.wantOut, fake.outputs, "outputs")
			}
			if tc.wantCalls != nil {
				require.Len(t, fake.calls, len(tc.wantCalls), "exec calls: %+v", fake.calls)
				for i, want := range tc.wantCalls {
					got := fake.calls[i]
					if want.Dir == "" {
						want.Dir = guest.AppDir
					}
					if want.Stream == nil {
						want.Stream = boolPtr(true)
					}
					require.Equal(t, want, wasmabi.ExecRequest{Command: got.Command, Args: got.Args, Dir: got.Dir, Env: got.Env, Stream: got.Stream})
				}
			}
			if tc.wantErr != "" {
				require.EqualError(t, err, tc.wantErr)
				if tc.wantErrIs != nil {
					require.ErrorIs(t, err, tc.wantErrIs)
				}
				return
			}
			require.NoError(t, err)
		})
	}
}

// TestWarmInput: the step a reactor build parses while it initializes sets
// every field of Instruction, so that parsing warms all of them.
func TestWarmInput(t *testing.T) {
	t.Parallel()
	steps, err := loadSteps([]byte(warmInput))
	require.NoError(t, err)
	require.Len(t, steps, 1)
	v := reflect.ValueOf(steps[0].Instruction)
	for i := range v.NumField() {
		assert.False(t, v.Field(i).IsZero(), "warmInput does not set %s", v.Type().Field(i).Name)
	}
}

// boolPtr is &b, for the optional bool fields of wasmabi.ExecRequest.
func boolPtr(b bool) *bool { return &b }

// TestExecute_discard: a step asks the host to keep only the streams
// something of the step reads: stdout for a jsonPath or regex output,
// stderr for ignoreError's output rules; suppress-output changes only the
// streaming.
func TestExecute_discard(t *testing.T) {
	t.Parallel()
	both := []string{wasmabi.StreamStdout, wasmabi.StreamStderr}
	tests := []struct {
		name, step string
		want       []string
	}{
		{"nothing reads the output", "", both},
		{"suppressed, nothing reads it", "      suppress-output: true\n", both},
		{"a regex output reads stdout", "      outputs:\n        - name: o\n          regex: \"(.*)\"\n", []string{wasmabi.StreamStderr}},
		{"a jsonPath output reads stdout", "      outputs:\n        - name: o\n          jsonPath: \"$.a\"\n", []string{wasmabi.StreamStderr}},
		{"a path output reads a file", "      outputs:\n        - name: o\n          path: /cnab/app/o.txt\n", both},
		{"ignoreError contains reads stderr", "      ignoreError:\n        output:\n          contains: [\"exists\"]\n", []string{wasmabi.StreamStdout}},
		{"ignoreError regex reads stderr", "      ignoreError:\n        output:\n          regex: [\"exi.ts\"]\n", []string{wasmabi.StreamStdout}},
		{"ignoreError exit codes read nothing", "      ignoreError:\n        exitCodes: [1]\n", both},
		{"both read", "      suppress-output: true\n      outputs:\n        - name: o\n          regex: \"(.*)\"\n      ignoreError:\n        output:\n          contains: [\"x\"]\n", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fake := newFake(map[string]reply{"true": {}})
			fake.files["cnab/app/o.txt"] = &fstest.MapFile{Data: []byte("x")}
			input := "install:\n  - exec:\n      description: d\n      command: \"true\"\n" + tc.step
			_ = execute(testCtx, fake, guest.Invocation{Command: "install", Action: "install", Input: []byte(input)})
			require.Len(t, fake.calls, 1)
			require.Equal(t, tc.want, fake.calls[0].Discard)
		})
	}
}
