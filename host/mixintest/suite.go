package mixintest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/mixbox/mixbox/host/internal/yamlnode"
)

// SuiteOptions configures RunSuite.
type SuiteOptions struct {
	// Run, when set, runs only the cases whose name it matches.
	Run *regexp.Regexp
	// Update rewrites want.exit_code, want.outputs and the exec list of
	// every case run from what the mixin did, then writes the cases file
	// back (comments and key order kept where they can be).
	Update bool
}

// Summary counts the cases of a suite run.
type Summary struct {
	Passed, Failed int
	// Results are the results of the cases run, in order.
	Results []Result
}

// RunSuite runs the suite's cases in order and writes the report to w: a
// line per case, `PASS name (12ms)` or `FAIL name (9ms)` followed by its
// reasons indented by four spaces, and the closing line `N passed, M
// failed`. An error is a host failure (the report stops there), or an error
// writing the updated cases file.
func (t *Tester) RunSuite(ctx context.Context, s *Suite, w io.Writer, opts SuiteOptions) (Summary, error) {
	var sum Summary
	updated := false
	for i := range s.Cases {
		c := &s.Cases[i]
		if opts.Run != nil && !opts.Run.MatchString(c.Name) {
			continue
		}
		var res Result
		var err error
		if opts.Update {
			res, err = t.update(ctx, c)
			updated = true
		} else {
			res, _, err = t.run(ctx, c, modeFor(c))
		}
		if err != nil {
			return sum, err
		}
		sum.Results = append(sum.Results, res)
		status := "PASS"
		if res.Passed() {
			sum.Passed++
		} else {
			status = "FAIL"
			sum.Failed++
		}
		fmt.Fprintf(w, "%s %s (%dms)\n", status, c.Name, res.Duration.Milliseconds())
		for _, f := range res.Failures {
			_, _ = fmt.Fprintln(w, indent(maskValues(f, res.Masked), "    "))
		}
	}
	fmt.Fprintf(w, "%d passed, %d failed\n", sum.Passed, sum.Failed)
	if updated && s.Path != "" {
		if err := s.write(); err != nil {
			return sum, err
		}
	}
	return sum, nil
}

// update runs c recording what the mixin does, rewrites c (and its node)
// from it, then checks what Update does not rewrite.
func (t *Tester) update(ctx context.Context, c *Case) (Result, error) {
	res, tbl, err := t.run(ctx, c, modeRecord)
	if err != nil {
		return Result{}, err
	}
	tbl.mu.Lock()
	answers := append([]int(nil), tbl.answers...)
	tbl.mu.Unlock()
	execs := make([]Exec, len(res.Calls))
	for i, call := range res.Calls {
		var e Exec
		if j := answers[i]; j >= 0 {
			e = c.Exec[j]
		}
		if !e.entry().Match(call.Command, call.Args) {
			e.Command, e.Args, e.ArgsRegex = call.Command, call.Args, nil
		}
		execs[i] = e
	}
	if c.node != nil {
		updateNode(c.node, c.Exec, answers, execs, res)
	}
	c.Exec = execs
	c.Want.ExitCode = res.ExitCode
	c.Want.Outputs = res.Outputs
	res.Failures = append(check(c, res), res.Failures...)
	if res.ExitCode != 0 {
		// What was recorded is a failure: say so rather than pass a case
		// that now only checks the mixin fails the same way again.
		msg := fmt.Sprintf("recorded a failing run: the mixin exited with code %d, which the case now wants; "+
			"if the failure is what the case tests, run it again without --update", res.ExitCode)
		if tail := lastLines(res.Stderr, 10); tail != "" {
			msg += "\n  stderr:\n" + indent(tail, "  | ")
		}
		res.Failures = append(res.Failures, msg)
	}
	return res, nil
}

