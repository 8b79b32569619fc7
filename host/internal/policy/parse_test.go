package policy

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

const specExample = `apiVersion: mixbox/v1
native: allow            # allow | deny
defaults:
  memory: 256Mi
  stepTimeout: 30m
  execTimeout: 15m
  execCalls: 1000
  captureBytes: 64Mi
  logBytes: 64Mi
  outputBytes: 16Mi
  outputs: 256
mixins:
  helm3:
    exec:
      - command: helm
        path: /usr/local/bin/helm
        args: ['upgrade|uninstall|status|version']
    env: [KUBECONFIG, HELM_CACHE_HOME]
    mount: true
    inheritEnv: false
    mounts: [/home/nonroot/.kube/config]
    dirs: [/home/nonroot]
    memory: 128Mi
  exec:
    exec: [{command: bash}, {command: ./helpers.sh}]
`

func TestParse(t *testing.T) {
	t.Parallel()
	def := Builtin()
	helmLimits := def
	helmLimits.Memory = 128 << 20
	tests := []struct {
		name string
		in   string
		want *Policy
	}{
		{
			name: "the spec's example",
			in:   specExample,
			want: &Policy{Native: NativeAllow, Defaults: def, Mixins: map[string]Mixin{
				"helm3": {
					Exec:   []ExecGrant{{Command: "helm", Path: "/usr/local/bin/helm", Args: []string{"upgrade|uninstall|status|version"}}},
					Env:    []string{"KUBECONFIG", "HELM_CACHE_HOME"},
					Mount:  true,
					Mounts: []string{"/home/nonroot/.kube/config"},
					Dirs:   []string{"/home/nonroot"},
					Limits: helmLimits,
				},
				"exec": {Exec: []ExecGrant{{Command: "bash"}, {Command: "./helpers.sh"}}, Mount: true, Limits: def},
			}},
		},
		{
			name: "an empty file is the built-in defaults",
			in:   "",
			want: &Policy{Native: NativeAllow, Defaults: def, Mixins: map[string]Mixin{}},
		},
		{
			name: "partial defaults reach every mixin",
			in:   "apiVersion: mixbox/v1\nnative: deny\ndefaults:\n  execCalls: 2\n  stepTimeout: 1s\nmixins:\n  probe: {}\n  other:\n  m3: {mount: false, execCalls: 5, captureBytes: 1024}\n",
			want: func() *Policy {
				d := def
				d.ExecCalls, d.StepTimeout = 2, time.Second
				m3 := d
				m3.ExecCalls, m3.CaptureBytes = 5, 1024
				return &Policy{Native: NativeDeny, Defaults: d, Mixins: map[string]Mixin{
					"probe": {Mount: true, Limits: d},
					"other": {Mount: true, Limits: d},
					"m3":    {Limits: m3},
				}}
			}(),
		},
		{
			name: "a scalar exec entry is a command, sizes in Ki and Gi, paths cleaned",
			in:   "mixins:\n  a:\n    exec: [echo, {path: /usr/bin/../bin/env}]\n    logBytes: 2Gi\n    outputBytes: 4Ki\n    dirs: [/tmp/x/]\n",
			want: func() *Policy {
				l := def
				l.LogBytes, l.OutputBytes = 2<<30, 4<<10
				return &Policy{Native: NativeAllow, Defaults: def, Mixins: map[string]Mixin{
					"a": {Exec: []ExecGrant{{Command: "echo"}, {Path: "/usr/bin/env"}}, Mount: true, Dirs: []string{"/tmp/x"}, Limits: l},
				}}
			}(),
		},
		{
			name: "an always-refused env key may be listed",
			in:   "apiVersion: mixbox/v1\nmixins:\n  probe:\n    exec: [{command: echo}]\n    env: [LD_PRELOAD]\n",
			want: &Policy{Native: NativeAllow, Defaults: def, Mixins: map[string]Mixin{
				"probe": {Exec: []ExecGrant{{Command: "echo"}}, Env: []string{"LD_PRELOAD"}, Mount: true, Limits: def},
			}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := Parse([]byte(tc.in))
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestParse_errors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		wantMsg string // the line and the key, in the message
	}{
		{"not yaml", "mixins: [\n", "line"},
		{"not a mapping", "- a\n", "line 1"},
		{"wrong apiVersion", "apiVersion: mixbox/v2\n", "line 1: apiVersion"},
		{"unknown top-level key", "apiVersion: mixbox/v1\nnative: allow\nmixin: {}\n", "line 3: mixin: unknown key"},
		{"unknown default", "defaults:\n  memroy: 1Mi\n", "line 2: defaults.memroy: unknown key"},
		{"unknown mixin key", "mixins:\n  helm3:\n    exec: []\n    envs: [A]\n", "line 4: mixins.helm3.envs: unknown key"},
		{"unknown grant key", "mixins:\n  helm3:\n    exec:\n      - command: helm\n        argz: [x]\n", "line 5: mixins.helm3.exec[0].argz: unknown key"},
		{"bad native", "native: maybe\n", "line 1: native"},
		{"bad size", "defaults:\n  memory: lots\n", `line 2: defaults.memory: bad size "lots"`},
		{"a size with a decimal point", "defaults:\n  memory: 1.5Mi\n", "line 2: defaults.memory"},
		{"a size in MB", "defaults:\n  memory: 10MB\n", "line 2: defaults.memory"},
		{"a zero size", "defaults:\n  captureBytes: 0\n", "line 2: defaults.captureBytes"},
		{"a negative size", "mixins:\n  a:\n    memory: -1Mi\n", "line 3: mixins.a.memory"},
		{"an overflowing size", "defaults:\n  memory: 99999999999Gi\n", "line 2: defaults.memory"},
		{"bad duration", "defaults:\n  stepTimeout: 30 minutes\n", `line 2: defaults.stepTimeout: bad duration "30 minutes"`},
		{"a duration without a unit", "defaults:\n  execTimeout: 30\n", "line 2: defaults.execTimeout"},
		{"bad count", "defaults:\n  execCalls: many\n", "line 2: defaults.execCalls"},
		{"bad regex", "mixins:\n  h:\n    exec:\n      - command: helm\n        args: ['ok', '(']\n", `line 5: mixins.h.exec[0].args[1]: bad regex "("`},
		{"a grant without command or path", "mixins:\n  h:\n    exec: [{args: [x]}]\n", "line 3: mixins.h.exec[0]"},
		{"a relative grant path", "mixins:\n  h:\n    exec: [{command: helm, path: bin/helm}]\n", "line 3: mixins.h.exec[0].path"},
		{"a relative mount", "mixins:\n  h:\n    mounts:\n      - /ok\n      - rel\n", "line 5: mixins.h.mounts[1]"},
		{"a relative dir", "mixins:\n  h:\n    dirs: [rel]\n", "line 3: mixins.h.dirs[0]"},
		{"mount not a bool", "mixins:\n  h:\n    mount: yes please\n", "line 3: mixins.h.mount"},
		{"env not a list", "mixins:\n  h:\n    env: KUBECONFIG\n", "line 3: mixins.h.env"},
		{"exec not a list", "mixins:\n  h:\n    exec: {command: x}\n", "line 3: mixins.h.exec"},
		{"a duplicate key", "mixins:\n  h: {}\n  h: {}\n", "line 3: mixins.h: duplicate key"},
		{"a mixin that is a list", "mixins:\n  h: [a]\n", "line 2: mixins.h"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse([]byte(tc.in))
			require.ErrorIs(t, err, ErrInvalid)
			require.Contains(t, err.Error(), tc.wantMsg)
		})
	}
}

// TestParse_errorText pins whole messages: the top level has no key (not
// "line 1: : want ..."), and a quoted "true" is named a string, not shown
// as if it were the bool the key wants.
func TestParse_errorText(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in, want string }{
		{"the top level", "- a\n", "invalid policy: line 1: want a mapping, got a list"},
		{"a quoted bool", "mixins:\n  h:\n    mount: \"true\"\n", `invalid policy: line 3: mixins.h.mount: want true or false, got the string "true"`},
		{"a null string", "native:\n", "invalid policy: line 1: native: want a string, got nothing"},
		{"a duplicate mixin", "mixins:\n  h: {}\n  h: {}\n", "invalid policy: line 3: mixins.h: duplicate key (first at line 2); keep one"},
		{"a list item", "mixins:\n  h:\n    env: [A, {B: c}]\n", "invalid policy: line 3: mixins.h.env[1]: want a string, got a mapping"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse([]byte(tc.in))
			require.ErrorIs(t, err, ErrInvalid)
			require.EqualError(t, err, tc.want)
		})
	}
}

