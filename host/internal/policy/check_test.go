package policy

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mixbox/mixbox/wasmabi"
)

func TestResolve(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   wasmabi.ExecRequest
		want Request
	}{
		{"a bare name in the default dir", wasmabi.ExecRequest{Command: "helm"}, Request{Command: "helm", Dir: "/cnab/app"}},
		{"a relative dir", wasmabi.ExecRequest{Command: "helm", Dir: "sub/../x"}, Request{Command: "helm", Dir: "/cnab/app/x"}},
		{"a dot path from the dir", wasmabi.ExecRequest{Command: "./helpers.sh", Dir: "/cnab/app/sub"}, Request{Command: "./helpers.sh", Path: "/cnab/app/sub/helpers.sh", Dir: "/cnab/app/sub"}},
		{"a parent path", wasmabi.ExecRequest{Command: "../helm"}, Request{Command: "../helm", Path: "/cnab/helm", Dir: "/cnab/app"}},
		{"an absolute path", wasmabi.ExecRequest{Command: "/cnab/app/../../tmp/helm"}, Request{Command: "/cnab/app/../../tmp/helm", Path: "/tmp/helm", Dir: "/cnab/app"}},
		{"a dir escaping with dots", wasmabi.ExecRequest{Command: "x", Dir: "../../etc"}, Request{Command: "x", Dir: "/etc"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.want, Resolve(tc.in))
		})
	}
}

