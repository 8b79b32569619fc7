package mixintest

import (
	"testing"

	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

// TestUpdateNode_alias checks that --update rewrites an exec entry given by
// an alias at the alias, and leaves the anchored entry of the other case.
func TestUpdateNode_alias(t *testing.T) {
	t.Parallel()
	s, err := ParseCases("cases.yaml", []byte(`cases:
  - name: first
    action: install
    exec:
      - &helm {command: helm, args: [version]}
  - name: second
    action: install
    exec: [*helm]
`))
	require.NoError(t, err)
	require.Equal(t, s.Cases[0].Exec[0].Args, s.Cases[1].Exec[0].Args, "an alias reads as the entry it names")
	c := &s.Cases[1]
	res := Result{Calls: []Call{{Command: "helm", Args: []string{"list"}}}, Outputs: map[string]string{}}
	execs := []Exec{{Command: "helm", Args: []string{"list"}}}
	updateNode(c.node, c.Exec, []int{0}, execs, res)
	out, err := yaml.Marshal(s.doc)
	require.NoError(t, err)
	back, err := ParseCases("cases.yaml", out)
	require.NoError(t, err, "written:\n%s", out)
	require.Equal(t, []string{"version"}, back.Cases[0].Exec[0].Args, "the anchored entry is kept:\n%s", out)
	require.Equal(t, []string{"list"}, back.Cases[1].Exec[0].Args, "the alias site is rewritten:\n%s", out)
}