// write writes the suite's document back to its file.
func (s *Suite) write() error {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(s.doc); err != nil {
		return fmt.Errorf("write cases %s: %w", s.Path, err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("write cases %s: %w", s.Path, err)
	}
	fi, err := os.Stat(s.Path)
	if err != nil {
		return fmt.Errorf("write cases %s: %w", s.Path, err)
	}
	if err := os.WriteFile(s.Path, buf.Bytes(), fi.Mode().Perm()); err != nil {
		return fmt.Errorf("write cases %s: %w", s.Path, err)
	}
	return nil
}

// updateNode rewrites a case's mapping node: its exec list becomes execs
// (an entry node that answered a call and still matches it is kept as it
// is, comments and all; one whose call differs gets the call's command and
// args; a new call gets a new entry), and want gets exit_code and outputs.
func updateNode(n *yaml.Node, old []Exec, answers []int, execs []Exec, res Result) {
	var oldNodes []*yaml.Node
	if v := mapGet(n, "exec"); v != nil && v.Kind == yaml.SequenceNode {
		oldNodes = v.Content
	}
	seq := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
	for i, e := range execs {
		j := answers[i]
		if j >= 0 && j < len(oldNodes) {
			en := oldNodes[j]
			if !old[j].entry().Match(res.Calls[i].Command, res.Calls[i].Args) {
				if en.Kind == yaml.AliasNode && en.Alias != nil {
					// Rewrite a copy here, not the anchored entry others share.
					c := *en.Alias
					c.Anchor, c.Content = "", slices.Clone(c.Content)
					en = &c
				}
				mapDel(en, "args_regex")
				mapSet(en, "command", yamlnode.StrNode(e.Command))
				mapSet(en, "args", strList(e.Args))
			}
			seq.Content = append(seq.Content, en)
			continue
		}
		en := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		mapSet(en, "command", yamlnode.StrNode(e.Command))
		mapSet(en, "args", strList(e.Args))
		seq.Content = append(seq.Content, en)
	}
	if len(execs) == 0 {
		seq.Style = yaml.FlowStyle
	}
	if mapGet(n, "exec") == nil {
		mapInsert(n, "exec", seq, mapIndex(n, "want"))
	} else {
		mapSet(n, "exec", seq)
	}

	want := mapGet(n, "want")
	if want == nil || want.Kind != yaml.MappingNode {
		want = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		mapSet(n, "want", want)
	}
	code := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: fmt.Sprint(res.ExitCode)}
	if mapGet(want, "exit_code") == nil {
		mapInsert(want, "exit_code", code, 0)
	} else {
		mapSet(want, "exit_code", code)
	}
	outs := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	if prev := mapGet(want, "outputs"); prev != nil && prev.Kind == yaml.MappingNode {
		outs.Style = prev.Style
		// Keep the order of the outputs already listed, then add new ones.
		for i := 0; i+1 < len(prev.Content); i += 2 {
			if v, ok := res.Outputs[prev.Content[i].Value]; ok {
				val := yamlnode.StrNode(v)
				if prev.Content[i+1].Value == v {
					val = prev.Content[i+1]
				}
				outs.Content = append(outs.Content, prev.Content[i], val)
			}
		}
	}
	for _, k := range slices.Sorted(maps.Keys(res.Outputs)) {
		if mapGet(outs, k) == nil {
			outs.Content = append(outs.Content, yamlnode.StrNode(k), yamlnode.StrNode(res.Outputs[k]))
		}
	}
	if len(outs.Content) == 0 {
		outs.Style = yaml.FlowStyle
	}
	if mapGet(want, "outputs") == nil {
		mapInsert(want, "outputs", outs, mapIndex(want, "exit_code")+1)
	} else {
		mapSet(want, "outputs", outs)
	}
}

// strList is a flow list of strings, where a multi-line one is
// double-quoted (a literal block cannot be in a flow list).
func strList(ss []string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Style: yaml.FlowStyle}
	for _, s := range ss {
		v := yamlnode.StrNode(s)
		if v.Style == yaml.LiteralStyle {
			v.Style = yaml.DoubleQuotedStyle
		}
		n.Content = append(n.Content, v)
	}
	return n
}

func mapGet(n *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// mapSet replaces the value of key, keeping the key's node and comments, or
// appends the key.
func mapSet(n *yaml.Node, key string, v *yaml.Node) {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			old := n.Content[i+1]
			v.LineComment, v.FootComment = old.LineComment, old.FootComment
			if v.HeadComment == "" {
				v.HeadComment = old.HeadComment
			}
			n.Content[i+1] = v
			return
		}
	}
	n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, v)
}

// mapIndex returns the pair index of key in n, or the number of pairs.
func mapIndex(n *yaml.Node, key string) int {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return i / 2
		}
	}
	return len(n.Content) / 2
}

// mapInsert inserts key: v as the pair at index i.
func mapInsert(n *yaml.Node, key string, v *yaml.Node, i int) {
	k := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}
	n.Content = slices.Insert(n.Content, min(2*i, len(n.Content)), k, v)
}

func mapDel(n *yaml.Node, key string) {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			n.Content = append(n.Content[:i], n.Content[i+2:]...)
			return
		}
	}
}

// maskValues replaces the values the mixin declared sensitive, longest
// first, as the run's masking writer does.
func maskValues(s string, values []string) string {
	sorted := slices.Clone(values)
	slices.SortFunc(sorted, func(a, b string) int { return len(b) - len(a) })
	for _, v := range sorted {
		if strings.TrimSpace(v) != "" {
			s = strings.ReplaceAll(s, v, "*******")
		}
	}
	return s
}
