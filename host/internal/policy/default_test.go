package policy

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mixbox/mixbox/wasmabi"
)

func TestDefault(t *testing.T) {
	t.Parallel()
	steps := []ExecStep{
		{Command: "bash", EnvKeys: []string{"SECRET", "B"}, PathOutputs: []string{"config.txt", "/tmp/out.json"}},
		{Command: "./helpers.sh", Dir: "sub", PathOutputs: []string{"../x", "../../../etc/y"}},
		{Command: "bash", EnvKeys: []string{"B"}, Dir: "/home/nonroot/work"},
		{Command: "/cnab/app/run.sh", Dir: "/home/nonroot/work", PathOutputs: []string{"result"}},
		{Command: ""},
	}
	got := Default(steps, nil)
	require.True(t, got.Default)
	require.Equal(t, NativeAllow, got.Native)
	require.Equal(t, Builtin(), got.Defaults)
	want := Mixin{
		Exec:       []ExecGrant{{Command: "bash"}, {Command: "./bash"}, {Command: "./helpers.sh"}, {Command: "/cnab/app/run.sh"}},
		Env:        []string{"SECRET", "B"},
		Mount:      true,
		InheritEnv: true,
		Mounts:     []string{"/tmp/out.json", "/etc/y", "/home/nonroot/work/result"},
		Dirs:       []string{"/home/nonroot/work"},
		Limits:     Builtin(),
	}
	require.Equal(t, map[string]Mixin{ExecMixin: want}, got.Mixins)
	require.Equal(t, want, got.For(ExecMixin))

	// The exec mixin runs what the steps name and nothing else.
	m := got.For(ExecMixin)
	require.NoError(t, m.Check(ExecMixin, Resolve(wasmabi.ExecRequest{Command: "bash", Args: []string{"-c", "x"}, Env: map[string]string{"SECRET": "s"}})))
	require.NoError(t, m.Check(ExecMixin, Resolve(wasmabi.ExecRequest{Command: "./bash", Dir: "sub"})))
	require.NoError(t, m.Check(ExecMixin, Resolve(wasmabi.ExecRequest{Command: "bash", Dir: "/home/nonroot/work/x"})))
	require.ErrorIs(t, m.Check(ExecMixin, Resolve(wasmabi.ExecRequest{Command: "curl"})), wasmabi.EDenied)
	require.ErrorIs(t, m.Check(ExecMixin, Resolve(wasmabi.ExecRequest{Command: "bash", Env: map[string]string{"OTHER": "s"}})), wasmabi.EDenied)
}

func TestDefault_noSteps(t *testing.T) {
	t.Parallel()
	got := Default(nil, nil)
	require.Empty(t, got.Mixins)
	require.Equal(t, Mixin{Mount: true, Limits: Builtin()}, got.For(ExecMixin))
}

func TestPolicy_For(t *testing.T) {
	t.Parallel()
	p, err := Parse([]byte("defaults: {execCalls: 3}\nmixins:\n  a: {exec: [x], outputs: 2}\n"))
	require.NoError(t, err)
	l := Builtin()
	l.ExecCalls, l.Outputs = 3, 2
	require.Equal(t, Mixin{Exec: []ExecGrant{{Command: "x"}}, Mount: true, Limits: l}, p.For("a"))
	l.Outputs = 256
	require.Equal(t, Mixin{Mount: true, Limits: l}, p.For("unlisted"), "an unlisted mixin gets nothing but the mount")

	var zero *Policy
	require.Equal(t, Mixin{Mount: true, Limits: Builtin()}, zero.For("a"))
	require.Equal(t, Mixin{Mount: true, Limits: Builtin()}, (&Policy{}).For("a"))
	require.True(t, zero.Natives())
	require.False(t, (&Policy{Native: NativeDeny}).Natives())

	// For returns a copy: changing it leaves the policy alone.
	got := p.For("a")
	got.Exec[0].Command = "changed"
	require.Equal(t, "x", p.For("a").Exec[0].Command)
}

