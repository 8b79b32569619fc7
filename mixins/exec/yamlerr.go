package exec

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// safeYAMLError returns err, from decoding doc, with what yaml.v3 quotes of
// the document left out: a type error quotes the first characters of the
// value (`P@ssw0r...`), which may be a secret the runtime cannot mask in
// part. Each such message names the key at its line instead:
// "line 4 (exec.suppress-output): cannot unmarshal a !!str into bool". The
// result still unwraps to err.
func safeYAMLError(doc []byte, err error) error {
	var te *yaml.TypeError
	if err == nil || !errors.As(err, &te) {
		return err
	}
	keys := keysByLine(doc)
	quoted := regexp.MustCompile("^line ([0-9]+): cannot unmarshal (\\S+)(?: `[^`]*`)? into (.*)$")
	msgs := make([]string, len(te.Errors))
	for i, m := range te.Errors {
		sub := quoted.FindStringSubmatch(m)
		if sub == nil {
			msgs[i] = strings.SplitN(m, "`", 2)[0] // any other text, cut before a quote
			continue
		}
		line, _ := strconv.Atoi(sub[1]) // the regexp matched digits
		where := "line " + sub[1]
		collection := sub[2] == "!!map" || sub[2] == "!!seq"
		if k := keys[nodeAt{line, collection}]; k != "" {
			where += " (" + k + ")"
		}
		msgs[i] = fmt.Sprintf("%s: cannot unmarshal a %s into %s", where, sub[2], sub[3])
	}
	return &safeError{msg: "yaml: unmarshal errors:\n  " + strings.Join(msgs, "\n  "), err: err}
}

// safeError is an error whose text leaves out the values its cause quotes.
type safeError struct {
	msg string
	err error
}

func (e *safeError) Error() string { return e.msg }
func (e *safeError) Unwrap() error { return e.err }

// nodeAt is where a type error points: a line, and whether the value there
// is a mapping or sequence or a scalar.
type nodeAt struct {
	line       int
	collection bool
}

// keysByLine maps the values of doc to the dotted path of their key within
// the step ("exec.arguments[1]"): for each line, the scalar there and the
// outermost mapping or sequence that starts there.
func keysByLine(doc []byte) map[nodeAt]string {
	var root yaml.Node
	if yaml.Unmarshal(doc, &root) != nil {
		return nil
	}
	out := map[nodeAt]string{}
	var walk func(n *yaml.Node, path string)
	walk = func(n *yaml.Node, path string) {
		if n.Kind == yaml.MappingNode || n.Kind == yaml.SequenceNode {
			if at := (nodeAt{n.Line, true}); out[at] == "" {
				out[at] = stepPath(path)
			}
		}
		switch n.Kind {
		case yaml.DocumentNode:
			for _, c := range n.Content {
				walk(c, path)
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k := n.Content[i].Value
				if path != "" {
					k = path + "." + k
				}
				walk(n.Content[i+1], k)
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				walk(c, fmt.Sprintf("%s[%d]", path, i))
			}
		case yaml.ScalarNode, yaml.AliasNode:
			out[nodeAt{n.Line, false}] = stepPath(path)
		}
	}
	walk(&root, "")
	return out
}

// stepPath drops the leading list index of a step list's path ("[0].exec.x"
// is "exec.x"), so that the path reads from the step.
func stepPath(p string) string {
	if strings.HasPrefix(p, "[") {
		if i := strings.Index(p, "]."); i >= 0 {
			return p[i+2:]
		}
	}
	return p
}
