package exec

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// Step is one exec step of an action as Porter sends it: {exec: {...}}.
// The step types are exported, unlike the rest of the package, only because
// their names are Porter's: yaml.v3 quotes them in its errors ("cannot
// unmarshal a !!str into exec.Instruction").
type Step struct {
	Instruction `yaml:"exec"`
}

// Instruction is the body of an exec step (Porter's pkg/exec Instruction).
// Unknown keys are ignored, as Porter does.
type Instruction struct {
	Description     string            `yaml:"description"`
	Command         string            `yaml:"command"`
	WorkingDir      string            `yaml:"dir,omitempty"`
	Arguments       []string          `yaml:"arguments,omitempty"`
	SuffixArguments []string          `yaml:"suffix-arguments,omitempty"`
	Flags           cmdFlags          `yaml:"flags,omitempty"`
	EnvironmentVars map[string]string `yaml:"envs,omitempty"`
	Outputs         []Output          `yaml:"outputs,omitempty"`
	SuppressOutput  bool              `yaml:"suppress-output,omitempty"`
	IgnoreError     IgnoreError       `yaml:"ignoreError,omitempty"`
}

// Output is a step Output: exactly one of JSONPath, Regex or FilePath is
// expected; Porter evaluates whichever are set.
type Output struct {
	Name     string `yaml:"name"`
	FilePath string `yaml:"path,omitempty"`
	JSONPath string `yaml:"jsonPath,omitempty"`
	Regex    string `yaml:"regex,omitempty"`
}

// IgnoreError says which failures of the command do not fail the step.
type IgnoreError struct {
	// All ignores any non-zero exit.
	All bool `yaml:"all,omitempty"`
	// ExitCodes ignores the listed exit codes.
	ExitCodes []int `yaml:"exitCodes,omitempty"`
	// Output ignores a failure by what the command printed on stderr.
	Output IgnoreErrorOutput `yaml:"output,omitempty"`
}

// IgnoreErrorOutput matches the command's stderr.
type IgnoreErrorOutput struct {
	// Contains ignores the error when stderr contains one of the substrings.
	Contains []string `yaml:"contains,omitempty"`
	// Regex ignores the error when stderr matches one of the expressions.
	Regex []string `yaml:"regex,omitempty"`
}

// action is an action name with its steps.
type action struct {
	Name  string
	Steps []Step
}

// loadSteps parses Porter's step input, {ACTION: [steps]}, and returns the
// steps of every action in it (there is one).
func loadSteps(input []byte) ([]Step, error) {
	actions, err := loadActions(input)
	if err != nil {
		// Porter prints the whole input here; mixbox names the line and key
		// instead, so no part of a value (a secret) is quoted.
		return nil, fmt.Errorf("could not unmarshal the step input: %w", err)
	}
	var steps []Step
	for _, a := range actions {
		steps = append(steps, a.Steps...)
	}
	return steps, nil
}

// loadActions decodes {ACTION: [steps]} into actions sorted by name, the
// way Porter's builder.UnmarshalAction does it: through a generic map, then
// each step list re-encoded and decoded into []Step. An input that this
// round trip cannot change is decoded once, from its node tree
// (loadActionsDirect), with the same result; and input in the plain form
// mixbox's host writes is read without yaml.v3 (loadActionsPlain).
func loadActions(input []byte) ([]action, error) {
	if actions, ok := loadActionsPlain(input); ok {
		return actions, nil
	}
	return loadActionsYAML(input)
}

// loadActionsYAML is loadActions through yaml.v3 alone: decoded directly
// when the round trip cannot change the input, else the round trip.
func loadActionsYAML(input []byte) ([]action, error) {
	if actions, ok := loadActionsDirect(input); ok {
		return actions, nil
	}
	return loadActionsRoundTrip(input)
}