func TestMixin_Check(t *testing.T) {
	t.Parallel()
	helm := Mixin{
		Exec: []ExecGrant{
			{Command: "helm", Args: []string{"upgrade|uninstall", "--install"}},
			{Command: "kubectl", Path: "/usr/bin/kubectl"},
			{Command: "./helpers.sh"},
			{Path: "/cnab/app/bin/tool"},
		},
		Env:  []string{"KUBECONFIG", "LD_PRELOAD", "PATH"},
		Dirs: []string{"/home/nonroot/", "/tmp/work"},
	}
	any := Mixin{Exec: []ExecGrant{{Command: "*"}}}
	anyArgs := Mixin{Exec: []ExecGrant{{Command: "*", Args: []string{"-c"}}}}
	tests := []struct {
		name     string
		m        Mixin
		req      wasmabi.ExecRequest
		path     string // the host path a bare name was found at; "" not looked up yet
		wantRule string // "" allowed
	}{
		{name: "a granted name with matching args", m: helm, req: wasmabi.ExecRequest{Command: "helm", Args: []string{"upgrade", "--install", "mysql"}}},
		{name: "nothing granted", m: Mixin{}, req: wasmabi.ExecRequest{Command: "curl"}, wantRule: "no exec grant names it"},
		{name: "a name not granted", m: helm, req: wasmabi.ExecRequest{Command: "curl"}, wantRule: "no exec grant names it"},
		{name: "a name grant does not allow a path outside the bundle", m: helm, req: wasmabi.ExecRequest{Command: "/tmp/helm", Args: []string{"upgrade", "--install"}}, wantRule: "/tmp/helm is outside /cnab/app"},
		{name: "a name grant does not allow ../helm", m: helm, req: wasmabi.ExecRequest{Command: "../helm", Args: []string{"upgrade", "--install"}}, wantRule: "/cnab/helm is outside /cnab/app"},
		{name: "a name grant does not allow ./helm", m: helm, req: wasmabi.ExecRequest{Command: "./helm", Args: []string{"upgrade", "--install"}}, wantRule: "no exec grant names it"},
		{name: "star does not allow a path outside the bundle", m: any, req: wasmabi.ExecRequest{Command: "/usr/bin/curl"}, wantRule: "outside /cnab/app"},
		{name: "star allows any name", m: any, req: wasmabi.ExecRequest{Command: "curl", Args: []string{"-s"}}},
		{name: "star allows a bundle file", m: any, req: wasmabi.ExecRequest{Command: "/cnab/app/x.sh"}},
		{name: "star with args regexes", m: anyArgs, req: wasmabi.ExecRequest{Command: "bash", Args: []string{"-x"}}, wantRule: "arg 1 does not match ^(?:-c)$"},
		{name: "args regex is anchored at the start", m: helm, req: wasmabi.ExecRequest{Command: "helm", Args: []string{"xupgrade", "--install"}}, wantRule: "arg 1 does not match"},
		{name: "args regex is anchored at the end", m: helm, req: wasmabi.ExecRequest{Command: "helm", Args: []string{"upgradex", "--install"}}, wantRule: "arg 1 does not match"},
		{name: "an alternation is anchored as a whole", m: helm, req: wasmabi.ExecRequest{Command: "helm", Args: []string{"upgrade;rm", "--install"}}, wantRule: "arg 1"},
		{name: "the second regex at its position", m: helm, req: wasmabi.ExecRequest{Command: "helm", Args: []string{"uninstall", "--dry-run"}}, wantRule: "arg 2 does not match"},
		{name: "fewer args than regexes", m: helm, req: wasmabi.ExecRequest{Command: "helm", Args: []string{"upgrade"}}, wantRule: "1 args, the grant constrains 2"},
		{name: "no args at all", m: helm, req: wasmabi.ExecRequest{Command: "helm"}, wantRule: "0 args"},
		{name: "a grant by dot name", m: helm, req: wasmabi.ExecRequest{Command: "./helpers.sh"}},
		{name: "a dot name grant is exact", m: helm, req: wasmabi.ExecRequest{Command: "/cnab/app/helpers.sh"}, wantRule: "no exec grant names it"},
		{name: "a path grant matches the resolved path", m: helm, req: wasmabi.ExecRequest{Command: "./tool", Dir: "/cnab/app/bin"}},
		{name: "a path grant matches an absolute path", m: helm, req: wasmabi.ExecRequest{Command: "/cnab/app/sub/../bin/tool"}},
		{name: "a path grant refuses another path", m: helm, req: wasmabi.ExecRequest{Command: "./tool"}, wantRule: "no exec grant names it"},
		{name: "a pinned name before the look-up", m: helm, req: wasmabi.ExecRequest{Command: "kubectl"}},
		{name: "a pinned name found at its pin", m: helm, req: wasmabi.ExecRequest{Command: "kubectl"}, path: "/usr/bin/kubectl"},
		{name: "a pinned name found elsewhere", m: helm, req: wasmabi.ExecRequest{Command: "kubectl"}, path: "/tmp/kubectl", wantRule: "it resolves to /tmp/kubectl, exec grant 2 pins /usr/bin/kubectl"},
		{name: "a path-only grant for a bare name found there", m: helm, req: wasmabi.ExecRequest{Command: "tool"}, path: "/cnab/app/bin/tool"},
		{name: "a path-only grant for a bare name found elsewhere", m: helm, req: wasmabi.ExecRequest{Command: "tool"}, path: "/usr/bin/tool", wantRule: "no exec grant names it"},
		{name: "a listed env key", m: helm, req: wasmabi.ExecRequest{Command: "./helpers.sh", Env: map[string]string{"KUBECONFIG": "/k"}}},
		{name: "an env key not listed", m: helm, req: wasmabi.ExecRequest{Command: "./helpers.sh", Env: map[string]string{"KUBECONFIG": "/k", "HOME": "/"}}, wantRule: "env HOME is not in the env of the policy"},
		{name: "LD_PRELOAD refused even if listed", m: helm, req: wasmabi.ExecRequest{Command: "./helpers.sh", Env: map[string]string{"LD_PRELOAD": "/x.so"}}, wantRule: "env LD_PRELOAD is always refused"},
		{name: "PATH refused even if listed", m: helm, req: wasmabi.ExecRequest{Command: "./helpers.sh", Env: map[string]string{"PATH": "/x"}}, wantRule: "env PATH is always refused"},
		{name: "LD_LIBRARY_PATH refused", m: any, req: wasmabi.ExecRequest{Command: "x", Env: map[string]string{"LD_LIBRARY_PATH": "/x"}}, wantRule: "env LD_LIBRARY_PATH is always refused"},
		{name: "BASH_ENV refused", m: any, req: wasmabi.ExecRequest{Command: "x", Env: map[string]string{"BASH_ENV": "/x"}}, wantRule: "env BASH_ENV is always refused"},
		{name: "LD_AUDIT refused", m: any, req: wasmabi.ExecRequest{Command: "x", Env: map[string]string{"LD_AUDIT": "/x.so"}}, wantRule: "env LD_AUDIT is always refused"},
		{name: "any LD_ key refused", m: any, req: wasmabi.ExecRequest{Command: "x", Env: map[string]string{"LD_DEBUG_OUTPUT": "/x"}}, wantRule: "env LD_DEBUG_OUTPUT is always refused"},
		{name: "case-insensitive", m: any, req: wasmabi.ExecRequest{Command: "x", Env: map[string]string{"ld_preload": "/x.so"}}, wantRule: "env ld_preload is always refused"},
		{name: "an exported bash function", m: any, req: wasmabi.ExecRequest{Command: "x", Env: map[string]string{"BASH_FUNC_ls%%": "() { id; }"}}, wantRule: "env BASH_FUNC_ls%% is always refused"},
		{name: "ENV refused", m: any, req: wasmabi.ExecRequest{Command: "x", Env: map[string]string{"ENV": "/x"}}, wantRule: "env ENV is always refused"},
		{name: "GCONV_PATH refused", m: any, req: wasmabi.ExecRequest{Command: "x", Env: map[string]string{"GCONV_PATH": "/x"}}, wantRule: "env GCONV_PATH is always refused"},
		{name: "an interpreter hook", m: any, req: wasmabi.ExecRequest{Command: "x", Env: map[string]string{"NODE_OPTIONS": "--require /x.js"}}, wantRule: "env NODE_OPTIONS is always refused"},
		{name: "a key with =", m: any, req: wasmabi.ExecRequest{Command: "x", Env: map[string]string{"A=B": "c"}}, wantRule: `env "A=B" is not a variable name`},
		{name: "an empty key", m: any, req: wasmabi.ExecRequest{Command: "x", Env: map[string]string{"": "c"}}, wantRule: `env "" is not a variable name`},
		{name: "a key with NUL", m: any, req: wasmabi.ExecRequest{Command: "x", Env: map[string]string{"A\x00": "c"}}, wantRule: `env "A\x00" is not a variable name`},
		{name: "a look-alike is fine", m: Mixin{Exec: any.Exec, Env: []string{"MY_LD_PRELOAD"}}, req: wasmabi.ExecRequest{Command: "x", Env: map[string]string{"MY_LD_PRELOAD": "x"}}},
		{name: "a dir under the bundle", m: helm, req: wasmabi.ExecRequest{Command: "./helpers.sh", Dir: "/cnab/app/sub"}},
		{name: "a relative dir under the bundle", m: helm, req: wasmabi.ExecRequest{Command: "curl", Dir: "sub"}, wantRule: "no exec grant names it"},
		{name: "a dir outside the bundle", m: helm, req: wasmabi.ExecRequest{Command: "kubectl", Dir: "/etc"}, wantRule: "dir /etc is outside /cnab/app and the dirs of the policy"},
		{name: "a dir escaping with dots", m: any, req: wasmabi.ExecRequest{Command: "ls", Dir: "/cnab/app/../../etc"}, wantRule: "dir /etc is outside"},
		{name: "a relative dir escaping with dots", m: any, req: wasmabi.ExecRequest{Command: "ls", Dir: "../.."}, wantRule: "dir / is outside"},
		{name: "a granted dir", m: helm, req: wasmabi.ExecRequest{Command: "kubectl", Dir: "/home/nonroot"}},
		{name: "under a granted dir", m: helm, req: wasmabi.ExecRequest{Command: "kubectl", Dir: "/home/nonroot/.kube"}},
		{name: "a granted dir's sibling with the same prefix", m: helm, req: wasmabi.ExecRequest{Command: "kubectl", Dir: "/home/nonrootx"}, wantRule: "dir /home/nonrootx is outside"},
		{name: "a granted dir escaping with dots", m: helm, req: wasmabi.ExecRequest{Command: "kubectl", Dir: "/tmp/work/../../etc"}, wantRule: "dir /etc is outside"},
		{name: "a dot command from a granted dir outside the bundle", m: any, req: wasmabi.ExecRequest{Command: "./x", Dir: "/cnab/app/../tmp"}, wantRule: "outside /cnab/app"},
		{name: "the bundle prefix is not enough", m: any, req: wasmabi.ExecRequest{Command: "/cnab/application/x"}, wantRule: "/cnab/application/x is outside /cnab/app"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := Resolve(tc.req)
			if tc.path != "" {
				r.Path = tc.path
			}
			err := tc.m.Check("helm3", r)
			if tc.wantRule == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, wasmabi.EDenied)
			var de *DeniedError
			require.True(t, errors.As(err, &de))
			require.Equal(t, "helm3", de.Mixin)
			require.Equal(t, tc.req.Command, de.Command)
			require.Contains(t, de.Rule, tc.wantRule)
		})
	}
}

func TestDeniedError_Error(t *testing.T) {
	t.Parallel()
	err := Mixin{}.Check("exec", Resolve(wasmabi.ExecRequest{Command: "curl"}))
	require.EqualError(t, err, `exec "curl" denied for mixin exec: no exec grant names it`)
}