func TestParseMixin(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		in       string
		want     Mixin
		wantLine int
		wantMsg  string
	}{
		{
			name: "a block",
			in:   "exec: [{command: helm, args: ['upgrade|status']}, bash]\nenv: [KUBECONFIG]\nmount: false\ndirs: [/home/x/]\nmemory: 64Mi\nstepTimeout: 90s\n",
			want: Mixin{
				Exec:   []ExecGrant{{Command: "helm", Args: []string{"upgrade|status"}}, {Command: "bash"}},
				Env:    []string{"KUBECONFIG"},
				Dirs:   []string{"/home/x"},
				Limits: Limits{Memory: 64 << 20, StepTimeout: 90 * time.Second}.Or(Builtin()),
			},
		},
		{name: "an empty block mounts the bundle", in: "{}\n", want: Mixin{Mount: true, Limits: Builtin()}},
		{name: "an unknown key", in: "exec: []\nnope: 1\n", wantLine: 2, wantMsg: `policy.nope: unknown key "nope" (want one of: exec, env, mount`},
		{name: "a bad size", in: "memory: lots\n", wantLine: 1, wantMsg: `policy.memory: bad size "lots"`},
		{name: "a bad regex", in: "exec:\n  - command: x\n    args: ['(']\n", wantLine: 3, wantMsg: `policy.exec[0].args[0]: bad regex "("`},
		{name: "not a mapping", in: "[a]\n", wantLine: 1, wantMsg: "policy: want a mapping, got a list"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var doc yaml.Node
			require.NoError(t, yaml.Unmarshal([]byte(tc.in), &doc))
			got, err := ParseMixin(doc.Content[0], "policy")
			if tc.wantMsg != "" {
				require.ErrorIs(t, err, ErrInvalid)
				var ie *InvalidError
				require.ErrorAs(t, err, &ie)
				require.Equal(t, tc.wantLine, ie.Line, err.Error())
				require.Contains(t, err.Error(), tc.wantMsg)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestParseSize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in     string
		want   int64
		wantOK bool
	}{
		{"1", 1, true},
		{"64Ki", 64 << 10, true},
		{"256Mi", 256 << 20, true},
		{"2Gi", 2 << 30, true},
		{"Mi", 0, false},
		{"1K", 0, false},
		{"+1", 0, false},
		{"0Mi", 0, false},
		{"9223372036854775807", 1<<63 - 1, true},
		{"9223372036854775807Ki", 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			got, ok := ParseSize(tc.in)
			require.Equal(t, tc.wantOK, ok)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestPolicy_Marshal(t *testing.T) {
	t.Parallel()
	inputs := []string{
		specExample,
		"",
		"native: deny\ndefaults: {memory: 1Mi, stepTimeout: 90s, execTimeout: 1h30m}\nmixins:\n  a: {mount: false, exec: ['*', 'false', {path: /x}], env: ['yes'], outputs: 3}\n  b: {}\n",
	}
	for i, in := range inputs {
		p, err := Parse([]byte(in))
		require.NoError(t, err, "input %d", i)
		out, err := p.Marshal()
		require.NoError(t, err)
		got, err := Parse(out)
		require.NoError(t, err, "the printed policy does not parse:\n%s", out)
		require.Equal(t, p, got, "the printed policy parses to another policy:\n%s", out)
	}
}

func TestPolicy_Marshal_text(t *testing.T) {
	t.Parallel()
	p := Default([]ExecStep{{Command: "bash", EnvKeys: []string{"A"}}}, nil)
	out, err := p.Marshal()
	require.NoError(t, err)
	want := `apiVersion: mixbox/v1
native: allow
defaults:
  memory: 256Mi
  stepTimeout: 30m
  execTimeout: 15m
  execCalls: 1000
  captureBytes: 64Mi
  logBytes: 64Mi
  outputBytes: 16Mi
  outputs: 256
mixins:
  exec:
    exec:
      - command: bash
      - command: ./bash
    env:
      - A
    inheritEnv: true
`
	require.Equal(t, want, string(out))
	got, err := Parse(out)
	require.NoError(t, err)
	got.Default = true
	require.Equal(t, p, got)
}

func FuzzParsePolicy(f *testing.F) {
	f.Add([]byte(specExample))
	f.Add([]byte("mixins:\n  a: &x {exec: [b]}\n  b: *x\n"))
	f.Add([]byte("defaults: {memory: 1Ki}\nmixins: {a: {exec: [{command: '*', args: ['a|b', '.*']}]}}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse(data)
		if err != nil {
			require.ErrorIs(t, err, ErrInvalid)
			return
		}
		out, err := p.Marshal()
		require.NoError(t, err)
		got, err := Parse(out)
		require.NoError(t, err, "printed:\n%s", out)
		require.Equal(t, p, got, "printed:\n%s", out)
	})
}
