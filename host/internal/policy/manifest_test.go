package policy

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mixbox/mixbox/host/internal/manifest"
)

func TestSecretEnv(t *testing.T) {
	t.Parallel()
	m, err := manifest.Parse([]byte(`schemaVersion: 1.0.1
name: s
version: 0.1.0
registry: localhost:5000
mixins: [exec]
credentials:
  - {name: tok, env: TOK}
  - {name: kubeconfig, path: /home/nonroot/.kube/config}
parameters:
  - {name: db-password, type: string, sensitive: true}
  - {name: api-key, type: string, sensitive: true, env: API_KEY}
  - {name: cert, type: file, sensitive: true, path: /cnab/app/cert.pem}
  - {name: region, type: string}
install:
  - exec: {command: echo}
`))
	require.NoError(t, err)
	require.Equal(t, map[string]string{
		"TOK":         "credential tok",
		"DB_PASSWORD": "sensitive parameter db-password",
		"API_KEY":     "sensitive parameter api-key",
	}, SecretEnv(m))
}
