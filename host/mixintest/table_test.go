package mixintest

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mixbox/mixbox/wasmabi"
)

func TestTable_check(t *testing.T) {
	t.Parallel()
	pol := Policy{
		Exec: []Grant{{Command: "helm", Args: []string{"upgrade|status"}}, {Command: "./helpers.sh"}, {Path: "/cnab/app/helpers.sh"}},
		Env:  []string{"KUBECONFIG", "PATH"},
		Dirs: []string{"/home/nonroot"},
	}
	tests := []struct {
		name    string
		pol     Policy
		req     wasmabi.ExecRequest
		wantErr string // substring of the reason, "" when allowed
	}{
		{"a granted command and args", pol, wasmabi.ExecRequest{Command: "helm", Args: []string{"status", "x"}}, ""},
		{"args past the regexes are free", pol, wasmabi.ExecRequest{Command: "helm", Args: []string{"upgrade", "--install"}}, ""},
		{"an arg that does not match", pol, wasmabi.ExecRequest{Command: "helm", Args: []string{"uninstall"}}, `arg 1 does not match ^(?:upgrade|status)$`},
		{"fewer args than regexes", pol, wasmabi.ExecRequest{Command: "helm"}, "0 args, the grant constrains 1"},
		{"regexes are anchored", pol, wasmabi.ExecRequest{Command: "helm", Args: []string{"upgrade2"}}, "does not match"},
		{"a command not granted", pol, wasmabi.ExecRequest{Command: "kubectl"}, `exec "kubectl" denied for mixin m: no exec grant names it`},
		{"a name grant is not a path", pol, wasmabi.ExecRequest{Command: "/tmp/helm", Args: []string{"status"}}, "outside /cnab/app"},
		{"a path grant matches the resolved path", pol, wasmabi.ExecRequest{Command: "/cnab/app/helpers.sh"}, ""},
		{"a relative path resolves from dir", pol, wasmabi.ExecRequest{Command: "../helpers.sh", Dir: "/cnab/app/sub"}, ""},
		{"a path leaving the bundle", pol, wasmabi.ExecRequest{Command: "../../helm"}, "outside /cnab/app"},
		{"a dir of the policy", pol, wasmabi.ExecRequest{Command: "helm", Args: []string{"status"}, Dir: "/home/nonroot/x"}, ""},
		{"a dir outside", pol, wasmabi.ExecRequest{Command: "helm", Args: []string{"status"}, Dir: "/etc"}, "dir /etc is outside"},
		{"a listed env key", pol, wasmabi.ExecRequest{Command: "helm", Args: []string{"status"}, Env: map[string]string{"KUBECONFIG": "k"}}, ""},
		{"an env key not listed", pol, wasmabi.ExecRequest{Command: "helm", Args: []string{"status"}, Env: map[string]string{"HOME": "h"}}, "env HOME is not in the env"},
		{"a refused env key even if listed", pol, wasmabi.ExecRequest{Command: "helm", Args: []string{"status"}, Env: map[string]string{"PATH": "p"}}, "env PATH is always refused"},
		{"any command", Policy{Exec: []Grant{{Command: "*"}}}, wasmabi.ExecRequest{Command: "anything"}, ""},
		{"the zero policy grants nothing", Policy{}, wasmabi.ExecRequest{Command: "helm"}, "no exec grant"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := (&table{mixin: "m", policy: tc.pol.mixin()}).check(tc.req)
			if tc.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, wasmabi.EDenied)
			require.Contains(t, err.Error(), tc.wantErr)
		})
	}
}
