package hostexec

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mixbox/mixbox/host/internal/policy"
	"github.com/mixbox/mixbox/wasmabi"
)

// FuzzLocal_Exec_env: whatever env a request carries, and even though the
// policy lists every one of its keys, a key that RefusedEnv names (in any
// letter case) or that is no variable name is E_DENIED before anything is
// looked up; any other request gets as far as the look-up.
func FuzzLocal_Exec_env(f *testing.F) {
	for _, k := range []string{"LD_AUDIT", "ld_preload", "Gconv_Path", "BASH_FUNC_ls%%", "ENV", "env", "NODE_OPTIONS",
		"KUBECONFIG", "HELM_DEBUG", "MY_LD_PRELOAD", "LD", "A=B", "", "PATHX", "PATH"} {
		f.Add(k, "v")
	}
	f.Fuzz(func(t *testing.T, key, value string) {
		req := wasmabi.ExecRequest{Command: "prog", Env: map[string]string{key: value}}
		l := New(Options{
			Policy:   policy.Mixin{Exec: []policy.ExecGrant{{Command: "*"}}, Env: []string{key}},
			LookPath: func(string) (string, error) { return "", errors.New("not looked up in a fuzz run") },
		})
		_, err := l.Exec(testCtx, Call{Mixin: "m", Request: req})
		if refusedKey(key) {
			require.ErrorIs(t, err, wasmabi.EDenied, "key %q", key)
			return
		}
		require.ErrorIs(t, err, wasmabi.ENotFound, "key %q", key)
	})
}

// refusedKey is the rule of abi-v1.md §3, written apart from the policy's.
func refusedKey(k string) bool {
	if k == "" || strings.ContainsAny(k, "=\x00") {
		return true
	}
	for _, r := range policy.RefusedEnv() {
		if p, ok := strings.CutSuffix(r, "*"); ok {
			if len(k) >= len(p) && strings.EqualFold(k[:len(p)], p) {
				return true
			}
		} else if strings.EqualFold(k, r) {
			return true
		}
	}
	return false
}
