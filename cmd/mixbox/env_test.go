package main

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestRun_refusedEnv: an exec step's env that loads code into the command
// (ld.so's LD_AUDIT, iconv's GCONV_PATH, shell and interpreter start-up
// hooks) is refused for the wasm exec mixin, in any letter case, even
// though the default policy grants the keys a step names: the command never
// runs.
func TestRun_refusedEnv(t *testing.T) {
	t.Parallel()
	for _, key := range []string{
		"LD_AUDIT", "ld_preload", "Ld_Library_Path", "LD_DEBUG_OUTPUT", "GCONV_PATH", "GLIBC_TUNABLES",
		"ENV", "BASH_ENV", "bash_env", "BASH_FUNC_echo%%", "SHELLOPTS", "PS4",
		"PYTHONSTARTUP", "PYTHONPATH", "PERL5OPT", "RUBYOPT", "NODE_OPTIONS", "JAVA_TOOL_OPTIONS",
	} {
		t.Run(key, func(t *testing.T) {
			t.Parallel()
			manifest := fmt.Sprintf("schemaVersion: 1.0.1\nname: b\nversion: 0.1.0\nregistry: x\nmixins: [exec]\n"+
				"install:\n  - exec:\n      description: hook\n      command: bash\n      flags:\n        c: '\"echo the command ran\"'\n"+
				"      envs:\n        %q: /cnab/app/hook\n", key)
			root := newRoot(t, manifest, nil)
			code, stdout, stderr := runCLI(t, nil, "run", "--cnab-root", root, "--action", "install")
			require.Equal(t, 1, code, stdout+stderr)
			require.Contains(t, stdout+stderr, "env "+key+" is always refused")
			require.NotContains(t, stdout, "the command ran")
			require.NotContains(t, stdout+stderr, "ld.so", "the loader never saw it")
		})
	}
}
