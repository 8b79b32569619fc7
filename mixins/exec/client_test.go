package exec

import (
	"bytes"
	"encoding/json"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestLint(t *testing.T) {
	t.Parallel()
	got, err := lintSteps(readTestdata(t, "lint-input.yaml"))
	require.NoError(t, err)
	type brief struct {
		Action string
		Step   int
		Code   string
		Level  int
	}
	var gotBrief []brief
	for _, r := range got {
		gotBrief = append(gotBrief, brief{r.Location.Action, r.Location.StepNumber, r.Code, r.Level})
	}
	want := []brief{
		{"install", 2, codeEmbeddedBash, levelWarning},
		{"install", 2, codeBashCArgMissingQuotes, levelError},
		{"upgrade", 1, codeEmbeddedBash, levelWarning},
	}
	require.Equal(t, want, gotBrief)
}

func TestPrintLint_NoActions(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	require.NoError(t, PrintLint(&out, []byte("config: {}\n")))
	require.Equal(t, "[]\n", out.String())
}

func TestPrintVersion(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		args    []string
		want    string
		wantErr string
	}{
		{"plaintext", nil, "exec " + version + " (" + commit + ") by " + author + "\n", ""},
		{"json", []string{"-o", "json"}, "", ""},
		{"bad format", []string{"--output=yaml"}, "", "invalid format: yaml"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			err := printVersion(&out, tc.args)
			if tc.wantErr != "" {
				require.EqualError(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			if tc.want != "" {
				require.Equal(t, tc.want, out.String())
				return
			}
			var got map[string]string
			require.NoError(t, json.Unmarshal(out.Bytes(), &got))
			require.Equal(t, Name, got["name"])
		})
	}
}

// TestSchema_matchesSteps: the schema is JSON Schema whose properties are
// exactly the keys the exec mixin reads (the yaml tags of its step types),
// for every action, so the two cannot drift.
func TestSchema_matchesSteps(t *testing.T) {
	t.Parallel()
	var schema struct {
		Schema      string `json:"$schema"`
		Definitions map[string]struct {
			Properties map[string]json.RawMessage `json:"properties"`
			Required   []string                   `json:"required"`
			Additional *bool                      `json:"additionalProperties"`
			Items      struct {
				Properties map[string]json.RawMessage `json:"properties"`
				Required   []string                   `json:"required"`
			} `json:"items"`
		} `json:"definitions"`
		Properties map[string]struct {
			Items struct {
				Ref string `json:"$ref"`
			} `json:"items"`
		} `json:"properties"`
	}
	require.NoError(t, json.Unmarshal([]byte(Schema()), &schema))
	require.Equal(t, "http://json-schema.org/draft-07/schema#", schema.Schema)

	keys := func(v any) []string {
		var out []string
		rt := reflect.TypeOf(v)
		for i := range rt.NumField() {
			name, _, _ := strings.Cut(rt.Field(i).Tag.Get("yaml"), ",")
			if name != "" && name != "-" {
				out = append(out, name)
			}
		}
		slices.Sort(out)
		return out
	}
	props := func(m map[string]json.RawMessage) []string { return slices.Sorted(maps.Keys(m)) }

	exec := schema.Definitions["exec"]
	require.Equal(t, keys(Instruction{}), props(exec.Properties), "the exec step's keys")
	require.Equal(t, []string{"command"}, exec.Required)
	require.NotNil(t, exec.Additional)
	require.False(t, *exec.Additional, "unknown keys are refused")
	outputs := schema.Definitions["outputs"]
	require.Equal(t, keys(Output{}), props(outputs.Items.Properties), "an output's keys")
	require.Equal(t, []string{"name"}, outputs.Items.Required)

	var ignore struct {
		Properties map[string]json.RawMessage `json:"properties"`
	}
	require.NoError(t, json.Unmarshal(exec.Properties["ignoreError"], &ignore))
	require.Equal(t, keys(IgnoreError{}), props(ignore.Properties), "ignoreError's keys")

	for _, action := range []string{"install", "upgrade", "uninstall"} {
		require.Equal(t, "#/definitions/"+action+"Step", schema.Properties[action].Items.Ref, action)
		step := schema.Definitions[action+"Step"]
		require.Equal(t, []string{"exec"}, props(step.Properties), action)
	}
	require.Contains(t, schema.Definitions, "invokeStep", "custom actions")
}
