package exec

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestLint(t *testing.T) {
	t.Parallel()
	got, err := Lint(readTestdata(t, "lint-input.yaml"))
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
		{"install", 2, CodeEmbeddedBash, LevelWarning},
		{"install", 2, CodeBashCArgMissingQuotes, LevelError},
		{"upgrade", 1, CodeEmbeddedBash, LevelWarning},
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
		{"plaintext", nil, "exec " + Version + " (" + Commit + ") by " + Author + "\n", ""},
		{"json", []string{"-o", "json"}, "", ""},
		{"bad format", []string{"--output=yaml"}, "", "invalid format: yaml"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			err := PrintVersion(&out, tc.args)
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

func TestSchema_IsJSON(t *testing.T) {
	t.Parallel()
	var v map[string]any
	require.NoError(t, json.Unmarshal([]byte(Schema()), &v))
}
