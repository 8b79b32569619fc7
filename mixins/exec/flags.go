package exec

import (
	"fmt"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// cmdFlag is a flag of a command: --name value, repeated once per value.
type cmdFlag struct {
	Name   string
	Values []string
}

// cmdFlags are a step's flags; they render sorted by name.
type cmdFlags []cmdFlag

// UnmarshalYAML reads a map of flag name to a scalar, a list of strings or
// nothing (a flag without a value). Scalars are rendered with %v, as Porter
// does (1 ⇒ "1", true ⇒ "true").
func (f *cmdFlags) UnmarshalYAML(node *yaml.Node) error {
	var m map[any]any
	if err := node.Decode(&m); err != nil {
		return fmt.Errorf("could not unmarshal yaml into Step.Flags at line %d: %w", node.Line, safeYAMLError(nil, err))
	}
	flags := make(cmdFlags, 0, len(m))
	for k, v := range m {
		fl := cmdFlag{Name: fmt.Sprintf("%v", k)}
		switch t := v.(type) {
		case []any:
			fl.Values = make([]string, len(t))
			for i, item := range t {
				s, ok := item.(string)
				if !ok {
					return fmt.Errorf("invalid yaml type for flag %s: %T", fl.Name, item)
				}
				fl.Values[i] = s
			}
		case nil:
		default:
			fl.Values = []string{fmt.Sprintf("%v", v)}
		}
		flags = append(flags, fl)
	}
	*f = flags
	return nil
}

// ToSlice renders a flag: -x for a one-letter name, --name otherwise, once
// per value, or alone when it has no value.
func (fl cmdFlag) ToSlice() []string {
	dash := "--"
	if len(fl.Name) == 1 {
		dash = "-"
	}
	name := dash + fl.Name
	if len(fl.Values) == 0 {
		return []string{name}
	}
	out := make([]string, 0, 2*len(fl.Values))
	for _, v := range fl.Values {
		out = append(out, name, v)
	}
	return out
}

// ToSlice renders the flags sorted by name (byte order).
func (f cmdFlags) ToSlice() []string {
	sorted := slices.Clone(f)
	slices.SortStableFunc(sorted, func(a, b cmdFlag) int { return strings.Compare(a.Name, b.Name) })
	out := make([]string, 0, 2*len(f))
	for _, fl := range sorted {
		out = append(out, fl.ToSlice()...)
	}
	return out
}

// splitCommand splits each element into words the way Porter's exec mixin
// does (builder.splitCommand): unquoted spaces, tabs and newlines separate
// words, "..." or '...' group (the outer quotes dropped), a backslash
// escapes the next character and is kept, and an element with an unmatched
// quote is kept as it is.
func splitCommand(elems []string) []string {
	out := make([]string, 0, len(elems))
	for _, e := range elems {
		out = append(out, findWords(e)...)
	}
	return out
}

func findWords(input string) []string {
	words := make([]string, 0, 1)
	next := input
	for len(next) > 0 {
		word, rest, err := findNextWord(next)
		if err != nil {
			return []string{input}
		}
		next = rest
		words = append(words, word)
	}
	return words
}

// findNextWord returns the first word of input and what follows it. It
// keeps Porter's quirks: a quote anywhere in a word starts the word at
// offset 1 of the trimmed input.
func findNextWord(input string) (word, rest string, err error) {
	input = strings.TrimLeft(input, " \n\t")
	var (
		escaped             bool
		wordStart, wordStop int
		closing             rune
	)
	for i, r := range input {
		if escaped {
			r = -1
			escaped = false
		}
		switch r {
		case '\\':
			escaped = true
			continue
		case closing:
			wordStop = i
			closing = 0
		case '\'', '"':
			if closing != 0 {
				continue
			}
			wordStart = 1
			closing = r
		case ' ', '\t', '\n':
			if closing != 0 {
				continue
			}
			wordStart = 0
			wordStop = i
		}
		if wordStop > 0 {
			return input[wordStart:wordStop], input[wordStop+1:], nil
		}
	}
	if closing != 0 {
		return "", "", errUnmatchedQuote
	}
	return input, "", nil
}