// loadActionsDirect decodes input's step lists straight from its node tree,
// which is what the round trip of loadActionsRoundTrip amounts to when every
// node survives it unchanged (stable). It reports false for any other input,
// and on any error: the round trip then decides, and words the error. In a
// wasm build it is most of a step's time saved: yaml.v3 runs about 25 times
// slower there than natively, and the round trip parses twice and encodes
// once (RATIONALE.md, "Why does the exec mixin decode a step once?").
func loadActionsDirect(input []byte) ([]action, bool) {
	var doc yaml.Node
	if err := yaml.Unmarshal(input, &doc); err != nil || doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return nil, false
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode || !stable(root) {
		return nil, false
	}
	actions := make([]action, 0, len(root.Content)/2)
	for i := 0; i < len(root.Content); i += 2 {
		key, val := root.Content[i], root.Content[i+1]
		if key.ShortTag() != "!!str" || val.Kind != yaml.SequenceNode {
			return nil, false
		}
		var steps []Step
		if err := val.Decode(&steps); err != nil {
			return nil, false
		}
		actions = append(actions, action{Name: key.Value, Steps: steps})
	}
	slices.SortFunc(actions, func(a, b action) int { return strings.Compare(a.Name, b.Name) })
	return actions, true
}

// stable reports whether decoding n into generic values and encoding them
// again gives n back, as far as decoding into Step can tell: no anchor,
// alias, explicit tag or merge key; no mapping with a key twice; and only
// scalars that encode as they were written: strings (valid UTF-8), the
// booleans true and false, and integers in canonical decimal. A null, a
// float, a timestamp or "0x1F" would come back in another spelling.
func stable(n *yaml.Node) bool {
	if n.Anchor != "" || n.Style&yaml.TaggedStyle != 0 {
		return false
	}
	switch n.Kind {
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!str":
			return utf8.ValidString(n.Value)
		case "!!bool":
			return n.Value == "true" || n.Value == "false"
		case "!!int":
			v, err := strconv.ParseInt(n.Value, 10, 64)
			return err == nil && strconv.FormatInt(v, 10) == n.Value
		}
		return false
	case yaml.MappingNode:
		seen := make(map[string]bool, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode || seen[k.Value] {
				return false
			}
			seen[k.Value] = true
		}
		fallthrough
	case yaml.SequenceNode:
		for _, c := range n.Content {
			if !stable(c) {
				return false
			}
		}
		return true
	}
	return false
}

// loadActionsRoundTrip is loadActions the way Porter does it.
func loadActionsRoundTrip(input []byte) ([]action, error) {
	var raw map[string][]any
	if err := yaml.Unmarshal(input, &raw); err != nil {
		return nil, fmt.Errorf("could not unmarshal yaml into an action map of exec steps: %w", safeYAMLError(input, err))
	}
	names := make([]string, 0, len(raw))
	for name := range raw {
		names = append(names, name)
	}
	slices.Sort(names)
	actions := make([]action, 0, len(names))
	for _, name := range names {
		var buf bytes.Buffer
		enc := yaml.NewEncoder(&buf)
		enc.SetIndent(2)
		if err := enc.Encode(raw[name]); err != nil {
			return nil, fmt.Errorf("encode steps of %s: %w", name, err)
		}
		var steps []Step
		if err := yaml.Unmarshal(buf.Bytes(), &steps); err != nil {
			return nil, safeYAMLError(buf.Bytes(), err)
		}
		actions = append(actions, action{Name: name, Steps: steps})
	}
	return actions, nil
}

// warmInput is a step that uses every field, parsed once when a reactor
// build initializes (warm.go).
const warmInput = `install:
- exec:
    description: warm up
    command: "true"
    dir: /cnab/app
    arguments: [a]
    suffix-arguments: [b]
    flags: {f: v, l: [x, y]}
    envs: {K: V}
    suppress-output: true
    ignoreError: {all: true, exitCodes: [1], output: {contains: [c], regex: [r]}}
    outputs: [{name: o, regex: x}, {name: p, jsonPath: $.a}, {name: q, path: /f}]
`
