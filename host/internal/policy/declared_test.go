package policy

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mixbox/mixbox/host/internal/manifest"
	"github.com/mixbox/mixbox/wasmabi"
)

func TestSecretEnv(t *testing.T) {
	t.Parallel()
	m, err := manifest.Parse([]byte(`schemaVersion: 1.0.1
name: b
version: 0.1.0
registry: localhost:5000
mixins: [exec]
credentials:
  - {name: token, env: TOKEN}
  - {name: kubeconfig, path: /home/nonroot/.kube/config}
  - {name: again, env: TOKEN}
parameters:
  - {name: db-password, sensitive: true}
  - {name: custom, sensitive: true, env: MY_SECRET}
  - {name: file-secret, sensitive: true, type: file, path: /tmp/s}
  - {name: plain}
install: []
`))
	require.NoError(t, err)
	require.Equal(t, []string{"DB_PASSWORD", "MY_SECRET", "TOKEN"}, SecretEnv(m))
}

func TestWithheldByDefault(t *testing.T) {
	t.Parallel()
	secrets := []string{"TOKEN"}
	tests := []struct {
		name  string
		mixin string
		caps  wasmabi.Capabilities
		want  []string
	}{
		{"named commands and plain env", "helm3", wasmabi.Capabilities{Exec: []string{"helm"}, Env: []string{"KUBECONFIG"}}, nil},
		{"any command", "helm3", wasmabi.Capabilities{Exec: []string{"helm", "*"}}, []string{`exec "*"`}},
		{"a secret's env", "helm3", wasmabi.Capabilities{Exec: []string{"helm"}, Env: []string{"KUBECONFIG", "TOKEN"}}, []string{"env TOKEN"}},
		{"both", "x", wasmabi.Capabilities{Exec: []string{"*"}, Env: []string{"TOKEN"}}, []string{`exec "*"`, "env TOKEN"}},
		{"the exec mixin is granted by the manifest", ExecMixin, wasmabi.Capabilities{Exec: []string{"*"}}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var got []string
			for _, w := range WithheldByDefault(tc.mixin, tc.caps, secrets) {
				got = append(got, w.What)
				require.NotEmpty(t, w.Why)
				_, err := Parse([]byte("apiVersion: mixbox/v1\n" + w.Grant + "\n"))
				require.NoError(t, err, "the grant %q must be a valid policy block", w.Grant)
			}
			require.Equal(t, tc.want, got)
		})
	}
}
