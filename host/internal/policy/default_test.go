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
	got := Default(steps)
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
	got := Default(nil)
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
	def := Default([]ExecStep{{Command: "bash"}})
	require.Equal(t, Mixin{
		Exec:  []ExecGrant{{Command: "helm"}, {Command: "kubectl"}},
		Env:   []string{"KUBECONFIG"},
		Mount: true, Limits: Builtin(),
	}, def.ForModule("helm3", caps), "the default policy grants what a mixin declares")
	require.Equal(t, def.For(ExecMixin), def.ForModule(ExecMixin, wasmabi.Capabilities{Exec: []string{"*"}}),
		"the exec mixin gets what the steps name, not what it declares")

	file, err := Parse([]byte("mixins: {helm3: {exec: [helm]}}\n"))
	require.NoError(t, err)
	require.Equal(t, file.For("other"), file.ForModule("other", caps), "a policy file ignores declarations")
}
