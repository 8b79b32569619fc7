package exec

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

// hostInput writes a rendered step as mixbox's host writes a step's stdin
// (host/internal/tmpl.MarshalStdin): yaml.v3, 2-space indent.
func hostInput(tb testing.TB, action string, step map[string]any) []byte {
	tb.Helper()
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	require.NoError(tb, enc.Encode(map[string]any{action: []any{step}}))
	require.NoError(tb, enc.Close())
	return buf.Bytes()
}

// plainStrings are values a step's strings take, the awkward ones included.
var plainStrings = []string{
	"true", "echo", "./helper.sh", "--force", "-v", "/cnab/app", "$.a.b", "a b c", "x: y", "a #b", "a#b",
	"123", "01", "1.5", "0x1F", "True", "yes", "no", "on", "null", "~", ".inf", "-.inf", ".5", "2001-12-14",
	"", " lead", "trail ", "multi\nline", "multi\nline\n", "two\n\nbreaks\n\n", " indented\nfirst", "tab\there",
	"quote'single", "quote\"double", "back\\slash", "ünïcödé", "emoji 🎉", "\u0085nel", "ctl\x01", "#comment",
	"[a, b]", "{k: v}", "&anchor", "*alias", "!tag", "%pct", "@at", "`tick", "|pipe", ">fold", "- dash", "? q",
	"<<", "=", "a: ", "end:", "{{ bundle.parameters.name }}", "https://example.com/x?y=1&z=2",
	"a very long string that goes past the eighty columns yaml.v3 folds plain scalars at, so it wraps onto more lines",
}

// randomStep builds a rendered exec step from the fields Instruction reads,
// with values of every kind the host's generic values hold.
func randomStep(r *rand.Rand) map[string]any {
	str := func() any {
		switch r.IntN(10) {
		case 0:
			return r.IntN(300) - 100
		case 1:
			return r.IntN(2) == 0
		}
		return plainStrings[r.IntN(len(plainStrings))]
	}
	strs := func() []any {
		out := make([]any, r.IntN(4))
		for i := range out {
			out[i] = plainStrings[r.IntN(len(plainStrings))]
		}
		return out
	}
	body := map[string]any{"command": str(), "description": str()}
	if r.IntN(2) == 0 {
		body["arguments"] = strs()
	}
	if r.IntN(3) == 0 {
		body["suffix-arguments"] = strs()
	}
	if r.IntN(3) == 0 {
		body["dir"] = str()
	}
	if r.IntN(2) == 0 {
		f := map[string]any{}
		for range r.IntN(4) {
			if r.IntN(2) == 0 {
				f[fmt.Sprint(plainStrings[r.IntN(len(plainStrings))])] = strs()
			} else {
				f[fmt.Sprint(plainStrings[r.IntN(len(plainStrings))])] = str()
			}
		}
		body["flags"] = f
	}
	if r.IntN(3) == 0 {
		e := map[string]any{}
		for range r.IntN(4) {
			e[plainStrings[r.IntN(len(plainStrings))]] = str()
		}
		body["envs"] = e
	}
	if r.IntN(3) == 0 {
		var outs []any
		for range r.IntN(3) {
			o := map[string]any{"name": str()}
			for _, k := range []string{"path", "jsonPath", "regex"} {
				if r.IntN(2) == 0 {
					o[k] = str()
				}
			}
			outs = append(outs, o)
		}
		body["outputs"] = outs
	}
	if r.IntN(3) == 0 {
		body["suppress-output"] = r.IntN(2) == 0
	}
	if r.IntN(3) == 0 {
		codes := []any{}
		for range r.IntN(3) {
			codes = append(codes, r.IntN(5))
		}
		body["ignoreError"] = map[string]any{"all": r.IntN(2) == 0, "exitCodes": codes,
			"output": map[string]any{"contains": strs(), "regex": strs()}}
	}
	if r.IntN(4) == 0 {
		body["unknown-key"] = map[string]any{"nested": strs()}
	}
	return map[string]any{"exec": body}
}

// TestLoadActionsPlain: on the host's own writing of thousands of steps,
// the plain reader gives what yaml.v3 gives whenever it answers, and it
// answers for the plain ones.
func TestLoadActionsPlain(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(8, 30))
	read := 0
	const n = 3000
	for range n {
		in := hostInput(t, "install", randomStep(r))
		got, ok := loadActionsPlain(in)
		if !ok {
			continue
		}
		read++
		want, err := loadActionsYAML(in)
		require.NoError(t, err, "%s", in)
		require.Equal(t, canonical(want), canonical(got), "%s", in)
	}
	t.Logf("the plain reader read %d of %d steps", read, n)
	assert.Greater(t, read, n/10, "the plain reader reads a good part of the host's steps")
	for _, c := range []struct {
		step  map[string]any
		plain bool
	}{
		{map[string]any{"exec": map[string]any{"description": "step 1", "command": "true"}}, true},
		{map[string]any{"exec": map[string]any{"description": "Say Hello", "command": "./helpers.sh", "arguments": []any{"install", "--name", "mixbox"},
			"flags": map[string]any{"output": "json"}, "envs": map[string]any{"PORT": 8080, "NAME": "x"}}}, true},
		{map[string]any{"exec": map[string]any{"description": "script", "command": "bash", "flags": map[string]any{"c": "set -e\necho hi\n"},
			"outputs": []any{map[string]any{"name": "greeting", "regex": "Hello (.*)"}}, "suppress-output": true}}, true},
		{map[string]any{"exec": map[string]any{"command": "helm", "flags": map[string]any{"wait": nil}}}, false}, // a null: yaml.v3's
	} {
		in := hostInput(t, "install", c.step)
		got, ok := loadActionsPlain(in)
		require.Equal(t, c.plain, ok, "read without yaml.v3: %s", in)
		want, err := loadActionsYAML(in)
		require.NoError(t, err)
		if ok {
			assert.Equal(t, canonical(want), canonical(got), "%s", in)
		}
	}
	for _, in := range []string{
		"install:\n- exec:\n    command: echo\n    arguments: [a, b]\n", // flow: yaml.v3's
		"install:\n  - exec:\n      command: echo # a comment\n",
		"install:\n  - exec:\n      command: &c echo\n",
		"install:\n  - exec:\n      command: echo\n      command: again\n",
		"install:\n  - exec:\n      command: ~\n",
		"install:\n  - exec:\n      command: !!str 1\n",
		"install:\n  - exec:\n      command: a\n        b\n",
		"install:\n  - exec:\n      command: \"a\n        b\"\n",
		"install:\n  - exec:\n      command: |+\n        a\n\n",
		"install:\n  - exec:\n      command: echo\n\n",
		"install:\r\n  - exec:\r\n      command: echo\r\n",
		"install:\n  - exec:\n      command: echo",
	} {
		_, ok := loadActionsPlain([]byte(in))
		assert.False(t, ok, "left to yaml.v3: %q", in)
	}
}

func FuzzLoadActionsPlain(f *testing.F) {
	for _, in := range stepInputs(f) {
		f.Add(in)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		f.Add(hostInput(f, "install", randomStep(r)))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		got, ok := loadActionsPlain(in)
		if !ok {
			return
		}
		want, err := loadActionsYAML(in)
		require.NoError(t, err, "yaml.v3 fails where the plain reader did not: %q", in)
		require.Equal(t, canonical(want), canonical(got), "%q", in)
	})
}