func TestPolicy_ForModule(t *testing.T) {
	t.Parallel()
	caps := wasmabi.Capabilities{Exec: []string{"helm", "kubectl"}, Env: []string{"KUBECONFIG"}}
	def := Default([]ExecStep{{Command: "bash"}}, map[string]string{"TOK": "credential tok"})
	require.Equal(t, Mixin{
		Exec:  []ExecGrant{{Command: "helm"}, {Command: "kubectl"}},
		Env:   []string{"KUBECONFIG"},
		Mount: true, Limits: Builtin(),
	}, def.ForModule("helm3", caps), "the default policy grants what a mixin declares, where it is specific")
	require.Equal(t, def.For(ExecMixin), def.ForModule(ExecMixin, wasmabi.Capabilities{Exec: []string{"*"}}),
		"the exec mixin gets what the steps name, not what it declares")
	require.Equal(t, Mixin{Exec: []ExecGrant{{Command: "sh"}}, Env: []string{"HOME_DIR"}, Mount: true, Limits: Builtin()},
		def.ForModule("greedy", wasmabi.Capabilities{Exec: []string{"*", "sh"}, Env: []string{"TOK", "tok", "HOME_DIR"}}),
		"a mixin does not grant itself any command nor a secret's env")

	file, err := Parse([]byte("mixins: {helm3: {exec: [helm]}}\n"))
	require.NoError(t, err)
	require.Equal(t, file.For("other"), file.ForModule("other", caps), "a policy file ignores declarations")
}

func TestDeclared(t *testing.T) {
	t.Parallel()
	secrets := map[string]string{"TOK": "credential tok", "DB_PASSWORD": "sensitive parameter db-password"}
	tests := []struct {
		name        string
		caps        wasmabi.Capabilities
		wantExec    []string
		wantEnv     []string
		wantRefused []string
	}{
		{"specific", wasmabi.Capabilities{Exec: []string{"helm"}, Env: []string{"KUBECONFIG"}}, []string{"helm"}, []string{"KUBECONFIG"}, nil},
		{"any command", wasmabi.Capabilities{Exec: []string{"*"}}, nil, nil, []string{`exec "*" (any command)`}},
		{"a credential's env", wasmabi.Capabilities{Exec: []string{"sh"}, Env: []string{"TOK"}}, []string{"sh"}, nil,
			[]string{"env TOK (the env of credential tok, a secret of this run)"}},
		{"case does not hide a secret", wasmabi.Capabilities{Env: []string{"db_password"}}, nil, nil,
			[]string{"env db_password (the env of sensitive parameter db-password, a secret of this run)"}},
		{"repeats and empty names", wasmabi.Capabilities{Exec: []string{"", "helm", "helm"}, Env: []string{"", "A", "A"}}, []string{"helm"}, []string{"A"}, nil},
		{"nothing", wasmabi.Capabilities{}, nil, nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m, refused := Declared(tc.caps, secrets)
			var cmds, why []string
			for _, g := range m.Exec {
				cmds = append(cmds, g.Command)
			}
			for _, r := range refused {
				why = append(why, r.String())
			}
			require.Equal(t, tc.wantExec, cmds)
			require.Equal(t, tc.wantEnv, m.Env)
			require.Equal(t, tc.wantRefused, why)
			require.True(t, m.Mount)
			require.False(t, m.InheritEnv, "a declaration never grants inheritEnv")
			require.Empty(t, m.Mounts)
			require.Empty(t, m.Dirs)
		})
	}
}

func TestPolicy_Declaration(t *testing.T) {
	t.Parallel()
	caps := wasmabi.Capabilities{Exec: []string{"*"}, Env: []string{"TOK"}}
	def := Default(nil, map[string]string{"TOK": "credential tok"})
	granted, refused := def.Declaration("probe", caps)
	require.Empty(t, granted.Exec)
	require.Len(t, refused, 2)

	_, refused = def.Declaration(ExecMixin, caps)
	require.Empty(t, refused, "the exec mixin's grants come from the manifest")
	file, err := Parse([]byte("mixins: {probe: {exec: ['*']}}\n"))
	require.NoError(t, err)
	_, refused = file.Declaration("probe", caps)
	require.Empty(t, refused, "under an operator's policy the policy decides alone")
}

func TestMarshalMixin(t *testing.T) {
	t.Parallel()
	m := Mixin{Exec: []ExecGrant{{Command: "echo"}, {Command: "*"}}, Env: []string{"TOK"}, Mount: true, Limits: Builtin()}
	got, err := MarshalMixin("probe", m)
	require.NoError(t, err)
	require.Equal(t, "mixins:\n  probe:\n    exec:\n      - command: echo\n      - command: '*'\n    env:\n      - TOK\n", string(got))
	p, err := Parse(got)
	require.NoError(t, err, "the lines are a policy")
	require.Equal(t, m, p.For("probe"))
}
